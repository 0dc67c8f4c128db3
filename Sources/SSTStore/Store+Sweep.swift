import GRDB
import SSTCore
import SSTPrivacy

/// What a consent sweep did.
public struct SweepReport: Hashable, Sendable {
    public let purgedFields: Int
    public let retainedFields: Int
    public let pupils: [RecordID]
    /// The longest of the sweep's write transactions, in seconds, and when it began: what a write (a push)
    /// may have waited behind.
    public var longestWrite = 0.0
    public var longestWriteBegan: ContinuousClock.Instant?
}

extension Store {
    /// Purges (or, if the policy says so, retains) every value received from the other side that the
    /// policy would no longer let cross: its consent was withdrawn or has expired on this node's clock.
    ///
    /// Each purge is audited and answered with a `purge_receipt` record that replicates back to the other
    /// side, so the origin can show the data was let go. Purged values are overwritten in the file and WAL.
    ///
    /// Without `pupils` the whole store is read in short read transactions of ``sweepRecordsPerRead`` records
    /// each (a hub holds millions of received values, and pushes must not wait for the scan); the pupils found
    /// are then swept in short write transactions of at most ``sweepPupilsPerWrite`` pupils each, which check
    /// their values again, so that a push waits behind one of them at most, never behind the whole sweep
    /// (issue 21). The freed pages are erased once, at the end.
    @discardableResult
    public func sweepConsents(pupils: Set<RecordID>? = nil) throws -> SweepReport {
        let identity = try identity()
        let physical = physicalClock.milliseconds()
        let today = CivilDate(millisecondsSinceEpoch: physical)
        var chunks: [Set<RecordID>]
        if let pupils {
            chunks = [pupils]
        } else {
            let sorted = try lapsedPupilsOfWholeStore(identity: identity, today: today).sorted()
            chunks = stride(from: 0, to: sorted.count, by: Self.sweepPupilsPerWrite).map {
                Set(sorted[$0..<min($0 + Self.sweepPupilsPerWrite, sorted.count)])
            }
        }
        var purged = 0
        var retained = 0
        var swept: [RecordID] = []
        var longest = (seconds: 0.0, began: ContinuousClock.Instant?.none)
        for chunk in chunks {
            let began = ContinuousClock.now
            let report = try sweepInOneWrite(pupils: chunk, identity: identity, physical: physical, today: today)
            let seconds = (ContinuousClock.now - began).inSeconds
            if seconds > longest.seconds { longest = (seconds, began) }
            purged += report.purgedFields
            retained += report.retainedFields
            swept += report.pupils
        }
        if purged > 0 { try eraseFreedPages() }
        var report = SweepReport(purgedFields: purged, retainedFields: retained, pupils: swept.sorted())
        (report.longestWrite, report.longestWriteBegan) = longest
        return report
    }

    /// How many pupils one write transaction of a whole-store sweep takes at most: a write of 32 took about
    /// 110 ms on a 10M-value hub, and a push waited for all of it (issue 21, B10).
    static let sweepPupilsPerWrite = 8

    /// How many records of one entity a whole-store sweep reads in one read transaction. The log cannot be
    /// checkpointed past a read still open: one read of a whole district's hub (minutes) let it grow for as
    /// long, and the push whose commit next checkpointed copied all of it, over a second (issue 21, B10). Each
    /// read has a privacy context of its own, so the cached lookups stay a few megabytes (B8).
    static let sweepRecordsPerRead = 5_000

