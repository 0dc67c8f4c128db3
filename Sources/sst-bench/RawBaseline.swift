import Foundation
import SSTCore

/// The baseline of B1 and B6: the rows the store ends up holding, written with raw SQLite prepared
/// upserts in one transaction, with the store's schema and settings.
///
/// For every record (the changes of a record follow one another), one upsert of its values into their
/// columns together with its stamps (hlc, node, local sequence number, text context per field) into the
/// row's `_stamps`, and one row of the log (`sst_log`) per run of its fields by one node (since `log-per-write-1`;
/// before, one per field), then the sequence counter — the writes the store makes, without reading anything,
/// merging or checking.
final class RawBaseline {
    let schema: Schema
    private let database: RawSQLite
    private let logInsert: OpaquePointer
    private let sequenceUpdate: OpaquePointer
    private let stampRead: OpaquePointer
    private var recordUpserts: [String: OpaquePointer] = [:]
    private var columnReads: [String: [String: OpaquePointer]] = [:]

    /// Opens the database at `path` (made by `Store.create`, so it has the same schema) and prepares the
    /// statements, so that the timed work is only the transaction.
    init(path: String, schema: Schema) throws {
        self.schema = schema
        database = try RawSQLite(path: path)
        logInsert = try database.prepare(
            "INSERT INTO sst_log (seq, entity, record_id, fields, width, node) VALUES (?, ?, ?, ?, ?, ?)"
        )
        sequenceUpdate = try database.prepare("UPDATE sst_state SET last_hlc = ?, last_seq = ?")
        stampRead = try database.prepare(
            "SELECT entity, record_id, fields, node, seq FROM sst_log WHERE seq > ? ORDER BY seq"
        )
        for entity in schema.entities {
            let table = Self.quoted(entity.name)
            for field in entity.fields + [entity.field(named: Schema.deletedField)!] {
                let column = Self.quoted(field.name)
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
        var start = changes.startIndex
        while start < changes.endIndex {
            let first = changes[start]
            var end = start
            while end < changes.endIndex, changes[end].record == first.record, changes[end].entity == first.entity {
                end += 1
            }
            guard let entity = schema.entity(named: first.entity) else {
                start = end
                continue
            }
            var values: [String: FieldChange] = [:]
            var stamps = "{"
            var run: (node: String, fields: [String])?
            func logRun() throws {
                guard let (node, fields) = run else { return }
                RawSQLite.bind(logInsert, 1, sequence)
                RawSQLite.bind(logInsert, 2, first.entity)
                RawSQLite.bind(logInsert, 3, first.record.rawValue)
                RawSQLite.bind(logInsert, 4, fields.joined(separator: " "))
                RawSQLite.bind(logInsert, 5, Int64(fields.count))
                RawSQLite.bind(logInsert, 6, node)
                try database.run(logInsert)
            }
            for change in changes[start..<end] {
                guard let field = entity.field(named: change.field) else { continue }
                if let current = run, current.node != change.stamp.node.rawValue {
                    try logRun()
                    run = nil
                }
                sequence += 1
                newest = max(newest, change.stamp.timestamp.rawValue)
                values[field.name] = change
                if stamps.count > 1 { stamps += "," }
                CanonicalJSON.renderString(field.name, into: &stamps)
                stamps += ":[\(Int64(bitPattern: change.stamp.timestamp.rawValue)),"
                CanonicalJSON.renderString(change.stamp.node.rawValue, into: &stamps)
                stamps += ",\(sequence),null,"
                if field.merge == .text {
                    CanonicalJSON.renderString(Self.contextText(change.state.textContext), into: &stamps)
                } else {
                    stamps += "null"
                }
                stamps += "]"
                run = (change.stamp.node.rawValue, (run?.fields ?? []) + [field.name])
            }
            try logRun()
            let columns = values.keys.sorted()
            let upsert = try recordUpsert(entity: entity.name, columns: columns)
            RawSQLite.bind(upsert, 1, first.record.rawValue)
            RawSQLite.bind(upsert, 2, stamps + "}")
            for (offset, column) in columns.enumerated() {
                Self.bind(values[column]!.value, to: upsert, at: Int32(offset + 3))
            }
            try database.run(upsert)
            start = end
        }
        RawSQLite.bind(sequenceUpdate, 1, Int64(bitPattern: newest))
        RawSQLite.bind(sequenceUpdate, 2, sequence)
        try database.run(sequenceUpdate)
        try database.execute("COMMIT")
    }

    private func recordUpsert(entity: String, columns: [String]) throws -> OpaquePointer {
        let key = entity + "\u{1F}" + columns.joined(separator: "\u{1F}")
        if let statement = recordUpserts[key] { return statement }
        let quoted = columns.map(Self.quoted)
        let statement = try database.prepare(
            """
            INSERT INTO \(Self.quoted(entity)) (id, _stamps\(quoted.map { ", \($0)" }.joined()))
            VALUES (?, ?\(String(repeating: ", ?", count: columns.count)))
            ON CONFLICT (id) DO UPDATE SET _stamps = excluded._stamps\(quoted.map { ", \($0) = excluded.\($0)" }.joined())
            """
        )
        recordUpserts[key] = statement
        return statement
    }

    /// Reads, in sequence order, every log row after `since` and the value of each of its fields' columns: the
    /// reads an export must make, without building changes or reading stamps and contexts.
    func read(since: Int64) throws -> Int {
        let stamps = stampRead
        try database.execute("BEGIN")
        var count = 0
        RawSQLite.bind(stamps, 1, since)
        while RawSQLite.step(stamps) {
            guard let entity = RawSQLite.text(stamps, 0), let record = RawSQLite.text(stamps, 1),
                let fields = RawSQLite.text(stamps, 2)
            else { continue }
            _ = (RawSQLite.text(stamps, 3), RawSQLite.int64(stamps, 4))
            for field in fields.split(separator: " ") {
                guard let read = columnReads[entity]?[String(field)] else { continue }
                RawSQLite.bind(read, 1, record)
                if RawSQLite.step(read) { count += RawSQLite.text(read, 0) == nil ? 0 : 1 }
                RawSQLite.reset(read)
            }
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
