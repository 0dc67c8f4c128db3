import SSTCore

/// A guardian as the consent rules see one.
public struct GuardianInfo: Hashable, Sendable {
    public let id: RecordID
    public let hasCustody: Bool

    public init(id: RecordID, hasCustody: Bool) {
        self.id = id
        self.hasCustody = hasCustody
    }
}

/// What a person records about a consent: who said yes, who said no, the pupil's view and own consent.
public struct ConsentAnswers: Hashable, Sendable {
    public var givenBy: [RecordID]
    public var refusedBy: [RecordID]
    public var pupilView: String?
    public var pupilConsent: Bool?

    public init(givenBy: [RecordID], refusedBy: [RecordID] = [], pupilView: String? = nil, pupilConsent: Bool? = nil) {
        self.givenBy = givenBy
        self.refusedBy = refusedBy
        self.pupilView = pupilView
        self.pupilConsent = pupilConsent
    }
}

/// A consent request refused before anything is written: what is wrong and what to do.
public struct ConsentError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public let remedy: String

    public var description: String { "\(message). Nothing was recorded. \(remedy)" }
}

/// The consent rules of DESIGN §5: joint custody, the child's view, the pupil's own consent, validity.
public enum ConsentRules {
    /// The status a consent has given the answers: `refused` if any guardian said no; `pending` until
    /// every guardian with custody has said yes (and, from the policy's age, the pupil too); else `active`.
    public static func status(
        answers: ConsentAnswers,
        guardians: [GuardianInfo],
        pupilAge: Int?,
        settings: Policy.Settings
    ) throws(ConsentError) -> String {
        let custodians = Set(guardians.filter(\.hasCustody).map(\.id))
        guard !custodians.isEmpty else {
            throw ConsentError(
                message: "the pupil has no guardian with custody on record",
                remedy:
                    "Record the guardians first: sst record set --entity guardian … pupil_id=<pupil> has_custody=true."
            )
        }
        let known = Set(guardians.map(\.id))
        if let stranger = (answers.givenBy + answers.refusedBy).first(where: { !known.contains($0) }) {
            throw ConsentError(
                message: "\(stranger) is not a guardian of this pupil",
                remedy: "Give the ids of the pupil's guardians (sst record get --entity guardian …)."
            )
        }
        guard let age = pupilAge else {
            throw ConsentError(
                message: "the pupil's age is unknown (no personnummer on record), so the age rules cannot be applied",
                remedy: "Record the pupil's personnummer first."
            )
        }
        if age >= settings.childViewFromAge && (answers.pupilView ?? "").isEmpty {
            throw ConsentError(
                message:
                    "the pupil is \(age): from \(settings.childViewFromAge) the child's view is recorded with the consent",
                remedy: "Give the pupil's view with --pupil-view TEXT."
            )
        }
        if !answers.refusedBy.isEmpty || answers.pupilConsent == false { return "refused" }
        if !custodians.isSubset(of: Set(answers.givenBy)) { return "pending" }
        if age >= settings.pupilConsentFromAge && answers.pupilConsent != true { return "pending" }
        return "active"
    }

    /// The validity period: from `validFrom` (default today) to `validUntil` (default the policy's months
    /// later); refuses a period that ends before it begins.
    public static func validity(
        from validFrom: CivilDate?,
        until validUntil: CivilDate?,
        today: CivilDate,
        settings: Policy.Settings
    ) throws(ConsentError) -> (from: CivilDate, until: CivilDate) {
        let start = validFrom ?? today
        let end = validUntil ?? start.adding(months: settings.consentValidityMonths)
        guard start <= end else {
            throw ConsentError(
                message: "the consent would end (\(end)) before it begins (\(start))",
                remedy: "Give a --valid-until on or after the start date."
            )
        }
        return (start, end)
    }

    /// The pupil's birth date from a personnummer `YYYYMMDD-NNNN` (a samordningsnummer's day − 60).
    public static func birthDate(personnummer: String) -> CivilDate? {
        let digits = personnummer.prefix(8)
        guard digits.count == 8, let year = Int(digits.prefix(4)), let month = Int(digits.dropFirst(4).prefix(2)),
            var day = Int(digits.suffix(2))
        else { return nil }
        if day > 60 { day -= 60 }
        return CivilDate(year: year, month: month, day: day)
    }
}
