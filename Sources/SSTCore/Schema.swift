/// One field of an entity: its type, merge kind, owning side and privacy class.
public struct FieldSchema: Hashable, Sendable {
    public let name: String
    public let type: FieldType
    public let merge: MergeKind
    public let owner: Owner
    public let privacy: PrivacyClass
    /// The schema version that added this field; the store's migration of that version adds its column.
    public let addedIn: Int
    /// What the field means to the privacy rules, if anything beyond its class.
    public let role: FieldRole?

    public init(
        _ name: String,
        _ type: FieldType,
        merge: MergeKind = .lww,
        owner: Owner,
        privacy: PrivacyClass,
        role: FieldRole? = nil,
        addedIn: Int = 1
    ) {
        self.name = name
        self.type = type
        self.merge = merge
        self.owner = owner
        self.privacy = privacy
        self.role = role
        self.addedIn = addedIn
    }

    /// True for the record-level fields every entity has (``Schema/deletedField``, ``Schema/purgedField``).
    public var isSystem: Bool { name.hasPrefix("_") }
}

/// One entity: a table of records with random ids.
public struct EntitySchema: Hashable, Sendable {
    public let name: String
    public let owner: Owner
    /// The domain fields, in declaration order.
    public let fields: [FieldSchema]
    public let addedIn: Int
    /// What the entity means to the privacy rules, if anything beyond its fields' classes.
    public let role: EntityRole?
    private let fieldsByName: [String: FieldSchema]

    public init(_ name: String, owner: Owner, role: EntityRole? = nil, addedIn: Int = 1, fields: [FieldSchema]) {
        self.name = name
        self.owner = owner
        self.role = role
        self.addedIn = addedIn
        self.fields = fields
        let system = [
            FieldSchema(Schema.deletedField, .boolean, owner: owner, privacy: .record),
            FieldSchema(Schema.purgedField, .boolean, merge: .purge, owner: owner, privacy: .record),
        ]
        self.fieldsByName = Dictionary(uniqueKeysWithValues: (fields + system).map { ($0.name, $0) })
    }

    /// A domain field or one of the system fields `_deleted` and `_purged`.
    public func field(named name: String) -> FieldSchema? { fieldsByName[name] }

    /// The entity's field with `role`, if it has one.
    public func field(withRole role: FieldRole) -> FieldSchema? { fields.first { $0.role == role } }
}

/// The whole data model, declared once and read by the store, the privacy filter and the protocol.
public struct Schema: Hashable, Sendable {
    /// The tombstone field: `true` marks a deleted record. Merges last-writer-wins like any field.
    public static let deletedField = "_deleted"
    /// The purge marker (*gallring*): `true` erases every value of the record, everywhere, for good.
    public static let purgedField = "_purged"

    public let entities: [EntitySchema]
    private let entitiesByName: [String: EntitySchema]

    public init(entities: [EntitySchema]) {
        self.entities = entities
        self.entitiesByName = Dictionary(uniqueKeysWithValues: entities.map { ($0.name, $0) })
    }

    public func entity(named name: String) -> EntitySchema? { entitiesByName[name] }

    /// The entities with `role`, in declaration order.
    public func entities(withRole role: EntityRole) -> [EntitySchema] { entities.filter { $0.role == role } }

    /// The one entity with `role` (the schema declares exactly one pupil, case and consent entity).
    public func entity(withRole role: EntityRole) -> EntitySchema {
        guard let entity = entities.first(where: { $0.role == role }) else {
            preconditionFailure("the schema declares no entity with role \(role)")
        }
        return entity
    }

    /// How a record of `entity` reaches the pupil it concerns: it is the pupil, it names the pupil
    /// (a ``FieldRole/pupilReference`` field), it belongs to a case (a ``FieldRole/caseReference`` field) and
    /// so concerns the case's pupil, or it concerns no pupil.
    public func pupilPath(of entity: String) -> PupilPath {
        guard let schema = self.entity(named: entity) else { return .none }
        if schema.role == .pupil { return .itself }
        if let field = schema.field(withRole: .caseReference) { return .throughCase(field: field.name) }
        if let field = schema.field(withRole: .pupilReference) { return .reference(field: field.name) }
        return .none
    }

    /// The entities whose records concern a pupil through a case (``PupilPath/throughCase(field:)``).
    public var caseEntities: [String] {
        entities.compactMap { $0.field(withRole: .caseReference) == nil ? nil : $0.name }
    }

    /// The highest schema version any entity or field was added in.
    public var version: Int {
        entities.flatMap { [$0.addedIn] + $0.fields.map(\.addedIn) }.max() ?? 1
    }
}

/// What a field means to the privacy rules and the store beyond its privacy class: the rules are written
/// against roles, so that no rule spells a field's name.
public enum FieldRole: Hashable, Sendable {
    /// The pupil the record concerns (`pupil_id`).
    case pupilReference
    /// The case the record belongs to; the record concerns the case's pupil (`case_id`).
    case caseReference
    /// The pupil has protected identity (*skyddade personuppgifter*): identity and guardian contact never
    /// cross, whatever the basis.
    case protectionFlag
    /// The pupil's school and stadsdel: where the pupil's records are routed and who at the hub may see them.
    case school
    case stadsdel
    /// A consent's scopes, status and validity: what the filter reads to judge a consent.
    case consentScopes
    case consentStatus
    case consentValidFrom
    case consentValidUntil
}

/// What an entity means to the privacy rules beyond its fields.
public enum EntityRole: Hashable, Sendable {
    /// The pupil: every record concerns one, found by ``Schema/pupilPath(of:)``.
    case pupil
    /// The SST case, the record interventions and meetings belong to.
    case `case`
    /// A guardian's consent: what may cross the boundary, and until when.
    case consent
    /// A record whose existence gives the legal-duty basis for its pupil (the report of concern): its pupil's
    /// identity crosses without consent while it lives.
    case legalDuty
    /// A record none of whose fields may ever cross the boundary (health notes, child-welfare
    /// investigations); a policy that lets one cross is refused when it is loaded.
    case neverCrosses
    /// The receiving side's acknowledgement of a purge.
    case purgeReceipt
}

/// How a record reaches the pupil it concerns (``Schema/pupilPath(of:)``).
public enum PupilPath: Hashable, Sendable {
    /// The record is the pupil.
    case itself
    /// The record names its pupil in `field`.
    case reference(field: String)
    /// The record names its case in `field`; it concerns the case's pupil.
    case throughCase(field: String)
    /// The record concerns no pupil (or its entity is unknown).
    case none
}
