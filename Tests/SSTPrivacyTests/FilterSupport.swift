import SSTCore
import SSTPrivacy
import Testing

/// A ``PrivacyContext`` over dictionaries: what the filter would read of a node's tables.
struct DictionaryContext: PrivacyContext {
    var today: CivilDate
    /// Record → the pupil it concerns (a pupil concerns itself).
    var pupilOfRecord: [RecordID: RecordID] = [:]
    /// Intervention or meeting → its case.
    var caseOfRecord: [RecordID: RecordID] = [:]
    var protectedPupils: Set<RecordID> = []
    var consentRecords: [ConsentState] = []
    /// Pupils who are the subject of a report of concern.
    var concernPupils: Set<RecordID> = []

    func pupil(entity: String, record: RecordID) -> RecordID? {
        if entity == "intervention" || entity == "meeting" {
            return caseOfRecord[record].flatMap { pupilOfRecord[$0] }
        }
        return pupilOfRecord[record]
    }

    func hasProtectedIdentity(pupil: RecordID) -> Bool { protectedPupils.contains(pupil) }

    func consents(pupil: RecordID) -> [ConsentState] { consentRecords.filter { $0.pupil == pupil } }

    func hasConcernReport(pupil: RecordID) -> Bool { concernPupils.contains(pupil) }
}

/// One synthetic pupil with one record of every entity, and consents made to order.
enum World {
    static let pupil = recordID(number: 1)
    static let otherPupil = recordID(number: 2)
    static let today = civilDate("2025-06-15")
    static let node = NodeID("skola-test")!
    static let filter = PrivacyFilter(policy: .default)

    /// The record of each entity; all concern ``pupil`` (interventions and meetings through the case).
    static let records: [String: RecordID] = Dictionary(
        uniqueKeysWithValues: Schema.sst.entities.enumerated().map { index, entity in
            (entity.name, entity.name == "pupil" ? pupil : recordID(number: 0x100 + index))
        }
    )

    static func record(_ entity: String) -> RecordID { records[entity]! }

    /// A consent id that sorts after every record id above.
    static func consentID(_ number: Int) -> RecordID { recordID(number: 0xC000 + number) }

    /// An active consent of ``pupil`` valid around ``today``.
    static func consent(
        _ number: Int,
        scopes: Set<String>,
        status: String = "active",
        from: String? = "2025-01-01",
        until: String? = "2025-12-31",
        pupil: RecordID = World.pupil
    ) -> ConsentState {
        ConsentState(
            id: consentID(number),
            pupil: pupil,
            scopes: scopes,
            status: status,
            validFrom: from.map(civilDate),
            validUntil: until.map(civilDate)
        )
    }

    /// The context of a node holding every record; `scopes` gives one active consent per scope (ids in the
    /// order of `Schema.consentScopes`).
    static func context(
        scopes: Set<String> = [],
        concernReport: Bool = false,
        protectedIdentity: Bool = false,
        consents extra: [ConsentState] = []
    ) -> DictionaryContext {
        var context = DictionaryContext(today: today)
        for (entity, record) in records where entity != "intervention" && entity != "meeting" {
            context.pupilOfRecord[record] = pupil
        }
        context.caseOfRecord[record("intervention")] = record("case")
        context.caseOfRecord[record("meeting")] = record("case")
        if protectedIdentity { context.protectedPupils.insert(pupil) }
        if concernReport { context.concernPupils.insert(pupil) }
        for (index, scope) in Schema.consentScopes.enumerated() where scopes.contains(scope) {
            context.consentRecords.append(consent(index + 1, scopes: [scope]))
        }
        context.consentRecords += extra
        return context
    }

    static let everyScope = Set(Schema.consentScopes)

    /// A change of `entity.field` on that entity's record.
    static func change(_ entity: String, _ field: String, record: RecordID? = nil) -> FieldChange {
        FieldChange(
            entity: entity,
            record: record ?? World.record(entity),
            field: field,
            state: FieldState(value: .string("synthetic marker"), stamp: Stamp(timestamp: .zero, node: node))
        )
    }

    static func decide(
        _ entity: String,
        _ field: String,
        _ direction: Direction,
        _ context: DictionaryContext
    ) throws -> PrivacyFilter.Decision {
        try filter.decide(change(entity, field), direction: direction, context: context)
    }

    static func fields(_ entity: String) -> [String] {
        Schema.sst.entity(named: entity)!.fields.map(\.name)
    }

    /// Every domain field of the schema as `(entity, field)`.
    static let allFields: [(entity: String, field: String)] = Schema.sst.entities.flatMap { entity in
        entity.fields.map { (entity.name, $0.name) }
    }
}

/// DESIGN §5 written out independently of the policy file: what must hold for a field to cross.
enum DesignRule: Equatable {
    case never
    case consent(String)
    /// Pupil identity: consent scope `identity`, or the pupil is the subject of a report of concern.
    case identityOrConcernReport
    /// Legal duty of the report of concern itself, or bookkeeping: crosses whatever the consents.
    case always

    static func of(_ entity: String, _ field: String, _ direction: Direction) -> DesignRule {
        let toSocial = direction == .toSocial
        switch entity {
        case "pupil": return toSocial ? .identityOrConcernReport : .never
        case "guardian": return toSocial ? .consent("identity") : .never
        case "consent": return toSocial && field != "pupil_view" ? .always : .never
        case "absence": return toSocial ? .consent("absence") : .never
        case "school_assessment": return toSocial ? .consent("school_assessment") : .never
        case "case", "intervention", "meeting": return .consent("sst_case")
        case "social_support":
            return !toSocial && field != "decision_notes" ? .consent("social_support_flag") : .never
        case "concern_report":
            let receipt = field == "received_at" || field == "investigation_opened"
            return toSocial != receipt ? .always : .never
        case "purge_receipt": return .always
        default: return .never  // health_note, social_investigation
        }
    }

    /// Whether the rule lets the field cross. A protected pupil's identity and guardians never cross, but
    /// the protection flag itself does, on its own rule.
    func holds(
        entity: String,
        field: String,
        scopes: Set<String>,
        concernReport: Bool,
        protectedIdentity: Bool
    )
        -> Bool
    {
        let isFlag = entity == "pupil" && field == "protected_identity"
        if protectedIdentity && (entity == "pupil" || entity == "guardian") && !isFlag { return false }
        switch self {
        case .never: return false
        case .consent(let scope): return scopes.contains(scope)
        case .identityOrConcernReport: return scopes.contains("identity") || concernReport
        case .always: return true
        }
    }
}
