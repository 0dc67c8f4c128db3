import SSTCore

/// One entry of the audit trail: a crossing of the boundary, a refusal, a purge or its acknowledgement, a
/// node's change of id, a repair of the node's clock, or a staff member's access through the node's staff API (and
/// the grant or revocation of that access).
public struct AuditEntry: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// Data left this node for the other side.
        case sent
        /// Data from the other side was applied here.
        case received
        /// A change set from the other side was refused whole.
        case refused
        /// Data received under a consent was purged here after the consent was withdrawn or expired.
        case purged
        /// As `purged`, but the policy says to retain it.
        case retained
        /// The other side confirmed that it purged what it had received under a consent.
        case purgeAcknowledged = "purge_acknowledged"
        /// The node took a new node id after a restore from a backup (`sst node rejoin`).
        case rejoined
        /// A staff member was given an access token for the staff API (`sst staff add`).
        case staffAdded = "staff_added"
        /// A staff member's access token was revoked (`sst staff revoke`).
        case staffRevoked = "staff_revoked"
        /// A staff member read a record through the staff API.
        case staffRead = "staff_read"
        /// A staff member wrote fields of a record through the staff API.
        case staffWrite = "staff_write"
        /// A staff member signed in to the staff web page or out of it, or a sign-in was refused (no token text).
        case staffSession = "staff_session"
        /// The node's clock, left ahead by a wall clock that was ahead, was set back and its unsent writes
        /// re-stamped (`sst clock repair`).
        case clockRepaired = "clock_repaired"
    }

    public let kind: Kind
    /// Physical time of the event, milliseconds since the Unix epoch.
    public let atMilliseconds: UInt64
    public let direction: Direction?
    /// The node at the other end; for the `staff_…` kinds, the staff member as `staff:<name>`.
    public let peer: String?
    public let pupil: RecordID?
    /// `entity.field` names, sorted.
    public let fields: [String]
    /// The basis: `consent:<scope> <consent id>`, `legal_duty`, `administrative`; nil for refusals.
    public let basis: String?
    /// Anything else a reviewer needs: the refusal's reason, the change set's range.
    public let detail: String

    public init(
        kind: Kind,
        atMilliseconds: UInt64,
        direction: Direction? = nil,
        peer: String? = nil,
        pupil: RecordID? = nil,
        fields: [String] = [],
        basis: String? = nil,
        detail: String = ""
    ) {
        self.kind = kind
        self.atMilliseconds = atMilliseconds
        self.direction = direction
        self.peer = peer
        self.pupil = pupil
        self.fields = fields.sorted()
        self.basis = basis
        self.detail = detail
    }

    /// The entry as canonical JSON: what is stored and hashed.
    public var json: CanonicalJSON {
        .object([
            "kind": .string(kind.rawValue),
            "at": .integer(Int64(atMilliseconds)),
            "direction": direction.map { .string($0.rawValue) } ?? .null,
            "peer": peer.map(CanonicalJSON.string) ?? .null,
            "pupil": pupil.map { .string($0.rawValue) } ?? .null,
            "fields": .array(fields.map(CanonicalJSON.string)),
            "basis": basis.map(CanonicalJSON.string) ?? .null,
            "detail": .string(detail),
        ])
    }

    /// The text that is stored and hashed: exactly `json.rendered()`, written without building the tree (a
    /// sync appends an entry per pupil and basis of every batch, at both ends).
    public var text: String {
        var output = "{\n  \"at\": \(atMilliseconds),\n  \"basis\": "
        Self.render(basis, into: &output)
        output += ",\n  \"detail\": "
        CanonicalJSON.renderString(detail, into: &output)
        output += ",\n  \"direction\": "
        Self.render(direction?.rawValue, into: &output)
        output += ",\n  \"fields\": "
        if fields.isEmpty {
            output += "[]"
        } else {
            output += "[\n"
            for (index, field) in fields.enumerated() {
                output += "    "
                CanonicalJSON.renderString(field, into: &output)
                output += index == fields.count - 1 ? "\n" : ",\n"
            }
            output += "  ]"
        }
        output += ",\n  \"kind\": "
        CanonicalJSON.renderString(kind.rawValue, into: &output)
        output += ",\n  \"peer\": "
        Self.render(peer, into: &output)
        output += ",\n  \"pupil\": "
        Self.render(pupil?.rawValue, into: &output)
        output += "\n}"
        return output
    }

    private static func render(_ string: String?, into output: inout String) {
        if let string { CanonicalJSON.renderString(string, into: &output) } else { output += "null" }
    }

    /// Reads an entry back from its stored JSON.
    public init?(json: CanonicalJSON) {
        guard let members = json.objectMembers, case .string(let kindText)? = members["kind"],
            let kind = Kind(rawValue: kindText), case .integer(let at)? = members["at"],
            case .array(let fieldItems)? = members["fields"], case .string(let detail)? = members["detail"]
        else { return nil }
        func string(_ key: String) -> String? {
            if case .string(let text)? = members[key] { return text }
            return nil
        }
        self.init(
            kind: kind,
            atMilliseconds: UInt64(max(0, at)),
            direction: string("direction").flatMap(Direction.init(rawValue:)),
            peer: string("peer"),
            pupil: string("pupil").flatMap(RecordID.init),
            fields: fieldItems.compactMap { if case .string(let text) = $0 { text } else { nil } },
            basis: string("basis"),
            detail: detail
        )
    }
}
