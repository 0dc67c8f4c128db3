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
        let idText = try keyed.decode(String.self, forKey: .id)
        guard let record = RecordID(idText) else {
            throw DecodingError.dataCorruptedError(
                forKey: .id,
                in: keyed,
                debugDescription: "\"\(idText)\" is not a record id (a lower-case UUID)"
            )
        }
        let stampText = try keyed.decode(String.self, forKey: .stamp)
        guard let stamp = Stamp(text: stampText) else {
            throw DecodingError.dataCorruptedError(
                forKey: .stamp,
                in: keyed,
                debugDescription: "\"\(stampText)\" is not a stamp of the form <milliseconds>:<counter>@<node>"
            )
        }
        var context: CausalContext?
        if let entries = try keyed.decodeIfPresent([String: String].self, forKey: .context) {
            var decoded: [NodeID: Timestamp] = [:]
            for (nodeText, timestampText) in entries {
                guard let node = NodeID(nodeText), let timestamp = Timestamp(text: timestampText) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .context,
                        in: keyed,
                        debugDescription: "context entry \"\(nodeText)\": \"\(timestampText)\" is not a node id "
                            + "and a <milliseconds>:<counter> timestamp"
                    )
                }
                decoded[node] = timestamp
            }
            context = CausalContext(decoded)
        }
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
