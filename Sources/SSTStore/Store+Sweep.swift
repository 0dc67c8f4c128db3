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
    /// 110 ms on a 10M-value hub, and a push waited for all of it (issue 21, B10); a write of 8 took up to
    /// 63 ms, and a push that began with it took 81 ms.
    static let sweepPupilsPerWrite = 4

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
