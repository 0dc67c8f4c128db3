/// The JSON form of a change set.
///
/// Version 2 (written): the changes grouped by record and stamp, so entity, id and stamp travel once for all
/// the fields one write set:
///
/// ```json
/// "records": [
///   {"entity": "case", "id": "…", "stamp": "1795425292833:0@ekbacken-1",
///    "fields": {"category": "absence", "plan": "Motiverande samtal."},
///    "contexts": {"plan": {"ekbacken-1": "1795425292833:0"}}}
/// ]
/// ```
///
/// Version 1 (still read, e.g. older export files): a flat `"changes"` list of ``FieldChange``s.
///
/// Encoding groups consecutive changes of one record at one stamp and writes each group's fields in
/// ascending order; decoding reads them in that order. A set decodes to exactly the changes it was encoded
/// from, with each such run of one record's fields in ascending field order (changes are a set: their order
/// in a change set carries no meaning).
extension ChangeSet: Codable {
    private enum Keys: String, CodingKey {
        case format, version, origin, side, since, upTo, changes, records, policyHash
    }

    public init(from decoder: any Decoder) throws {
        let keyed = try decoder.container(keyedBy: Keys.self)
        let version = try keyed.decode(Int.self, forKey: .version)
        let changes: [FieldChange]
        if version >= 2 {
            changes = try keyed.decode([RecordChanges].self, forKey: .records).flatMap(\.changes)
        } else {
            changes = try keyed.decode([FieldChange].self, forKey: .changes)
        }
        self.init(
            format: try keyed.decode(String.self, forKey: .format),
            version: version,
            origin: try keyed.decode(String.self, forKey: .origin),
            side: try keyed.decode(Side.self, forKey: .side),
            since: try keyed.decode(Int64.self, forKey: .since),
            upTo: try keyed.decode(Int64.self, forKey: .upTo),
            changes: changes,
            policyHash: try keyed.decodeIfPresent(String.self, forKey: .policyHash)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var keyed = encoder.container(keyedBy: Keys.self)
        try keyed.encode(format, forKey: .format)
        try keyed.encode(version, forKey: .version)
        try keyed.encode(origin, forKey: .origin)
        try keyed.encode(side, forKey: .side)
        try keyed.encode(since, forKey: .since)
        try keyed.encode(upTo, forKey: .upTo)
        try keyed.encodeIfPresent(policyHash, forKey: .policyHash)
        if version >= 2 {
            try keyed.encode(RecordChanges.group(changes), forKey: .records)
        } else {
            try keyed.encode(changes, forKey: .changes)
        }
    }
}

/// One entry of a version 2 change set: fields of one record written at one stamp.
struct RecordChanges: Codable {
    let entity: String
    let record: RecordID
    let stamp: Stamp
    /// Field name, value and context, in ascending field order.
    let fields: [(field: String, value: Value, context: CausalContext?)]

    private enum Keys: String, CodingKey {
        case entity, id, stamp, fields, contexts
    }

    /// A member name of `fields` or `contexts`, or a node id in a context.
    private struct Name: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    init(entity: String, record: RecordID, stamp: Stamp, fields: [(String, Value, CausalContext?)]) {
        self.entity = entity
        self.record = record
        self.stamp = stamp
        self.fields = fields.map { (field: $0.0, value: $0.1, context: $0.2) }
    }

    var changes: [FieldChange] {
        fields.map {
            FieldChange(
                entity: entity,
                record: record,
                field: $0.field,
                state: FieldState(value: $0.value, stamp: stamp, context: $0.context)
            )
        }
    }

    /// Groups runs of consecutive changes of one record at one stamp, each run's fields in ascending order (a
    /// field seen twice in a run starts a new entry).
    static func group(_ changes: [FieldChange]) -> [RecordChanges] {
        var groups: [RecordChanges] = []
        var run: [FieldChange] = []
        var names: Set<String> = []
        func close() {
            guard let first = run.first else { return }
            groups.append(
                RecordChanges(
                    entity: first.entity,
                    record: first.record,
                    stamp: first.stamp,
                    fields: run.sorted { $0.field < $1.field }.map { ($0.field, $0.value, $0.state.context) }
                )
            )
            run.removeAll(keepingCapacity: true)
            names.removeAll(keepingCapacity: true)
        }
        for change in changes {
            if let last = run.last,
                last.entity != change.entity || last.record != change.record || last.stamp != change.stamp
                    || names.contains(change.field)
            {
                close()
            }
            run.append(change)
            names.insert(change.field)
        }
        close()
        return groups
    }

    init(from decoder: any Decoder) throws {
        let keyed = try decoder.container(keyedBy: Keys.self)
        entity = try keyed.decode(String.self, forKey: .entity)
        record = try keyed.decodeRecordID(forKey: .id)
        stamp = try keyed.decodeStamp(forKey: .stamp)
        let values = try keyed.nestedContainer(keyedBy: Name.self, forKey: .fields)
        let names = values.allKeys.sorted { $0.stringValue < $1.stringValue }
        guard !names.isEmpty else {
            throw DecodingError.dataCorruptedError(
                forKey: .fields,
                in: keyed,
                debugDescription: "a record entry must set at least one field"
            )
        }
        var contexts: [String: CausalContext] = [:]
        if keyed.contains(.contexts) {
            let entries = try keyed.nestedContainer(keyedBy: Name.self, forKey: .contexts)
            for field in entries.allKeys {
                guard values.contains(field) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: field,
                        in: entries,
                        debugDescription: "a context for \"\(field.stringValue)\", which the entry does not set"
                    )
                }
                contexts[field.stringValue] = try entries.decodeContext(forKey: field)
            }
        }
        fields = try names.map { name in
            (
                field: name.stringValue, value: try values.decode(Value.self, forKey: name),
                context: contexts[name.stringValue]
            )
        }
    }

    func encode(to encoder: any Encoder) throws {
        var keyed = encoder.container(keyedBy: Keys.self)
        try keyed.encode(entity, forKey: .entity)
        try keyed.encode(record.rawValue, forKey: .id)
        try keyed.encode(stamp.description, forKey: .stamp)
        var values = keyed.nestedContainer(keyedBy: Name.self, forKey: .fields)
        for entry in fields {
            try values.encode(entry.value, forKey: Name(stringValue: entry.field))
        }
        let withContext = fields.filter { $0.context != nil }
        guard !withContext.isEmpty else { return }
        var contexts = keyed.nestedContainer(keyedBy: Name.self, forKey: .contexts)
        for entry in withContext {
            guard let context = entry.context else { continue }
            var nodes = contexts.nestedContainer(keyedBy: Name.self, forKey: Name(stringValue: entry.field))
            for item in context.sortedEntries {
                try nodes.encode(item.timestamp.description, forKey: Name(stringValue: item.node.rawValue))
            }
        }
    }
}
