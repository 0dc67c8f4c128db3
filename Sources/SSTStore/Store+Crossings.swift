import Foundation
import GRDB
import SSTCore
import SSTPrivacy

/// The crossing history: which records had a value cross the boundary, either way, and the pupil they
/// concerned. A purge (*gallring*) or a deletion follows a record to the side that holds it by this history,
/// not by the record's state, which the purge has erased (`PrivacyFilter`: system fields).
extension StoreMigrations {
    /// `crossings-1`: the history table, filled for an existing node from what it shows of earlier crossings:
    /// every record holding a value received from the other side, and every record of an entity and pupil its
    /// audit trail says it sent.
    static func registerCrossingHistory(_ migrator: inout DatabaseMigrator, schema: Schema) {
        migrator.registerMigration("crossings-1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE sst_crossed (
                        entity TEXT NOT NULL,
                        record_id TEXT NOT NULL,
                        pupil_id TEXT,
                        PRIMARY KEY (entity, record_id)
                    ) WITHOUT ROWID;
                    INSERT OR IGNORE INTO sst_crossed (entity, record_id)
                        SELECT DISTINCT entity, record_id FROM sst_field WHERE source_side IS NOT NULL;
                    INSERT OR IGNORE INTO sst_crossed (entity, record_id)
                        SELECT DISTINCT entity, record_id FROM sst_conflict WHERE source_side IS NOT NULL;
                    """
            )
            // Sent: the audit trail names the pupil and the entity.field names, not the records.
            var sent: [RecordID: Set<String>] = [:]
            for text in try String.fetchAll(db, sql: "SELECT entry FROM sst_audit WHERE entry LIKE '%\"sent\"%'") {
                guard let json = try? JSONDecoder().decode(CanonicalJSON.self, from: Data(text.utf8)),
                    let entry = AuditEntry(json: json), entry.kind == .sent, let pupil = entry.pupil
                else { continue }
                sent[pupil, default: []].formUnion(
                    entry.fields.compactMap { $0.split(separator: ".").first.map(String.init) }
                )
            }
            let context = StorePrivacyContext(db: db, today: CivilDate(millisecondsSinceEpoch: 0))
            for (pupil, entities) in sent {
                for key in try context.records(of: [pupil], schema: schema) where entities.contains(key.entity) {
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO sst_crossed (entity, record_id, pupil_id) VALUES (?, ?, ?)",
                        arguments: [key.entity, key.record.rawValue, pupil.rawValue]
                    )
                }
            }
        }
    }
}

extension Store {
    /// Remembers that the records of `allowed` crossed, in the transaction that audits the crossing.
    static func rememberCrossings(_ allowed: [FilterResult.Allowed], _ db: Database) throws {
        guard !allowed.isEmpty else { return }
        let insert = try RawStatement(
            db,
            sql: "INSERT OR IGNORE INTO sst_crossed (entity, record_id, pupil_id) VALUES (?, ?, ?)"
        )
        var seen: Set<RecordKey> = []
        for item in allowed
        where seen.insert(RecordKey(entity: item.change.entity, record: item.change.record)).inserted {
            insert.bind(1, item.change.entity)
            insert.bind(2, item.change.record.rawValue)
            insert.bind(3, item.pupil?.rawValue)
            try insert.execute()
        }
    }

    /// The record's crossing history (``PrivacyContext/crossedRecord(entity:record:)``), counting a batch sent
    /// and not acknowledged yet (it may be at the receiver).
    static func crossedRecord(entity: String, record: RecordID, _ db: Database) throws -> CrossedRecord? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT pupil_id FROM sst_crossed WHERE entity = ? AND record_id = ?"),
                arguments: [entity, record.rawValue]
            )
        else { return try pendingCrossedRecord(entity: entity, record: record, db) }
        return CrossedRecord(pupil: (row["pupil_id"] as String?).flatMap(RecordID.init))
    }

    /// The records of the set's purge markers that are not purged here yet (asked before the merge): a
    /// replayed purge is acknowledged once.
    static func newPurges(_ changeSet: ChangeSet, schema: Schema, _ db: Database) throws -> Set<RecordKey> {
        var fresh: Set<RecordKey> = []
        // Unknown entities are left to the validation in the merge.
        for change in changeSet.changes
        where change.field == Schema.purgedField && schema.entity(named: change.entity) != nil {
            let purged = try Bool.fetchOne(
                db,
                sql: "SELECT _purged FROM \(ColumnCoding.quoted(change.entity)) WHERE id = ?",
                arguments: [change.record.rawValue]
            )
            if purged != true { fresh.insert(RecordKey(entity: change.entity, record: change.record)) }
        }
        return fresh
    }

    /// Audits each purge (*gallring*) the other side sent that was new here (`fresh`, ``newPurges(_:_:)``) and
    /// erased its values, and answers it with a receipt that replicates back, as a purge after a withdrawal is
    /// answered.
    func acknowledgeReceivedPurges(
        _ allowed: [FilterResult.Allowed],
        fresh: Set<RecordKey>,
        from sender: String,
        direction: Direction,
        at physical: UInt64,
        _ session: inout MergeSession
    ) throws {
        guard !fresh.isEmpty else { return }
        let identity = try Self.identity(session.db)
        for item in allowed
        where item.change.field == Schema.purgedField
            && fresh.contains(RecordKey(entity: item.change.entity, record: item.change.record))
        {
            try Self.appendAudit(
                AuditEntry(
                    kind: .purged,
                    atMilliseconds: physical,
                    direction: direction,
                    peer: sender,
                    pupil: item.pupil,
                    fields: ["\(item.change.entity).\(Schema.purgedField)"],
                    basis: item.grant.description,
                    detail:
                        "gallring of \(item.change.entity) \(item.change.record) at \(sender): its values erased here"
                ),
                session.db
            )
            try writeReceipt(
                pupil: item.pupil,
                consent: nil,
                fields: ["\(item.change.entity).\(Schema.purgedField)"],
                reason: "gallring of \(item.change.entity) \(item.change.record)",
                physical: physical,
                node: identity.node,
                &session
            )
        }
    }
}
