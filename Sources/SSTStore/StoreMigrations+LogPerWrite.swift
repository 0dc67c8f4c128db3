import GRDB

extension StoreMigrations {
    /// `log-per-write-1`: the log (`sst_log`) has a row per write of a record's fields by one node instead of a
    /// row per field (see ``StampLayout``). Each row of the earlier log becomes a row of one field with the same
    /// key, so every stamp keeps its sequence number and every peer's cursor stays where it was; the clock, now in
    /// the stamps alone, leaves the log.
    ///
    /// One transaction, like every migration: a process killed half-way leaves the earlier log as it was.
    static func registerLogPerWrite(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("log-per-write-1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE sst_log_per_write (
                        seq INTEGER PRIMARY KEY,
                        entity TEXT NOT NULL,
                        record_id TEXT NOT NULL,
                        fields TEXT NOT NULL,
                        width INTEGER NOT NULL,
                        node TEXT NOT NULL
                    );
                    INSERT INTO sst_log_per_write (seq, entity, record_id, fields, width, node)
                    SELECT seq, entity, record_id, field, 1, node FROM sst_log ORDER BY seq;
                    DROP TABLE sst_log;
                    ALTER TABLE sst_log_per_write RENAME TO sst_log;
                    """
            )
        }
    }
}