    /// Sweeps `pupils` in one write transaction; the caller erases the freed pages.
    private func sweepInOneWrite(
        pupils: Set<RecordID>,
        identity: NodeIdentity,
        physical: UInt64,
        today: CivilDate
    ) throws -> SweepReport {
        try withSession { session in
            let context = StorePrivacyContext(db: session.db, today: today)
            let lapsed = try lapsedValues(of: pupils, identity: identity, context: context)
            var purged = 0
            var retained = 0
            for pupil in lapsed.keys.sorted() {
                var fields = lapsed[pupil]!
                // A protected pupil's identity goes whatever the policy says about retaining.
                if try context.hasProtectedIdentity(pupil: pupil) {
                    let identityFields = fields.filter { isIdentity($0) }
                    fields.removeAll { isIdentity($0) }
                    if !identityFields.isEmpty {
                        try purge(
                            identityFields,
                            pupil: pupil,
                            consent: nil,
                            basis: nil,
                            reason: "the pupil has protected identity: identity and guardian contact are not kept here",
                            at: physical,
                            identity: identity,
                            &session
                        )
                        purged += identityFields.count
                    }
                }
                if fields.isEmpty { continue }
                let lapsedConsents = try context.consents(pupil: pupil).filter { !$0.isInForce(on: context.today) }
                let basis = lapsedConsents.map { "consent \($0.id) \($0.effectiveStatus(on: context.today))" }
                    .sorted().joined(separator: ", ")
                if policy.settings.purgeOnWithdrawal {
                    try purge(
                        fields,
                        pupil: pupil,
                        consent: lapsedConsents.map(\.id).min(),
                        basis: basis.isEmpty ? nil : basis,
                        reason: lapsedConsents.isEmpty
                            ? "received under a basis no longer in force here (no consent in force and no report "
                                + "of concern)"
                            : "received under a consent no longer in force (withdrawn or expired)",
                        at: physical,
                        identity: identity,
                        &session
                    )
                    purged += fields.count
                } else {
                    for value in fields { try Self.keep(value, session.db) }
                    retained += fields.count
                    try Self.appendAudit(
                        AuditEntry(
                            kind: .retained,
                            atMilliseconds: physical,
                            direction: Direction(destination: identity.side),
                            pupil: pupil,
                            fields: Self.names(fields),
                            basis: basis.isEmpty ? nil : basis,
                            detail: "consent no longer in force; the policy retains received data"
                        ),
                        session.db
                    )
                }
            }
            return SweepReport(purgedFields: purged, retainedFields: retained, pupils: lapsed.keys.sorted())
        }
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

    /// A value received from the other side: a field's current value, or one kept in conflict beside it.
    struct ReceivedValue {
        let entity: String
        let record: RecordID
        let field: String
        /// The stamp of the conflict value; nil for the field's current value.
        let conflict: ConflictKey?
    }

    struct ConflictKey {
        let hlc: Int64
        let node: String
    }

    /// Whether a received value is of the classes a protected pupil never has synced (not the flag itself).
    private func isIdentity(_ value: ReceivedValue) -> Bool {
        guard let field = schema.entity(named: value.entity)?.field(named: value.field) else { return false }
        return (field.privacy == .identity || field.privacy == .guardianContact)
            && !(value.entity == SchemaRoles.sst.pupil && field.role == .protectionFlag)
    }

    private static func names(_ values: [ReceivedValue]) -> [String] {
        Array(Set(values.map { "\($0.entity).\($0.field)" }))
    }

    /// Erases received values of one pupil, audits the purge and answers it with a receipt to the origin.
    private func purge(
        _ values: [ReceivedValue],
        pupil: RecordID,
        consent: RecordID?,
        basis: String?,
        reason: String,
        at physical: UInt64,
        identity: NodeIdentity,
        _ session: inout MergeSession
    ) throws {
        for value in values { try Self.erase(value, session.db) }
        let names = Self.names(values)
        try Self.appendAudit(
            AuditEntry(
                kind: .purged,
                atMilliseconds: physical,
                direction: Direction(destination: identity.side),
                pupil: pupil,
                fields: names,
                basis: basis,
                detail: reason
            ),
            session.db
        )
        try writeReceipt(
            pupil: pupil,
            consent: consent,
            fields: names,
            reason: reason,
            physical: physical,
            node: identity.node,
            &session
        )
    }

    /// Erases a received value on this node only (no purge marker: the field may be sent again under a
    /// new consent). A field's current value goes with its stamp and the field's conflicts; a conflict value
    /// goes alone, leaving the field's current value (this side's own) in place.
    static func erase(_ value: ReceivedValue, _ db: Database) throws {
        let key: StatementArguments = [value.entity, value.record.rawValue, value.field]
        let conflicts = "DELETE FROM sst_conflict WHERE entity = ? AND record_id = ? AND field = ?"
        if let conflict = value.conflict {
            try db.execute(
                sql: conflicts + " AND hlc = ? AND node = ?",
                arguments: key + [conflict.hlc, conflict.node]
            )
            return
        }
        try db.execute(
            sql:
                "UPDATE \(ColumnCoding.quoted(value.entity)) SET \(ColumnCoding.quoted(value.field)) = NULL WHERE id = ?",
            arguments: [value.record.rawValue]
        )
        try StampLayout.remove(entity: value.entity, record: value.record.rawValue, field: value.field, db)
        try db.execute(sql: conflicts, arguments: key)
    }

    /// Keeps a received value as this side's own (the policy retains received data when a consent lapses).
    static func keep(_ value: ReceivedValue, _ db: Database) throws {
        let key: StatementArguments = [value.entity, value.record.rawValue, value.field]
        if let conflict = value.conflict {
            try db.execute(
                sql: """
                    UPDATE sst_conflict SET source_side = NULL
                    WHERE entity = ? AND record_id = ? AND field = ? AND hlc = ? AND node = ?
                    """,
                arguments: key + [conflict.hlc, conflict.node]
            )
        } else {
            try StampLayout.clearSourceSide(
                entity: value.entity,
                record: value.record.rawValue,
                field: value.field,
                db
            )
        }
    }

    /// Writes a `purge_receipt` (it replicates back to the side that sent what was purged).
    func writeReceipt(
        pupil: RecordID?,
        consent: RecordID?,
        fields: [String],
        reason: String,
        physical: UInt64,
        node: NodeID,
        _ session: inout MergeSession
    ) throws {
        let entity = schema.entity(withRole: .purgeReceipt)
        // The receipt is this node's own write, even inside the merge of a set from the other side.
        let sourceSide = session.sourceSide
        session.sourceSide = nil
        defer { session.sourceSide = sourceSide }
        let stamp = Stamp(timestamp: session.state.clock.tick(physical: physical), node: node)
        let record = RecordID.random()
        let values: [String: Value] = [
            FieldName.consentID: consent.map { .string($0.rawValue) } ?? .null,
            SchemaRoles.sst.purgeReceiptPupil: pupil.map { .string($0.rawValue) } ?? .null,
            FieldName.purgedAt: .string(InstantText.iso8601(millisecondsSinceEpoch: physical)),
            FieldName.fields: .list(fields.sorted()),
            FieldName.reason: .string(reason),
        ]
        for name in values.keys.sorted() {
            let change = FieldChange(
                entity: entity.name,
                record: record,
                field: name,
                state: FieldState(value: values[name]!, stamp: stamp)
            )
            _ = try session.merge(change, entity: entity, field: entity.field(named: name)!)
        }
    }
}

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
    private func lapsedValues(
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
}
