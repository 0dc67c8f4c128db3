import SSTCore

/// What the privacy filter needs to know of one consent record.
public struct ConsentState: Hashable, Sendable {
    public let id: RecordID
    public let pupil: RecordID
    public let scopes: Set<String>
    /// The stored status: `pending`, `active`, `refused` or `withdrawn`.
    public let status: String
    public let validFrom: CivilDate?
    public let validUntil: CivilDate?

    public init(
        id: RecordID,
        pupil: RecordID,
        scopes: Set<String>,
        status: String,
        validFrom: CivilDate?,
        validUntil: CivilDate?
    ) {
        self.id = id
        self.pupil = pupil
        self.scopes = scopes
        self.status = status
        self.validFrom = validFrom
        self.validUntil = validUntil
    }

    /// Active, and `today` within its validity (both ends inclusive). Expiry needs no message: every side
    /// evaluates it on its own clock.
    public func isInForce(on today: CivilDate) -> Bool {
        guard status == "active", let validUntil else { return false }
        if let validFrom, today < validFrom { return false }
        return today <= validUntil
    }

    /// What a person should read about this consent today: `active`, `expired`, `not yet valid`, or the
    /// stored status.
    public func effectiveStatus(on today: CivilDate) -> String {
        guard status == "active" else { return status }
        if let validFrom, today < validFrom { return "not yet valid" }
        if let validUntil, today > validUntil { return "expired" }
        return "active"
    }
}
