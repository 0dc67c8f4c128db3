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
/// **The log** (`sst_log`) has a row per stamped field, keyed by its sequence number: what changed after a
/// cursor, in order, without an index of its own. A field written again moves to a new sequence number; its
/// old log row goes. Entity, record, field, clock and node are copied there so that the scans by node or by
/// sequence (export, pending counts, recovery) read the log alone.
///
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

    /// Gives a field a new sequence number (a resend, a recovery): its stamp and its log row move.
    static func resequence(entity: String, record: String, field: String, to seq: Int64, _ db: Database) throws {
        let table = ColumnCoding.quoted(entity)
        try db.cachedStatement(
            sql: "UPDATE sst_log SET seq = ?1 WHERE seq = (SELECT _stamps ->> ?2 FROM \(table) WHERE id = ?3)"
        ).execute(arguments: [seq, path(field, .seq), record])
        try db.cachedStatement(sql: "UPDATE \(table) SET _stamps = json_set(_stamps, ?1, ?2) WHERE id = ?3")
            .execute(arguments: [path(field, .seq), seq, record])
    }

    /// Gives each of a record's stamped fields numbered up to `numberedUpTo` a new sequence number from `next`,
    /// in field name order (a resend): their log rows move, and the record's stamps are written once.
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
                sql: "SELECT s.key, s.value ->> \(Position.seq.rawValue) FROM \(table) r, json_each(r._stamps) s "
                    + "WHERE r.id = ? ORDER BY s.key"
            ),
            arguments: [record]
        )
        var paths: [String] = []
        var arguments: StatementArguments = []
        for row in numbered {
            let (field, old): (String, Int64) = (row[0], row[1])
            guard old <= numberedUpTo else { continue }
            let seq = next()
            try db.cachedStatement(sql: "UPDATE sst_log SET seq = ? WHERE seq = ?").execute(arguments: [seq, old])
            paths.append("?, ?")
            arguments += [path(field, .seq), seq]
        }
        guard !paths.isEmpty else { return }
        arguments += [record]
        try db.execute(
            sql: "UPDATE \(table) SET _stamps = json_set(_stamps, \(paths.joined(separator: ", "))) WHERE id = ?",
            arguments: arguments
        )
    }

    /// Re-stamps a field (a clock repair): new clock, context and sequence number, in its stamp and its log row.
    static func restamp(
        entity: String,
        record: String,
        field: String,
        hlc: Int64,
        context: String?,
        seq: Int64,
        _ db: Database
    ) throws {
        let table = ColumnCoding.quoted(entity)
        try db.execute(
            sql: "UPDATE sst_log SET seq = ?1, hlc = ?2 "
                + "WHERE seq = (SELECT _stamps ->> ?3 FROM \(table) WHERE id = ?4)",
            arguments: [seq, hlc, path(field, .seq), record]
        )
        try db.execute(
            sql: "UPDATE \(table) SET _stamps = json_set(_stamps, ?1, ?2, ?3, ?4, ?5, ?6) WHERE id = ?7",
            arguments: [path(field, .hlc), hlc, path(field, .context), context, path(field, .seq), seq, record]
        )
    }

    /// Removes a field's stamp and its log row (the consent sweep erasing a received value).
    static func remove(entity: String, record: String, field: String, _ db: Database) throws {
        let table = ColumnCoding.quoted(entity)
        try db.execute(
            sql: "DELETE FROM sst_log WHERE seq = (SELECT _stamps ->> ?1 FROM \(table) WHERE id = ?2)",
            arguments: [path(field, .seq), record]
        )
        try db.execute(
            sql: "UPDATE \(table) SET _stamps = nullif(json_remove(_stamps, ?1), '{}') WHERE id = ?2",
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
