/// One field of an entity: its type, merge kind, owning side and privacy class.
public struct FieldSchema: Hashable, Sendable {
    public let name: String
    public let type: FieldType
    public let merge: MergeKind
    public let owner: Owner
    public let privacy: PrivacyClass
    /// The schema version that added this field; the store's migration of that version adds its column.
    public let addedIn: Int

    public init(
        _ name: String,
        _ type: FieldType,
        merge: MergeKind = .lww,
        owner: Owner,
        privacy: PrivacyClass,
        addedIn: Int = 1
    ) {
        self.name = name
        self.type = type
        self.merge = merge
        self.owner = owner
        self.privacy = privacy
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
    private let fieldsByName: [String: FieldSchema]

    public init(_ name: String, owner: Owner, addedIn: Int = 1, fields: [FieldSchema]) {
        self.name = name
        self.owner = owner
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

    /// The highest schema version any entity or field was added in.
    public var version: Int {
        entities.flatMap { [$0.addedIn] + $0.fields.map(\.addedIn) }.max() ?? 1
    }
}
