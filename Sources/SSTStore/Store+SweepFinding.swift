import GRDB
import SSTCore
import SSTPrivacy

/// Finding the lapsed values a consent sweep purges: read transactions only.
extension Store {
    /// The pupils with values received from the other side that the policy would no longer let cross, of the
    /// whole store: each entity's records in order of their row, ``sweepRecordsPerRead`` at a time, each read
    /// in a transaction of its own, then the text values kept in conflict.
    func lapsedPupilsOfWholeStore(
        identity: NodeIdentity,
        today: CivilDate,
        recordsPerRead: Int = sweepRecordsPerRead
    ) throws -> Set<RecordID> {
        let side = identity.side.other.rawValue
        var found: Set<RecordID> = []
        for entity in schema.entities {
            let table = ColumnCoding.quoted(entity.name)
            var after: Int64 = 0
            while true {
                let (pupils, last) = try writer.read { db -> (Set<RecordID>, Int64?) in
                    let last = try Int64.fetchOne(
                        db,
                        sql:
                            "SELECT max(rowid) FROM (SELECT rowid FROM \(table) WHERE rowid > ? ORDER BY rowid LIMIT ?)",
                        arguments: [after, recordsPerRead]
                    )
                    guard let last else { return ([], nil) }
                    let rows = try Row.fetchCursor(
                        db,
                        sql: """
                            SELECT entity, record_id, field, NULL AS hlc, NULL AS node FROM (
                                \(StampLayout.rows(of: entity.name)) WHERE r.rowid > ?1 AND r.rowid <= ?2
                            ) WHERE source_side = ?3 AND field NOT LIKE '\\_%' ESCAPE '\\'
                            """,
                        arguments: [after, last, side]
                    )
                    let context = StorePrivacyContext(db: db, today: today)
                    return (Set(try lapsedValues(in: rows, of: nil, identity: identity, context: context).keys), last)
                }
                found.formUnion(pupils)
                guard let last else { break }
                after = last
                // No read of the sweep's is open now: a background checkpointer can copy the whole log and
                // restart it (with reads following one another it grew by gigabytes on B10's hub).
                activeCheckpointer.checkpointer?.checkpointAndWait()
            }
        }
        return found.union(
            try writer.read { db in
                let rows = try Row.fetchCursor(
                    db,
                    sql: "SELECT entity, record_id, field, hlc, node FROM sst_conflict WHERE source_side = ?",
                    arguments: [side]
                )
                let context = StorePrivacyContext(db: db, today: today)
                return try lapsedValues(in: rows, of: nil, identity: identity, context: context).keys
            }
        )
    }

    /// The values received from the other side of the given pupils' records that the policy would no longer let
    /// cross, by pupil.
    func lapsedValues(
        of pupils: Set<RecordID>,
        identity: NodeIdentity,
        context: StorePrivacyContext
    ) throws -> [RecordID: [ReceivedValue]] {
        let records = try context.records(of: pupils, schema: schema)
        let rows = try Self.receivedValues(of: records, from: identity.side.other, context.db)
        return try lapsedValues(in: AnyCursor(rows), of: pupils, identity: identity, context: context)
    }

    /// Of `rows` (entity, record_id, field, and for a text value kept in conflict its hlc and node), the values
    /// the policy would no longer let cross, by pupil; with `pupils`, of those pupils only.
    private func lapsedValues(
        in rows: some Cursor<Row>,
        of pupils: Set<RecordID>?,
        identity: NodeIdentity,
        context: StorePrivacyContext
    ) throws -> [RecordID: [ReceivedValue]] {
        var lapsed: [RecordID: [ReceivedValue]] = [:]
        while let row = try rows.next() {
            guard let record = RecordID(row["record_id"]) else { continue }
            let entity: String = row["entity"]
            let field: String = row["field"]
            let conflict = (row["hlc"] as Int64?).flatMap { hlc in
                (row["node"] as String?).map { ConflictKey(hlc: hlc, node: $0) }
            }
            guard let pupil = try context.pupil(entity: entity, record: record),
                pupils?.contains(pupil) ?? true
            else { continue }
            let probe = FieldChange(
                entity: entity,
                record: record,
                field: field,
                state: FieldState(value: .null, stamp: Stamp(timestamp: .zero, node: identity.node))
            )
            if case .withhold = try privacyFilter.decide(
                probe,
                direction: Direction(destination: identity.side),
                context: context
            ) {
                lapsed[pupil, default: []].append(
                    ReceivedValue(entity: entity, record: record, field: field, conflict: conflict)
                )
            }
        }
        return lapsed
    }

    /// The values received from `side` of the given records, as the whole-store query of
    /// ``sweepConsents(pupils:)`` returns them (fields by primary key, so a sweep for a few pupils costs what
    /// their records hold, not what the store holds).
    private static func receivedValues(of records: [RecordKey], from side: Side, _ db: Database) throws -> [Row] {
        var rows: [Row] = []
        for key in records {
            let fields = try db.cachedStatement(
                sql: """
                    SELECT entity, record_id, field, NULL AS hlc, NULL AS node FROM (\(StampLayout.rows(of: key.entity)))
                        WHERE record_id = ?2 AND source_side = ?3 AND field NOT LIKE '\\_%' ESCAPE '\\'
                    UNION ALL
                    SELECT entity, record_id, field, hlc, node FROM sst_conflict
                        WHERE entity = ?1 AND record_id = ?2 AND source_side = ?3
                    """
            )
            rows += try Row.fetchAll(fields, arguments: [key.entity, key.record.rawValue, side.rawValue])
        }
        return rows
    }
}
