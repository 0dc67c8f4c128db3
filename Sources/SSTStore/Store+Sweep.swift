import GRDB
import SSTCore
import SSTPrivacy

/// What a consent sweep did.
public struct SweepReport: Hashable, Sendable {
    public let purgedFields: Int
    public let retainedFields: Int
    public let pupils: [RecordID]
}

extension Store {
    /// Purges (or, if the policy says so, retains) every value received from the other side that the
    /// policy would no longer let cross: its consent was withdrawn or has expired on this node's clock.
    ///
    /// Each purge is audited and answered with a `purge_receipt` record that replicates back to the other
    /// side, so the origin can show the data was let go. Purged values are overwritten in the file and WAL.
    @discardableResult
    public func sweepConsents(pupils: Set<RecordID>? = nil) throws -> SweepReport {
        let identity = try identity()
        let physical = physicalClock.milliseconds()
        let report = try withSession { session in
            let context = StorePrivacyContext(db: session.db, today: CivilDate(millisecondsSinceEpoch: physical))
            let filter = PrivacyFilter(policy: policy, schema: schema)
            let rows = try Row.fetchAll(
                session.db,
                sql:
                    "SELECT entity, record_id, field FROM sst_field WHERE source_side = ? AND field NOT LIKE '\\_%' ESCAPE '\\'",
                arguments: [identity.side.other.rawValue]
            )
            var lapsed: [RecordID: [(entity: String, record: RecordID, field: String)]] = [:]
            for row in rows {
                guard let record = RecordID(row["record_id"]) else { continue }
                let entity: String = row["entity"]
                let field: String = row["field"]
                guard let pupil = try context.pupil(entity: entity, record: record),
                    pupils?.contains(pupil) ?? true
                else { continue }
                let probe = FieldChange(
                    entity: entity,
                    record: record,
                    field: field,
                    state: FieldState(value: .null, stamp: Stamp(timestamp: .zero, node: identity.node))
                )
                if case .withhold = try filter.decide(
                    probe,
                    direction: Direction(destination: identity.side),
                    context: context
                ) {
                    lapsed[pupil, default: []].append((entity, record, field))
                }
            }
            var purged = 0
            var retained = 0
            for pupil in lapsed.keys.sorted() {
                let fields = lapsed[pupil]!
                let lapsedConsents = try context.consents(pupil: pupil).filter { !$0.isInForce(on: context.today) }
                let basis = lapsedConsents.map { "consent \($0.id) \($0.effectiveStatus(on: context.today))" }
                    .sorted().joined(separator: ", ")
                let names = Array(Set(fields.map { "\($0.entity).\($0.field)" }))
                if policy.settings.purgeOnWithdrawal {
                    for field in fields { try Self.erase(field.entity, field.record, field.field, session.db) }
                    purged += fields.count
                    try Self.appendAudit(
                        AuditEntry(
                            kind: .purged,
                            atMilliseconds: physical,
                            direction: Direction(destination: identity.side),
                            pupil: pupil,
                            fields: names,
                            basis: basis.isEmpty ? nil : basis,
                            detail: "received under a consent no longer in force"
                        ),
                        session.db
                    )
                    try writeReceipt(
                        pupil: pupil,
                        consent: lapsedConsents.map(\.id).min(),
                        fields: names,
                        physical: physical,
                        node: identity.node,
                        &session
                    )
                } else {
                    for field in fields {
                        try session.db.execute(
                            sql:
                                "UPDATE sst_field SET source_side = NULL WHERE entity = ? AND record_id = ? AND field = ?",
                            arguments: [field.entity, field.record.rawValue, field.field]
                        )
                    }
                    retained += fields.count
                    try Self.appendAudit(
                        AuditEntry(
                            kind: .retained,
                            atMilliseconds: physical,
                            direction: Direction(destination: identity.side),
                            pupil: pupil,
                            fields: names,
                            basis: basis.isEmpty ? nil : basis,
                            detail: "consent no longer in force; the policy retains received data"
                        ),
                        session.db
                    )
                }
            }
            return SweepReport(purgedFields: purged, retainedFields: retained, pupils: lapsed.keys.sorted())
        }
        if report.purgedFields > 0 { try eraseFreedPages() }
        return report
    }

    /// Erases one field's value, stamp and conflicts on this node only (no purge marker: the field may be
    /// sent again under a new consent).
    static func erase(_ entity: String, _ record: RecordID, _ field: String, _ db: Database) throws {
        try db.execute(
            sql: "UPDATE \(ColumnCoding.quoted(entity)) SET \(ColumnCoding.quoted(field)) = NULL WHERE id = ?",
            arguments: [record.rawValue]
        )
        let key: StatementArguments = [entity, record.rawValue, field]
        try db.execute(sql: "DELETE FROM sst_field WHERE entity = ? AND record_id = ? AND field = ?", arguments: key)
        try db.execute(sql: "DELETE FROM sst_conflict WHERE entity = ? AND record_id = ? AND field = ?", arguments: key)
    }

