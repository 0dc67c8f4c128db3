import Foundation
import SSTCore

/// The floor of a durable apply (issue 21): plain SQLite with no replication metadata. The same records'
/// values upserted with one prepared statement per record into the entity tables, in one transaction, with
/// the store's settings (`journal_mode=wal`, `synchronous=2`, `secure_delete=1`) — what an application that
/// keeps the same pupils, guardians, absence and cases without syncing them would write. No stamp, no
/// sequence number, no audit; nothing read, merged or checked.
///
/// The database is made by `Store.create`, so the entity tables are the store's own (same columns, CHECK
/// constraints and lookup indexes); the baseline never touches its `sst_*` tables.
final class PlainBaseline {
    /// One record's new values, in the order the change set named its fields (a later value of the same field
    /// replaces an earlier one).
    struct Row {
        let entity: String
        let record: String
        var fields: [String]
        var values: [Value]
    }

    let schema: Schema
    private let database: RawSQLite
    /// One prepared upsert per entity and set of columns.
    private var upserts: [String: OpaquePointer] = [:]

    init(path: String, schema: Schema) throws {
        self.schema = schema
        database = try RawSQLite(path: path)
    }

    /// The settings the baseline runs with, as SQLite reports them.
    func settings() throws -> String {
        try database.settings()
    }

    /// Groups field changes into records, untimed: an application that keeps records has them as rows already.
    static func rows(_ changes: [FieldChange]) -> [Row] {
        var rows: [Row] = []
        var index: [String: Int] = [:]
        for change in changes {
            let key = change.entity + "\u{1F}" + change.record.rawValue
            if let position = index[key] {
                if let existing = rows[position].fields.firstIndex(of: change.field) {
                    rows[position].values[existing] = change.value
                } else {
                    rows[position].fields.append(change.field)
                    rows[position].values.append(change.value)
                }
            } else {
                index[key] = rows.count
                rows.append(
                    Row(
                        entity: change.entity,
                        record: change.record.rawValue,
                        fields: [change.field],
                        values: [change.value]
                    )
                )
            }
        }
        return rows
    }

    /// Upserts `rows` in one transaction, one statement per record.
    func upsert(_ rows: [Row]) throws {
        try database.execute("BEGIN IMMEDIATE")
        for row in rows {
            let statement = try upsert(entity: row.entity, fields: row.fields)
            RawSQLite.bind(statement, 1, row.record)
            for (offset, value) in row.values.enumerated() {
                RawBaseline.bind(value, to: statement, at: Int32(offset + 2))
            }
            try database.run(statement)
        }
        try database.execute("COMMIT")
    }

    private func upsert(entity: String, fields: [String]) throws -> OpaquePointer {
        let key = entity + "\u{1F}" + fields.joined(separator: "\u{1F}")
        if let statement = upserts[key] { return statement }
        let columns = fields.map(RawBaseline.quoted)
        let statement = try database.prepare(
            """
            INSERT INTO \(RawBaseline.quoted(entity)) (id, \(columns.joined(separator: ", ")))
            VALUES (?, \(Array(repeating: "?", count: columns.count).joined(separator: ", ")))
            ON CONFLICT (id) DO UPDATE SET \(columns.map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
            """
        )
        upserts[key] = statement
        return statement
    }
}
