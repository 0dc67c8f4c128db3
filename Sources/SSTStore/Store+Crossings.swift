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

    /// Remembers the record as crossed when any of its fields may cross to the other side now (judged before a
    /// purge erases what the judgement rests on): its values may have crossed from another node of this side
    /// (a second node of the school, or this node's own copy before it was restored from a backup), whose
    /// history this node does not hold. A purge marker then follows the record; it carries no value, and the
    /// other side takes it even for a record it never received (``takingMarkersAndDroppingPurgedValues``).
    func rememberMayHaveCrossed(entity entityName: String, record: RecordID, _ db: Database) throws {
        guard let entity = schema.entity(named: entityName),
            try Self.crossedRecord(entity: entityName, record: record, db) == nil
        else { return }
        let side = try Self.identity(db).side
        let direction: Direction = side == .school ? .toSocial : .toSchool
        let context = StorePrivacyContext(
            db: db,
            today: CivilDate(millisecondsSinceEpoch: physicalClock.milliseconds())
        )
        let probes = entity.fields.filter { !$0.isSystem }.map { field in
            FieldChange(
                entity: entityName,
                record: record,
                field: field.name,
                state: FieldState(value: .null, stamp: Stamp(timestamp: Timestamp(rawValue: 0), node: NodeID("probe")!))
            )
        }
        guard let allowed = try privacyFilter.filter(probes, direction: direction, context: context).allowed.first
        else { return }
        try db.execute(
            sql: "INSERT OR IGNORE INTO sst_crossed (entity, record_id, pupil_id) VALUES (?, ?, ?)",
            arguments: [entityName, record.rawValue, allowed.pupil?.rawValue]
        )
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
    ///
    /// Also remembers as crossed every record purged here of which the set brings a value: the other side holds
    /// it (its values are dropped here), so this node's purge marker must follow it there, even when the node
    /// that sent the values is another of this side, or this node before a restore. Written before the
    /// decisions, it changes none: the filter asks the history only about markers, and the set brings none for
    /// those records.
    static func newPurges(_ changeSet: ChangeSet, schema: Schema, _ db: Database) throws -> Set<RecordKey> {
        var fresh: Set<RecordKey> = []
        var heldPurged: Set<RecordKey> = []
        var asked: [RecordKey: Bool] = [:]
        func isPurged(_ key: RecordKey) throws -> Bool {
            if let known = asked[key] { return known }
            let purged =
                try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT _purged FROM \(ColumnCoding.quoted(key.entity)) WHERE id = ?"),
                    arguments: [key.record.rawValue]
                ) ?? false
            asked[key] = purged
            return purged
        }
        let markers = Set(
            changeSet.changes.lazy.filter { $0.field == Schema.purgedField || $0.field == Schema.deletedField }
                .map { RecordKey(entity: $0.entity, record: $0.record) }
        )
        // Unknown entities are left to the validation in the merge.
        for change in changeSet.changes where schema.entity(named: change.entity) != nil {
            let key = RecordKey(entity: change.entity, record: change.record)
            if change.field == Schema.purgedField {
                if try !isPurged(key) { fresh.insert(key) }
            } else if !markers.contains(key), try isPurged(key) {
                heldPurged.insert(key)
            }
        }
        for key in heldPurged {
            try db.execute(
                sql: "INSERT OR IGNORE INTO sst_crossed (entity, record_id) VALUES (?, ?)",
                arguments: [key.entity, key.record.rawValue]
            )
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
