import Foundation
import SSTCore

/// The baseline of B1 and B6: the rows the store ends up holding, written with raw SQLite prepared
/// upserts in one transaction, with the store's schema and settings.
///
/// For every field change, one upsert of the value into its column of the entity's row together with its
/// stamp (hlc, node, local sequence number, text context) into the row's `_stamps`, and one row of the log
/// (`sst_log`), then the sequence counter — the writes the store must make, without reading anything,
/// merging or checking.
final class RawBaseline {
    let schema: Schema
    private let database: RawSQLite
    private let logInsert: OpaquePointer
    private let sequenceUpdate: OpaquePointer
    private let stampRead: OpaquePointer
    private var columnUpserts: [String: [String: OpaquePointer]] = [:]
    private var columnReads: [String: [String: OpaquePointer]] = [:]

    /// Opens the database at `path` (made by `Store.create`, so it has the same schema) and prepares the
    /// statements, so that the timed work is only the transaction.
    init(path: String, schema: Schema) throws {
        self.schema = schema
        database = try RawSQLite(path: path)
        logInsert = try database.prepare(
            "INSERT INTO sst_log (seq, entity, record_id, field, hlc, node) VALUES (?, ?, ?, ?, ?, ?)"
        )
        sequenceUpdate = try database.prepare("UPDATE sst_state SET last_hlc = ?, last_seq = ?")
        stampRead = try database.prepare(
            "SELECT entity, record_id, field, hlc, node, seq FROM sst_log WHERE seq > ? ORDER BY seq"
        )
        for entity in schema.entities {
            let table = Self.quoted(entity.name)
            for field in entity.fields + [entity.field(named: Schema.deletedField)!] {
                let column = Self.quoted(field.name)
                columnUpserts[entity.name, default: [:]][field.name] = try database.prepare(
                    """
                    INSERT INTO \(table) (id, \(column), _stamps)
                    VALUES (?1, ?2, json_object(?3, json_array(?4, ?5, ?6, NULL, ?7)))
                    ON CONFLICT (id) DO UPDATE SET \(column) = excluded.\(column),
                        _stamps = json_patch(coalesce(_stamps, '{}'), excluded._stamps)
                    """
                )
                columnReads[entity.name, default: [:]][field.name] = try database.prepare(
                    "SELECT \(column) FROM \(table) WHERE id = ?"
                )
            }
        }
    }

    /// The settings the baseline runs with, as SQLite reports them.
    func settings() throws -> String {
        try database.settings()
    }

    /// Writes `changes` in one transaction.
    func upsert(_ changes: [FieldChange]) throws {
        try database.execute("BEGIN IMMEDIATE")
        var sequence = Int64(try database.text("SELECT last_seq FROM sst_state") ?? "0") ?? 0
        var newest: UInt64 = 0
        for change in changes {
            guard let entity = schema.entity(named: change.entity), let field = entity.field(named: change.field),
                let columnUpsert = columnUpserts[entity.name]?[field.name]
            else { continue }
            sequence += 1
            newest = max(newest, change.stamp.timestamp.rawValue)
            RawSQLite.bind(columnUpsert, 1, change.record.rawValue)
            Self.bind(change.value, to: columnUpsert, at: 2)
            RawSQLite.bind(columnUpsert, 3, change.field)
            RawSQLite.bind(columnUpsert, 4, Int64(bitPattern: change.stamp.timestamp.rawValue))
            RawSQLite.bind(columnUpsert, 5, change.stamp.node.rawValue)
            RawSQLite.bind(columnUpsert, 6, sequence)
            RawSQLite.bind(columnUpsert, 7, field.merge == .text ? Self.contextText(change.state.textContext) : nil)
            try database.run(columnUpsert)

            RawSQLite.bind(logInsert, 1, sequence)
            RawSQLite.bind(logInsert, 2, change.entity)
            RawSQLite.bind(logInsert, 3, change.record.rawValue)
            RawSQLite.bind(logInsert, 4, change.field)
            RawSQLite.bind(logInsert, 5, Int64(bitPattern: change.stamp.timestamp.rawValue))
            RawSQLite.bind(logInsert, 6, change.stamp.node.rawValue)
            try database.run(logInsert)
        }
        RawSQLite.bind(sequenceUpdate, 1, Int64(bitPattern: newest))
        RawSQLite.bind(sequenceUpdate, 2, sequence)
        try database.run(sequenceUpdate)
        try database.execute("COMMIT")
    }

    /// Reads, in sequence order, every log row after `since` and the value of its column: the reads
    /// an export must make, without building changes or reading contexts.
    func read(since: Int64) throws -> Int {
        let stamps = stampRead
        try database.execute("BEGIN")
        var count = 0
        RawSQLite.bind(stamps, 1, since)
        while RawSQLite.step(stamps) {
            guard let entity = RawSQLite.text(stamps, 0), let record = RawSQLite.text(stamps, 1),
                let field = RawSQLite.text(stamps, 2), let read = columnReads[entity]?[field]
            else { continue }
            _ = (RawSQLite.int64(stamps, 3), RawSQLite.text(stamps, 4), RawSQLite.int64(stamps, 5))
            RawSQLite.bind(read, 1, record)
            if RawSQLite.step(read) { count += RawSQLite.text(read, 0) == nil ? 0 : 1 }
            RawSQLite.reset(read)
        }
        RawSQLite.reset(stamps)
        try database.execute("COMMIT")
        return count
    }

    static func bind(_ value: Value, to statement: OpaquePointer, at index: Int32) {
        switch value {
        case .null: RawSQLite.bindNull(statement, index)
        case .string(let text): RawSQLite.bind(statement, index, text)
        case .integer(let integer): RawSQLite.bind(statement, index, integer)
        case .boolean(let bool): RawSQLite.bind(statement, index, bool ? 1 : 0)
        case .list(let items):
            RawSQLite.bind(statement, index, CanonicalJSON.array(items.map { .string($0) }).rendered())
        case .phase(let phase): RawSQLite.bind(statement, index, phase.description)
        }
    }

    private static func contextText(_ context: CausalContext) -> String {
        var output = "{"
        for (index, entry) in context.sortedEntries.enumerated() {
            if index > 0 { output += "," }
            CanonicalJSON.renderString(entry.node.rawValue, into: &output)
            output += ":"
            CanonicalJSON.renderString(entry.timestamp.description, into: &output)
        }
        return output + "}"
    }

    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
