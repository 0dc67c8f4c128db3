import GRDB
import SSTCore
import SSTPrivacy

/// What a set from the other side sets off besides its merge: pupils whose consent or protection it may
/// change (swept after the merge), the resend of a pupil's fields when a consent comes into force or a
/// protection is lifted, and the purge receipts it brings.
extension Store {
    /// Gives every field of the pupil's records a new sequence number, so that the next export sends them
    /// again with their original stamps: the backfill when a consent comes into force. A field already numbered
    /// in this transaction (the set that brings the consent also brought it) is new to every peer and keeps its
    /// number.
    package static func resend(pupil: RecordID, _ session: inout MergeSession) throws {
        // The context's day does not matter: only its record lookups are used.
        let records = try StorePrivacyContext(db: session.db, today: CivilDate(millisecondsSinceEpoch: 0))
            .records(of: [pupil], schema: session.schema)
        for key in records {
            try StampLayout.resequence(
                entity: key.entity,
                record: key.record.rawValue,
                numberedUpTo: session.state.loadedSequence,
                next: { session.state.nextSequence() },
                session.db
            )
        }
    }

    /// The pupils whose consent records the set changes (their consent may have come into force or lapsed),
    /// found through `context`, which answers as after the merge. The pupils whose protection the set may
    /// change are found before the merge, by ``pupilsWhoseProtectionMayChange(_:_:)``.
    static func pupilsWithConsentChanges(_ changeSet: ChangeSet, context: some PrivacyContext) throws -> Set<RecordID> {
        var pupils: Set<RecordID> = []
        let consent = SchemaRoles.sst.consent
        for change in changeSet.changes where change.entity == consent {
            if let pupil = try context.pupil(entity: consent, record: change.record) { pupils.insert(pupil) }
        }
        return pupils
    }

    /// Before a merge: the pupils whose protected identity the set may switch on or off — it sets the flag, or
    /// it sends the flag for a pupil who has it here. A pupil's flag sent as false when it is not set here (a
    /// new pupil, or the flag sent again) changes nothing and costs no sweep.
    static func pupilsWhoseProtectionMayChange(_ changeSet: ChangeSet, _ db: Database) throws -> Set<RecordID> {
        // A context of its own: it reads the state before the merge, and its cache must not outlive it. Only its
        // protection lookup is used, so the day it judges consents on does not matter.
        let before = StorePrivacyContext(db: db, today: CivilDate(millisecondsSinceEpoch: 0))
        var pupils: Set<RecordID> = []
        let (pupil, flag) = (SchemaRoles.sst.pupil, SchemaRoles.sst.protectionFlag)
        for change in changeSet.changes where change.entity == pupil && change.field == flag {
            if try change.value == .boolean(true) || before.hasProtectedIdentity(pupil: change.record) {
                pupils.insert(change.record)
            }
        }
        return pupils
    }

    /// The pupils whose identity a write may free for the other side, read before it: those protected here
    /// that it flags (it may lift the protection), and those that reports of concern in it name — by a
    /// `pupil_id` in it or as stored — who have no live report yet (it may file their first). After the
    /// write, ``resendFreed(_:)`` gives each pupil it did free new sequence numbers, as a consent coming into
    /// force does, so that what was withheld is sent at the next export (the other side erased what it held
    /// when the protection came, and never had what no basis let cross).
    struct WithheldIdentities {
        private let protected: Set<RecordID>
        private let unreported: Set<RecordID>

        init(before changes: [FieldChange], _ db: Database) throws {
            let context = StorePrivacyContext(db: db, today: CivilDate(millisecondsSinceEpoch: 0))
            let roles = SchemaRoles.sst
            var flagged: Set<RecordID> = []
            var named: Set<RecordID> = []
            var reports: Set<RecordKey> = []
            for change in changes {
                if change.entity == roles.pupil, change.field == roles.protectionFlag { flagged.insert(change.record) }
                guard let duty = roles.legalDuty.first(where: { $0.entity == change.entity }) else { continue }
                if change.field == duty.pupilField, case .string(let text) = change.value, let pupil = RecordID(text) {
                    named.insert(pupil)
                }
                if reports.insert(RecordKey(entity: duty.entity, record: change.record)).inserted,
                    let stored = try context.reference(
                        entity: duty.entity,
                        record: change.record,
                        column: duty.pupilField
                    )
                {
                    named.insert(stored)
                }
            }
            protected = try flagged.filter { try context.hasProtectedIdentity(pupil: $0) }
            unreported = try named.filter { try !context.hasConcernReport(pupil: $0) }
        }

        func resendFreed(_ session: inout MergeSession) throws {
            guard !protected.isEmpty || !unreported.isEmpty else { return }
            let now = StorePrivacyContext(db: session.db, today: CivilDate(millisecondsSinceEpoch: 0))
            let lifted = try protected.filter { try !now.hasProtectedIdentity(pupil: $0) }
            let reported = try unreported.filter { try now.hasConcernReport(pupil: $0) }
            for pupil in lifted.union(reported).sorted() { try Store.resend(pupil: pupil, &session) }
        }
    }

    /// The purge receipts in a set that this node has not seen before.
    static func newReceipts(_ changeSet: ChangeSet, _ db: Database) throws -> Set<RecordID> {
        var receipts: Set<RecordID> = []
        let entity = SchemaRoles.sst.purgeReceipt
        for change in changeSet.changes where change.entity == entity && !receipts.contains(change.record) {
            let known =
                try Bool.fetchOne(
                    db,
                    sql: "SELECT EXISTS (SELECT 1 FROM \(ColumnCoding.quoted(entity)) WHERE id = ?)",
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
                    sql: "SELECT * FROM \(ColumnCoding.quoted(SchemaRoles.sst.purgeReceipt)) WHERE id = ?",
                    arguments: [receipt.rawValue]
                )
            else { continue }
            let fields = ColumnCoding.value(row[FieldName.fields], type: .stringList)
            try appendAudit(
                AuditEntry(
                    kind: .purgeAcknowledged,
                    atMilliseconds: at,
                    peer: peer,
                    pupil: (row[SchemaRoles.sst.purgeReceiptPupil] as String?).flatMap(RecordID.init),
                    fields: { if case .list(let items) = fields { items } else { [] } }(),
                    basis: (row[FieldName.consentID] as String?).map { "consent \($0)" },
                    detail: "purged at \(row[FieldName.purgedAt] as String? ?? "?") (receipt \(receipt))"
                ),
                db
            )
        }
    }
}
