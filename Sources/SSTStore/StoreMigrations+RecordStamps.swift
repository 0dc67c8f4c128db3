import GRDB
import SSTCore

extension StoreMigrations {
    /// `record-stamps-1`: stamps move from a row of `sst_field` per field into the record's own row, and the
    /// sequence order into `sst_log` (see ``StampLayout``). Every stamp keeps its clock, node, context, side
    /// and sequence number, so the store's state, its log and every peer's cursor into it stay as they were.
    ///
    /// One transaction, like every migration: a process killed half-way leaves the old layout as it was,
    /// and the next open migrates again from the start.
    static func registerRecordStamps(_ migrator: inout DatabaseMigrator, schema: Schema) {
        migrator.registerMigration("record-stamps-1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE sst_log (
                        seq INTEGER PRIMARY KEY,
                        entity TEXT NOT NULL,
                        record_id TEXT NOT NULL,
                        field TEXT NOT NULL,
                        hlc INTEGER NOT NULL,
                        node TEXT NOT NULL
                    );
                    """
            )
            for entity in schema.entities where try db.tableExists(entity.name) {
                let table = ColumnCoding.quoted(entity.name)
                let name: StatementArguments = [entity.name]
                try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN \(StampLayout.column) TEXT")
                // A stamp without a row (none is expected) keeps its record: the row's values read as null,
                // as they did.
                try db.execute(
                    sql: "INSERT OR IGNORE INTO \(table) (id) "
                        + "SELECT DISTINCT record_id FROM sst_field WHERE entity = ?",
                    arguments: name
                )
                try db.execute(
                    sql: """
                        UPDATE \(table) SET \(StampLayout.column) = (
                            SELECT json_group_object(field, json_array(hlc, node, seq, source_side, context))
                            FROM sst_field WHERE entity = ?1 AND record_id = \(table).id
                        ) WHERE id IN (SELECT record_id FROM sst_field WHERE entity = ?1)
                        """,
                    arguments: name
                )
                try db.execute(
                    sql: """
                        INSERT INTO sst_log (seq, entity, record_id, field, hlc, node)
                        SELECT seq, entity, record_id, field, hlc, node FROM sst_field WHERE entity = ? ORDER BY seq
                        """,
                    arguments: name
                )
            }
            try db.execute(sql: "DROP TABLE sst_field")
        }
    }
}
