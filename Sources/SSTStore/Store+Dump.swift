import GRDB
import SSTCore

extension Store {
    /// Writes the canonical full state: every record's fields with value and stamp, then the conflicts.
    ///
    /// The text is ``CanonicalJSON`` and contains no node-local bookkeeping (sequence numbers, cursors,
    /// the clock), so converged replicas dump identical bytes. Records stream one at a time: one scan of
    /// each entity's stamps in record order, and one read of each record's row.
    public func dump(to write: (String) throws -> Void) throws {
        try writer.read { db in
            let session = try MergeSession(db: db, schema: schema, state: ClockState.load(db))
            try write("{\n  \"conflicts\": ")
            try write(try conflictsJSON(db).rendered(level: 1))
            try write(",\n  \"format\": \"sst-dump\",\n  \"records\": {")
            let entities = CanonicalJSON.sortedKeys(schema.entities.map(\.name))
            var firstEntity = true
            for name in entities {
                let entity = schema.entity(named: name)!
                let rows = try RawStatement(
                    db,
                    sql: "SELECT record_id, field, hlc, node FROM (\(StampLayout.rows(of: name))) "
                        + "ORDER BY record_id, field"
                )
                defer { rows.reset() }
                var currentRecord: String?
                var members: [String: CanonicalJSON] = [:]
                var firstRecord = true
                func flush() throws {
                    guard let record = currentRecord else { return }
                    if firstRecord {
                        try write((firstEntity ? "\n" : ",\n") + "    ")
                        try write(CanonicalJSON.string(name).rendered() + ": {\n")
                        firstEntity = false
                    } else {
                        try write(",\n")
                    }
                    firstRecord = false
                    try write("      " + CanonicalJSON.string(record).rendered() + ": ")
                    try write(CanonicalJSON.object(members).rendered(level: 3))
                }
                var recordID: RecordID?
                while try rows.step() {
                    let record = rows.text(0) ?? ""
                    if record != currentRecord {
                        try flush()
                        currentRecord = record
                        members = [:]
                        recordID = RecordID(record)
                    }
                    guard let field = entity.field(named: rows.text(1) ?? ""), let recordID else {
                        continue
                    }
                    // The row is the field's stamp; a stamp with a malformed node reads as no state (null).
                    let node = NodeID(rows.text(3) ?? "")
                    var value = Value.null
                    if node != nil { value = try session.columnValue(entity: entity, record: recordID, field: field) }
                    let stamp = Stamp(
                        timestamp: Timestamp(rawValue: UInt64(bitPattern: rows.int64(2))),
                        node: node ?? NodeID("invalid")!
                    )
                    members[field.name] = .object(["stamp": .string(stamp.description), "value": CanonicalJSON(value)])
                }
                try flush()
                if !firstRecord { try write("\n    }") }
            }
            try write(firstEntity ? "},\n" : "\n  },\n")
            try write("  \"version\": 1\n}\n")
        }
    }

    /// The canonical dump as one string (for tests and small stores; the command line streams).
    public func dumpText() throws -> String {
        var output = ""
        try dump { output += $0 }
        return output
    }

    private func conflictsJSON(_ db: Database) throws -> CanonicalJSON {
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT * FROM sst_conflict ORDER BY entity, record_id, field, hlc, node"
        )
        return .array(
            rows.map { row in
                let stamp = "\(Timestamp(rawValue: UInt64(bitPattern: row["hlc"])))@\(row["node"] as String)"
                return .object([
                    "entity": .string(row["entity"]), "id": .string(row["record_id"]), "field": .string(row["field"]),
                    "stamp": .string(stamp), "value": CanonicalJSON(ColumnCoding.value(jsonText: row["value"])),
                ])
            }
        )
    }
}
