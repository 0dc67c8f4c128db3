import GRDB
import SSTCore

/// Where the store keeps each field's stamp, and the log of changes in sequence order.
///
/// **Stamps** live beside the values, in the record's own row: the column `_stamps` of each entity table
/// holds one JSON object per record, a member per stamped field:
///
///     {"given_name": [hlc, "node", seq, "school" | null, "context" | null], …}
///
/// (the hybrid logical clock as a signed 64-bit integer, the writing node, the local sequence number, the side
/// the value was received from — nil for this side's own — and the causal context as text). A record with
/// no stamp has `_stamps` NULL. Writing a field's value and its stamp is one statement on one row.
///
/// **The log** (`sst_log`) has a row per write of a record's fields by one node: the fields a write gave
/// consecutive sequence numbers, in the order of their numbers (`fields`, names separated by a space), how many
/// they are (`width`), the node whose stamps they carry, keyed by the last of the numbers. A change set's fields
/// of one record cost one log row, not one each. A field written again moves to a new row; the row it leaves
/// keeps its other fields, and goes when it has none. The rows' ranges of numbers (from the first field's to
/// the key) never overlap — a write takes numbers no row has reached — so the row holding a field numbered `n`
/// is the first row keyed at or after `n`, and the fields numbered up to a cursor are the fields of the rows
/// keyed up to it plus, in the row where the cursor falls, those numbered up to it. The scans by node or by
/// sequence (export, pending counts, recovery) read the log and each record's stamps.
///
/// Until `log-per-write-1`, the log had a row per field (entity, record, field, clock, node).
/// Until `record-stamps-1` (see ``StoreMigrations``), stamps were rows of `sst_field`, keyed by entity,
/// record id and field name, with an index by sequence number: three B-tree writes per field, one of them
/// at a random place in a table as big as the store.
package enum StampLayout {
    /// The column of every entity table that holds the record's stamps.
    static let column = "_stamps"

    /// The positions in a field's stamp array.
    enum Position: Int {
        case hlc = 0
        case node = 1
        case seq = 2
        case sourceSide = 3
        case context = 4
    }

    /// A JSON path to a field's stamp, or to one part of it.
    static func path(_ field: String, _ part: Position? = nil) -> String {
        "$.\"\(field)\"" + (part.map { "[\($0.rawValue)]" } ?? "")
    }

    /// The stamps of one entity's records as rows of (entity, record_id, field, hlc, node, seq, source_side,
    /// context), for use as a subquery; a condition on `record_id` uses the table's key.
    package static func rows(of entity: String) -> String {
        let table = ColumnCoding.quoted(entity)
        let literal = "'" + entity.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'"
        return """
            SELECT \(literal) AS entity, r.id AS record_id, s.key AS field, s.value ->> 0 AS hlc, \
            s.value ->> 1 AS node, s.value ->> 2 AS seq, s.value ->> 3 AS source_side, \
            s.value ->> 4 AS context FROM \(table) r, json_each(r._stamps) s
            """
    }

    /// Every stamp of the store, as a common table expression named `sst_stamps` with the columns of
    /// ``rows(of:)``: `WITH \(StampLayout.all(schema)) SELECT … FROM sst_stamps`.
    package static func all(_ schema: Schema) -> String {
        "sst_stamps AS (" + schema.entities.map { rows(of: $0.name) }.joined(separator: " UNION ALL ") + ")"
    }

    /// One row of the log: fields of one record with consecutive numbers, stamped by one node.
    struct LogRow: Equatable {
        /// The last field's sequence number, the row's key.
        var seq: Int64
        var fields: [String]
        var node: String
    }

    /// The log rows of fields given new numbers in one write of a record: runs of fields that follow one another
    /// in number order with the same node, each keyed by its last number.
    static func logRows(_ written: [(field: String, node: String, seq: Int64)]) -> [LogRow] {
        var rows: [LogRow] = []
        for entry in written.sorted(by: { $0.seq < $1.seq }) {
            if let last = rows.last, last.node == entry.node {
                rows[rows.count - 1].seq = entry.seq
                rows[rows.count - 1].fields.append(entry.field)
            } else {
                rows.append(LogRow(seq: entry.seq, fields: [entry.field], node: entry.node))
            }
        }
        return rows
    }

    /// A row's field names as the log stores them, and back.
    static func fieldsText(_ fields: [String]) -> String { fields.joined(separator: " ") }
    static func fields(_ text: String) -> [Substring] { text.split(separator: " ") }

    /// A record's stamps by field: clock, node and sequence number.
    static func numbers(
        entity: String,
        record: String,
        _ db: Database
    ) throws -> [String: (
        hlc: Int64, node: String, seq: Int64
    )] {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT s.key, s.value ->> 0, s.value ->> 1, s.value ->> 2 "
                    + "FROM \(ColumnCoding.quoted(entity)) r, json_each(r._stamps) s WHERE r.id = ?"
            ),
            arguments: [record]
        )
        var numbers: [String: (hlc: Int64, node: String, seq: Int64)] = [:]
        for row in rows { numbers[row[0]] = (row[1], row[2], row[3]) }
        return numbers
    }

    /// The log's fields numbered after `cursor` whose stamps are not `node`'s: the rows keyed after it, less the
    /// fields numbered up to it in the row where it falls (the first of them).
    static func fieldsLogged(after cursor: Int64, notBy node: String?, _ db: Database) throws -> Int64 {
        let total =
            try Int64.fetchOne(
                db,
                sql: "SELECT coalesce(sum(width), 0) FROM sst_log WHERE seq > ? AND node IS NOT ?",
                arguments: [cursor, node]
            ) ?? 0
        guard
            let first = try Row.fetchOne(
                db,
                sql: "SELECT entity, record_id, fields, node FROM sst_log WHERE seq > ? ORDER BY seq LIMIT 1",
                arguments: [cursor]
            ), first[3] as String? != node
        else { return total }
        let numbers = try numbers(entity: first[0], record: first[1], db)
        let sent = fields(first[2] as String).filter { (numbers[String($0)]?.seq ?? .max) <= cursor }
        return total - Int64(sent.count)
    }

    /// Adds the rows of a record's fields written under new numbers (see ``logRows(_:)``).
    static func log(entity: String, record: String, _ rows: [LogRow], _ db: Database) throws {
        let insert = try db.cachedStatement(
            // Numbered marks: not the text of the merge session's statement, which binds GRDB's cached one raw.
            sql: "INSERT INTO sst_log (seq, entity, record_id, fields, width, node) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        )
        for row in rows {
            try insert.execute(arguments: [row.seq, entity, record, fieldsText(row.fields), row.fields.count, row.node])
        }
    }

    /// The statements ``unlog(entity:record:_:using:)`` runs, through the C API: the merge unlogs on every write to
    /// a stored record, and keeps them (``MergeCache``). Numbered marks keep each text apart from any GRDB
    /// query's, whose open cursor must never share the statement.
    struct UnlogStatements {
        let seek: RawStatement
        let update: RawStatement
        let delete: RawStatement

        init(_ db: Database) throws {
            seek = try RawStatement(
                db,
                sql: "SELECT seq, fields, entity = ?1 AND record_id = ?2 FROM sst_log WHERE seq >= ?3 ORDER BY seq "
                    + "LIMIT 1"
            )
            update = try RawStatement(db, sql: "UPDATE sst_log SET fields = ?1, width = ?2 WHERE seq = ?3")
            delete = try RawStatement(db, sql: "DELETE FROM sst_log WHERE seq = ?1")
        }
    }

    /// Takes fields out of the log rows that hold them, given each field's current sequence number (they are
    /// about to get new ones, or to go): a row left with no field goes. One seek per row: the numbers in order,
    /// each row found as the first keyed at or after a number holds every later number up to its key.
    /// A row that is not the record's (the log would have to be wrong) is left as it is.
    static func unlog(
        entity: String,
        record: String,
        _ numbered: [(field: String, seq: Int64)],
        _ db: Database
    ) throws {
        guard !numbered.isEmpty else { return }
        try unlog(entity: entity, record: record, numbered, using: UnlogStatements(db))
    }

    /// ``unlog(entity:record:_:_:)`` with statements prepared before.
    static func unlog(
        entity: String,
        record: String,
        _ numbered: [(field: String, seq: Int64)],
        using statements: UnlogStatements
    ) throws {
        let (seek, update, delete) = (statements.seek, statements.update, statements.delete)
        var pending = numbered.sorted { $0.seq < $1.seq }[...]
        while let first = pending.first {
            seek.bind(1, entity)
            seek.bind(2, record)
            seek.bind(3, first.seq)
            guard try seek.step() else {
                seek.reset()
                return
            }
            let (key, held, isRecords) = (seek.int64(0), seek.text(1) ?? "", seek.int64(2) != 0)
            seek.reset()
            let leaving = pending.prefix { $0.seq <= key }
            pending = pending.dropFirst(max(1, leaving.count))
            guard isRecords else { continue }
            let kept = fields(held).filter { name in !leaving.contains { $0.field == name } }
            if kept.isEmpty {
                delete.bind(1, key)
                try delete.execute()
            } else {
                update.bind(1, kept.joined(separator: " "))
                update.bind(2, Int64(kept.count))
                update.bind(3, key)
                try update.execute()
            }
        }
    }

    /// A field's sequence number and node, from its stamp; nil when the record has no stamp of it.
    private static func numbered(
        entity: String,
        record: String,
        field: String,
        _ db: Database
    ) throws -> (
        seq: Int64, node: String
    )? {
        let row = try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT _stamps ->> ?1, _stamps ->> ?2 FROM \(ColumnCoding.quoted(entity)) WHERE id = ?3"
            ),
            arguments: [path(field, .seq), path(field, .node), record]
        )
        guard let row, let seq = row[0] as Int64?, let node = row[1] as String? else { return nil }
        return (seq, node)
    }

    /// Gives a field a new sequence number (a resend, a recovery): its stamp moves, and it leaves its log row
    /// for a row of its own.
    static func resequence(entity: String, record: String, field: String, to seq: Int64, _ db: Database) throws {
        guard let old = try numbered(entity: entity, record: record, field: field, db) else { return }
        try unlog(entity: entity, record: record, [(field, old.seq)], db)
        try log(entity: entity, record: record, [LogRow(seq: seq, fields: [field], node: old.node)], db)
        try db.cachedStatement(
            sql: "UPDATE \(ColumnCoding.quoted(entity)) SET _stamps = json_set(_stamps, ?1, ?2) WHERE id = ?3"
        ).execute(arguments: [path(field, .seq), seq, record])
    }

    /// Gives each of a record's stamped fields numbered up to `numberedUpTo` a new sequence number from `next`,
    /// in field name order (a resend): they leave their log rows for new ones, and the record's stamps are
    /// written once.
    static func resequence(
        entity: String,
        record: String,
        numberedUpTo: Int64,
        next: () -> Int64,
        _ db: Database
    ) throws {
        let table = ColumnCoding.quoted(entity)
        let numbered = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT s.key, s.value ->> \(Position.seq.rawValue), s.value ->> \(Position.node.rawValue) "
                    + "FROM \(table) r, json_each(r._stamps) s WHERE r.id = ? ORDER BY s.key"
            ),
            arguments: [record]
        )
        var old: [(field: String, seq: Int64)] = []
        var new: [(field: String, node: String, seq: Int64)] = []
        for row in numbered {
            let (field, seq, node): (String, Int64, String) = (row[0], row[1], row[2])
            guard seq <= numberedUpTo else { continue }
            old.append((field, seq))
            new.append((field, node, next()))
        }
        guard !new.isEmpty else { return }
        try unlog(entity: entity, record: record, old, db)
        try log(entity: entity, record: record, logRows(new), db)
        let paths = Array(repeating: "?, ?", count: new.count).joined(separator: ", ")
        var arguments: StatementArguments = []
        for entry in new { arguments += [path(entry.field, .seq), entry.seq] }
        arguments += [record]
        try db.execute(
            sql: "UPDATE \(table) SET _stamps = json_set(_stamps, \(paths)) WHERE id = ?",
            arguments: arguments
        )
    }

    /// Re-stamps a field (a clock repair): new clock, context and sequence number in its stamp, and a log row
    /// of its own.
    static func restamp(
        entity: String,
        record: String,
        field: String,
        hlc: Int64,
        context: String?,
        seq: Int64,
        _ db: Database
    ) throws {
        guard let old = try numbered(entity: entity, record: record, field: field, db) else { return }
        try unlog(entity: entity, record: record, [(field, old.seq)], db)
        try log(entity: entity, record: record, [LogRow(seq: seq, fields: [field], node: old.node)], db)
        try db.execute(
            sql: "UPDATE \(ColumnCoding.quoted(entity)) SET _stamps = json_set(_stamps, ?1, ?2, ?3, ?4, ?5, ?6) "
                + "WHERE id = ?7",
            arguments: [path(field, .hlc), hlc, path(field, .context), context, path(field, .seq), seq, record]
        )
    }

    /// Removes a field's stamp and takes it out of its log row (the consent sweep erasing a received value).
    static func remove(entity: String, record: String, field: String, _ db: Database) throws {
        if let old = try numbered(entity: entity, record: record, field: field, db) {
            try unlog(entity: entity, record: record, [(field, old.seq)], db)
        }
        try db.execute(
            sql: "UPDATE \(ColumnCoding.quoted(entity)) SET _stamps = nullif(json_remove(_stamps, ?1), '{}') "
                + "WHERE id = ?2",
            arguments: [path(field), record]
        )
    }

    /// Marks a field's value as this side's own (the policy retains a received value).
    static func clearSourceSide(entity: String, record: String, field: String, _ db: Database) throws {
        try db.execute(
            sql: "UPDATE \(ColumnCoding.quoted(entity)) SET _stamps = json_set(_stamps, ?1, NULL) WHERE id = ?2",
            arguments: [path(field, .sourceSide), record]
        )
    }

    /// Whether the record has any stamp here.
    package static func isStamped(entity: String, record: String, _ db: Database) throws -> Bool {
        try Bool.fetchOne(
            db,
            sql: "SELECT EXISTS (SELECT 1 FROM \(ColumnCoding.quoted(entity)) WHERE id = ? AND _stamps IS NOT NULL)",
            arguments: [record]
        ) ?? false
    }
}