    private func writeReceipt(
        pupil: RecordID,
        consent: RecordID?,
        fields: [String],
        physical: UInt64,
        node: NodeID,
        _ session: inout MergeSession
    ) throws {
        let entity = schema.entity(named: "purge_receipt")!
        let stamp = Stamp(timestamp: session.state.clock.tick(physical: physical), node: node)
        let record = RecordID.random()
        let values: [String: Value] = [
            "consent_id": consent.map { .string($0.rawValue) } ?? .null,
            "pupil_id": .string(pupil.rawValue),
            "purged_at": .string(InstantText.iso8601(millisecondsSinceEpoch: physical)),
            "fields": .list(fields.sorted()),
            "reason": .string("consent withdrawn or expired"),
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

    /// Gives every field of the pupil's records a new sequence number, so that the next export sends them
    /// again with their original stamps: the backfill when a consent comes into force.
    static func resend(pupil: RecordID, _ session: inout MergeSession) throws {
        var records: [(String, String)] = [("pupil", pupil.rawValue)]
        for entity in session.schema.entities where entity.field(named: "pupil_id") != nil {
            let ids = try String.fetchAll(
                session.db,
                sql: "SELECT id FROM \(ColumnCoding.quoted(entity.name)) WHERE pupil_id = ?",
                arguments: [pupil.rawValue]
            )
            records += ids.map { (entity.name, $0) }
        }
        let cases = records.filter { $0.0 == "case" }.map(\.1)
        for entity in ["intervention", "meeting"] {
            for caseID in cases {
                let ids = try String.fetchAll(
                    session.db,
                    sql: "SELECT id FROM \(ColumnCoding.quoted(entity)) WHERE case_id = ?",
                    arguments: [caseID]
                )
                records += ids.map { (entity, $0) }
            }
        }
        for (entity, record) in records {
            let fields = try String.fetchAll(
                session.db,
                sql: "SELECT field FROM sst_field WHERE entity = ? AND record_id = ? ORDER BY field",
                arguments: [entity, record]
            )
            for field in fields {
                try session.db.execute(
                    sql: "UPDATE sst_field SET seq = ? WHERE entity = ? AND record_id = ? AND field = ?",
                    arguments: [session.state.nextSequence(), entity, record, field]
                )
            }
        }
    }

    /// The pupils whose consent records the set changes (their consent may have come into force or lapsed).
    static func pupilsWithConsentChanges(_ changeSet: ChangeSet, context: StorePrivacyContext) throws -> Set<RecordID> {
        var pupils: Set<RecordID> = []
        for change in changeSet.changes where change.entity == "consent" {
            if let pupil = try context.pupil(entity: "consent", record: change.record) { pupils.insert(pupil) }
        }
        return pupils
    }

    /// The purge receipts in a set that this node has not seen before.
    static func newReceipts(_ changeSet: ChangeSet, _ db: Database) throws -> Set<RecordID> {
        var receipts: Set<RecordID> = []
        for change in changeSet.changes where change.entity == "purge_receipt" && !receipts.contains(change.record) {
            let known =
                try Bool.fetchOne(
                    db,
                    sql: "SELECT EXISTS (SELECT 1 FROM purge_receipt WHERE id = ?)",
                    arguments: [change.record.rawValue]
                ) ?? false
            if !known { receipts.insert(change.record) }
        }
        return receipts
    }

    /// Audits the other side's confirmation that it purged data received under a consent.
    static func auditReceipts(_ receipts: Set<RecordID>, peer: String, at: UInt64, _ db: Database) throws {
        for receipt in receipts.sorted() {
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT * FROM purge_receipt WHERE id = ?",
                    arguments: [receipt.rawValue]
                )
            else { continue }
            let fields = ColumnCoding.value(row["fields"], type: .stringList)
            try appendAudit(
                AuditEntry(
                    kind: .purgeAcknowledged,
                    atMilliseconds: at,
                    peer: peer,
                    pupil: (row["pupil_id"] as String?).flatMap(RecordID.init),
                    fields: { if case .list(let items) = fields { items } else { [] } }(),
                    basis: (row["consent_id"] as String?).map { "consent \($0)" },
                    detail: "purged at \(row["purged_at"] as String? ?? "?") (receipt \(receipt))"
                ),
                db
            )
        }
    }
}
