import GRDB
import SSTCore

/// The store's migrations. Bookkeeping tables come first; each schema version then creates the entities
/// and adds the fields declared with that `addedIn`, so adding a field is one edit of the schema.
/// A migration that has shipped is never changed.
enum StoreMigrations {
    static func migrator(for schema: Schema) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("bookkeeping-1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE sst_node (
                        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                        node_id TEXT NOT NULL,
                        role TEXT NOT NULL CHECK (role IN ('school', 'hub')),
                        school TEXT,
                        stadsdel TEXT
                    );
                    CREATE TABLE sst_state (
                        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                        last_hlc INTEGER NOT NULL CHECK (last_hlc >= 0),
                        last_seq INTEGER NOT NULL CHECK (last_seq >= 0),
                        max_offset_ms INTEGER NOT NULL CHECK (max_offset_ms >= 0)
                    );
                    CREATE TABLE sst_field (
                        entity TEXT NOT NULL,
                        record_id TEXT NOT NULL,
                        field TEXT NOT NULL,
                        hlc INTEGER NOT NULL,
                        node TEXT NOT NULL,
                        context TEXT,
                        seq INTEGER NOT NULL,
                        PRIMARY KEY (entity, record_id, field)
                    ) WITHOUT ROWID;
                    CREATE UNIQUE INDEX sst_field_seq ON sst_field (seq);
                    CREATE TABLE sst_conflict (
                        entity TEXT NOT NULL,
                        record_id TEXT NOT NULL,
                        field TEXT NOT NULL,
                        hlc INTEGER NOT NULL,
                        node TEXT NOT NULL,
                        value TEXT NOT NULL,
                        context TEXT NOT NULL,
                        PRIMARY KEY (entity, record_id, field, hlc, node)
                    ) WITHOUT ROWID;
                    CREATE TABLE sst_peer (
                        node_id TEXT PRIMARY KEY NOT NULL,
                        cursor INTEGER NOT NULL CHECK (cursor >= 0)
                    );
                    """
            )
        }
        migrator.registerMigration("bookkeeping-2") { db in
            try db.execute(
                sql: """
                    ALTER TABLE sst_field ADD COLUMN source_side TEXT CHECK (source_side IN ('school', 'social'));
                    CREATE TABLE sst_audit (
                        seq INTEGER PRIMARY KEY,
                        at_ms INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        entry TEXT NOT NULL,
                        previous_hash TEXT NOT NULL,
                        hash TEXT NOT NULL
                    );
                    CREATE TRIGGER sst_audit_no_update BEFORE UPDATE ON sst_audit
                        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
                    CREATE TRIGGER sst_audit_no_delete BEFORE DELETE ON sst_audit
                        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
                    CREATE TABLE sst_record_home (
                        entity TEXT NOT NULL,
                        record_id TEXT NOT NULL,
                        school TEXT,
                        stadsdel TEXT,
                        PRIMARY KEY (entity, record_id)
                    ) WITHOUT ROWID;
                    """
            )
        }
        for version in 1...max(1, schema.version) {
            migrator.registerMigration("schema-\(version)") { db in
                try migrateSchema(schema, to: version, db)
            }
        }
        migrator.registerMigration("bookkeeping-3") { db in
            // Each conflict value keeps the side it came from, so a consent sweep can purge it too; the
            // consents whose pupil's data was sent again once they came into force (by the clock or a grant).
            try db.execute(
                sql: """
                    ALTER TABLE sst_conflict ADD COLUMN source_side TEXT CHECK (source_side IN ('school', 'social'));
                    CREATE INDEX sst_conflict_source ON sst_conflict (source_side) WHERE source_side IS NOT NULL;
                    CREATE INDEX sst_field_source ON sst_field (source_side) WHERE source_side IS NOT NULL;
                    CREATE INDEX sst_audit_at ON sst_audit (at_ms);
                    CREATE TABLE sst_consent_in_force (consent_id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
                    """
            )
            for entity in schema.entities { try createLookupIndexes(entity, db) }
        }
        migrator.registerMigration("bookkeeping-4") { db in
            // An index of every received value cost a hub a third B-tree insert per value it received, and
            // a hub receives nearly all it holds: a hub's sweep reads the whole table anyway. Only a school
            // node, which receives little, keeps its received values indexed.
            try db.execute(
                sql: """
                    DROP INDEX sst_field_source;
                    CREATE INDEX sst_field_from_social ON sst_field (source_side) WHERE source_side = 'social';
                    """
            )
        }
        migrator.registerMigration("bookkeeping-5") { db in
            // Set only in a copy made by `Store.backup`: where its log ended, so that the copy, restored,
            // knows at its first handshake whether the hub has changes of this node it lacks.
            try db.execute(
                sql: """
                    CREATE TABLE sst_backup_mark (
                        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                        last_seq INTEGER NOT NULL CHECK (last_seq >= 0),
                        taken_at_ms INTEGER NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("bookkeeping-6") { db in
            // The staff members who may use the node's staff API, by name, with the SHA-256 digest of their
            // token (never the token) and whether they work in elevhälsa (and may read its records). A revoked
            // member keeps the row, for the audit trail's sake.
            try db.execute(
                sql: """
                    CREATE TABLE sst_staff (
                        name TEXT PRIMARY KEY,
                        token_sha256 TEXT NOT NULL UNIQUE,
                        health_records INTEGER NOT NULL DEFAULT 0 CHECK (health_records IN (0, 1)),
                        added_at_ms INTEGER NOT NULL,
                        revoked_at_ms INTEGER
                    );
                    """
            )
        }
        migrator.registerMigration("bookkeeping-7") { db in
            // The highest sequence number `sst changes export` wrote to a file, and the clock then (no stamp in
            // the file is later): what may have left the node besides what the hub acknowledged, which
            // `sst clock repair` never re-stamps.
            try db.execute(
                sql: """
                    CREATE TABLE sst_file_export (
                        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                        up_to INTEGER NOT NULL CHECK (up_to >= 0),
                        last_hlc INTEGER NOT NULL CHECK (last_hlc >= 0)
                    );
                    """
            )
        }
        migrator.registerMigration("mailbox-1") { db in
            // The hub's sealed mailbox of each school (issue 18): ciphertext the hub cannot open, the school's
            // current key (id and epoch, never the key), the key envelopes for its nodes and the nodes it has
            // seen. At a school node, its cursors into the mailbox. See Store+Mailbox.swift.
            try db.execute(
                sql: """
                    CREATE TABLE sst_mailbox_school (
                        school TEXT PRIMARY KEY NOT NULL,
                        key_id TEXT,
                        epoch INTEGER,
                        last_seq INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0)
                    );
                    CREATE TABLE sst_mailbox_blob (
                        school TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('changes', 'snapshot')),
                        key_id TEXT NOT NULL,
                        epoch INTEGER NOT NULL,
                        sender TEXT NOT NULL,
                        covers INTEGER,
                        posted_at_ms INTEGER NOT NULL,
                        bytes BLOB NOT NULL,
                        PRIMARY KEY (school, seq)
                    ) WITHOUT ROWID;
                    CREATE TABLE sst_mailbox_member (
                        school TEXT NOT NULL,
                        serial TEXT NOT NULL,
                        node TEXT NOT NULL,
                        certificate TEXT NOT NULL,
                        first_seen_ms INTEGER NOT NULL,
                        last_seen_ms INTEGER NOT NULL,
                        retired INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1)),
                        PRIMARY KEY (school, serial)
                    ) WITHOUT ROWID;
                    CREATE TABLE sst_mailbox_envelope (
                        school TEXT NOT NULL,
                        key_id TEXT NOT NULL,
                        recipient TEXT NOT NULL,
                        bytes BLOB NOT NULL,
                        PRIMARY KEY (school, key_id, recipient)
                    ) WITHOUT ROWID;
                    CREATE TABLE sst_mailbox_cursor (
                        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                        pushed_up_to INTEGER NOT NULL DEFAULT 0 CHECK (pushed_up_to >= 0),
                        pulled_up_to INTEGER NOT NULL DEFAULT 0 CHECK (pulled_up_to >= 0),
                        snapshot_due INTEGER NOT NULL DEFAULT 0 CHECK (snapshot_due IN (0, 1))
                    );
                    """
            )
        }
        registerCrossingHistory(&migrator, schema: schema)
        registerPendingCrossings(&migrator)
        registerStaffRoles(&migrator)
        registerRecoveryWindow(&migrator)
        registerLogFingerprints(&migrator)
        registerAuditWitness(&migrator)
        registerRecordStamps(&migrator, schema: schema)
        migrator.registerMigration("record-home-schools-1") { db in
            // The district report's schools per stadsdel, found by seeking from pair to pair instead of reading
            // every record's home (a district's hub holds millions; issue 21, B8).
            try db.execute(sql: "CREATE INDEX sst_record_home_school ON sst_record_home (stadsdel, school)")
        }
        migrator.registerMigration("report-case-index-1") { db in
            // The district report counts the live cases per pupil, phase and category from this index alone, in
            // pupil order, instead of reading every case's whole row (its stamps, its concern text; issue 21, B8).
            guard try db.tableExists(EntityName.`case`) else { return }
            let columns = Set(try db.columns(in: EntityName.`case`).map(\.name))
            guard columns.isSuperset(of: [FieldName.pupilID, FieldName.phase, FieldName.category]) else { return }
            try db.execute(
                sql: "CREATE INDEX case_report ON \"case\" (pupil_id, phase, category, _deleted, _purged)"
            )
        }
        registerLogPerWrite(&migrator)
        return migrator
    }

    /// Indexes on the columns that find a pupil's or a case's records (the privacy context, backfill and
    /// routing look records up by them). Idempotent.
    private static func createLookupIndexes(_ entity: EntitySchema, _ db: Database) throws {
        let references = entity.fields.filter { $0.role == .pupilReference || $0.role == .caseReference }
        for field in references.map(\.name) {
            let table = ColumnCoding.quoted(entity.name)
            let index = ColumnCoding.quoted("\(entity.name)_\(field)")
            let exists = try db.columns(in: entity.name).contains { $0.name == field }
            guard exists else { continue }
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(index) ON \(table) (\(ColumnCoding.quoted(field)))")
        }
    }

    private static func migrateSchema(_ schema: Schema, to version: Int, _ db: Database) throws {
        for entity in schema.entities {
            let table = ColumnCoding.quoted(entity.name)
            if entity.addedIn == version {
                let columns = entity.fields.filter { $0.addedIn <= version }.map(ColumnCoding.columnDefinition)
                // An entity added after record-stamps-1 has its stamps column from the start.
                let stamps = try db.tableExists("sst_log") ? ["\(StampLayout.column) TEXT"] : []
                let definitions =
                    ["id TEXT PRIMARY KEY NOT NULL"] + columns + [
                        "_deleted INTEGER NOT NULL DEFAULT 0 CHECK (_deleted IN (0, 1))",
                        "_purged INTEGER NOT NULL DEFAULT 0 CHECK (_purged IN (0, 1))",
                    ] + stamps
                try db.execute(sql: "CREATE TABLE \(table) (\(definitions.joined(separator: ", ")))")
            } else if entity.addedIn < version {
                for field in entity.fields where field.addedIn == version {
                    try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN \(ColumnCoding.columnDefinition(field))")
                }
            }
            // Schema versions 1 and 2 shipped without lookup indexes; bookkeeping-3 adds theirs.
            if version > 2, entity.addedIn <= version { try createLookupIndexes(entity, db) }
        }
    }
}
