/// One field of one record set to a value at a stamp: the unit of replication.
///
/// On the wire (JSON): `{"entity", "id", "field", "value", "stamp", "context"?}` with the stamp as
/// `"<milliseconds>:<counter>@<node>"` and, for `text` fields, the context as an object from node id
/// to `"<milliseconds>:<counter>"`. A text change without a context was written without seeing any
/// other value.
public struct FieldChange: Hashable, Sendable {
    public let entity: String
    public let record: RecordID
    public let field: String
    public let state: FieldState

    public init(entity: String, record: RecordID, field: String, state: FieldState) {
        self.entity = entity
        self.record = record
        self.field = field
        self.state = state
    }

    public var value: Value { state.value }
    public var stamp: Stamp { state.stamp }
}

extension FieldChange: Codable {
    private enum Keys: String, CodingKey {
        case entity, id, field, value, stamp, context
    }

    public init(from decoder: any Decoder) throws {
        let keyed = try decoder.container(keyedBy: Keys.self)
        let entity = try keyed.decode(String.self, forKey: .entity)
        let record = try keyed.decodeRecordID(forKey: .id)
        let stamp = try keyed.decodeStamp(forKey: .stamp)
        // An absent or null context: the change saw no other value.
        let hasContext = try keyed.contains(.context) && !keyed.decodeNil(forKey: .context)
        let context = hasContext ? try keyed.decodeContext(forKey: .context) : nil
        self.init(
            entity: entity,
            record: record,
            field: try keyed.decode(String.self, forKey: .field),
            state: FieldState(value: try keyed.decode(Value.self, forKey: .value), stamp: stamp, context: context)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var keyed = encoder.container(keyedBy: Keys.self)
        try keyed.encode(entity, forKey: .entity)
        try keyed.encode(record.rawValue, forKey: .id)
        try keyed.encode(field, forKey: .field)
        try keyed.encode(state.value, forKey: .value)
        try keyed.encode(state.stamp.description, forKey: .stamp)
        if let context = state.context {
            let entries = Dictionary(
                uniqueKeysWithValues: context.sortedEntries.map { ($0.node.rawValue, "\($0.timestamp)") }
            )
            try keyed.encode(entries, forKey: .context)
        }
    }
}
