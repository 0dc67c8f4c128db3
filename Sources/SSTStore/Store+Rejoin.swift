import GRDB
import SSTCore
import SSTPrivacy

/// What ``Store/rejoin(as:)`` changed.
public struct RejoinReport: Hashable, Sendable {
    /// The node id the data directory had, and the one it has now.
    public let previous: NodeID
    public let node: NodeID
    /// The node's last sequence number: under its new id a school node pushes its whole log once more, and the
    /// schools pull a hub's once more.
    public let lastSequence: Int64
}

extension Store {
    /// Gives a node restored from a backup a new node id, so that it can sync again.
    ///
    /// A school node's backup taken before its last sync holds a log that ends before what the hub has of the
    /// node. Under its old id the node would number its next changes with sequence numbers the hub already has
    /// (the hub would skip them), and its clock, restored too, could stamp a field with a stamp the old node
    /// already used for another value. Under a new id every stamp it makes is new, the hub keeps a new cursor
    /// for it (the node pushes its whole log once more, which the hub merges as no-ops), and what the old id
    /// sent after the backup is no longer the node's own: the hub's pulls bring back what the policy lets
    /// cross to the school. A hub restored likewise would number new changes with sequence numbers the schools
    /// have already pulled past; under a new id the schools' cursors for it start at zero and they pull its
    /// whole log again. Records, stamps, consents, conflicts, cursors and the audit trail are kept; the trail
    /// records the change of id.
    ///
    /// Refuses, changing nothing, the id the node already has, and an id that has written changes this database
    /// holds (another node's: its stamps would no longer be unique).
    @discardableResult
    public func rejoin(as node: NodeID) throws -> RejoinReport {
        let physical = physicalClock.milliseconds()
        return try writer.write { db in
            let identity = try Self.identity(db)
            guard node != identity.node else {
                throw StoreError(
                    .invalidValue,
                    "\(node) is already this node's id",
                    remedy: "Give a node id never used in the district, e.g. \(identity.node)-r2."
                )
            }
            let used =
                try Bool.fetchOne(
                    db,
                    sql: """
                        SELECT EXISTS (SELECT 1 FROM sst_log WHERE node = ?1)
                            OR EXISTS (SELECT 1 FROM sst_conflict WHERE node = ?1)
                        """,
                    arguments: [node.rawValue]
                ) ?? false
            guard !used else {
                throw StoreError(
                    .invalidValue,
                    "node \(node) has written changes this database holds; its stamps would no longer be unique",
                    remedy: "Give a node id never used in the district, e.g. \(identity.node)-r2."
                )
            }
            let lastSequence = try ClockState.load(db).lastSequence
            try db.execute(sql: "UPDATE sst_node SET node_id = ?", arguments: [node.rawValue])
            try db.execute(sql: "DELETE FROM sst_backup_mark")
            try Self.rememberPreviousNodeID(identity.node, at: physical, db)
            try Self.appendAudit(
                AuditEntry(
                    kind: .rejoined,
                    atMilliseconds: physical,
                    detail: "node id \(identity.node) → \(node) (restored from a backup); log up to sequence "
                        + "\(lastSequence) to be \(identity.role == .hub ? "pulled" : "pushed") again"
                ),
                db
            )
            return RejoinReport(previous: identity.node, node: node, lastSequence: lastSequence)
        }
    }
}

extension Store {
    /// Whether this node has taken a new node id after a restore from a backup (``rejoin(as:)``).
    public func hasRejoined() throws -> Bool {
        try writer.read { db in try Self.hasRejoined(db) }
    }

    static func hasRejoined(_ db: Database) throws -> Bool {
        try Bool.fetchOne(
            db,
            sql: "SELECT EXISTS (SELECT 1 FROM sst_audit WHERE kind = ?)",
            arguments: [AuditEntry.Kind.rejoined.rawValue]
        ) ?? false
    }

    /// The refusal of a received set that holds a field the policy forbids, naming the record's pupil. At a node
    /// restored from a backup the likely cause is a consent recorded after the backup, and the remedy says so.
    static func policyViolation(
        _ forbidden: FilterResult.Withheld,
        direction: Direction,
        context: StorePrivacyContext,
        _ db: Database
    ) throws -> ChangeSetError {
        let change = forbidden.change
        let pupil = try? context.pupil(entity: change.entity, record: change.record)
        let about = pupil.map { $0 == change.record ? "" : " (pupil \($0))" } ?? ""
        let message =
            "\(change.entity).\(change.field) of \(change.record)\(about) may not cross \(direction.label): "
            + forbidden.reason
        if direction == .toSchool, pupil == nil, try hasRejoined(db) {
            return ChangeSetError(.policyViolation, message, remedy: unknownRecordRemedy(change))
        }
        guard direction == .toSchool, let pupil, try hasRejoined(db) else {
            return ChangeSetError(
                .policyViolation,
                message,
                remedy: "The sender must filter by the same policy and consent state; nothing was applied."
            )
        }
        let known = try StampLayout.isStamped(entity: EntityName.pupil, record: pupil.rawValue, db)
        let remedy =
            known
            ? "This node was restored from a backup: the pupil's consent was likely recorded after it. Put the "
                + "school key back (`sst school-key recover`) and sync: the consent comes back through the "
                + "school's mailbox. Or record it again under the id the hub holds it by (`sst consent list "
                + "--pupil \(pupil)` on the hub), so that a withdrawal here reaches the hub's copy: `sst consent "
                + "grant --id CONSENT-ID --pupil \(pupil) …`, then sync; nothing was applied."
            : "This node was restored from a backup: pupil \(pupil) was likely entered after it. Enter the pupil "
                + "and a guardian again under that id (`sst record set --entity pupil --id \(pupil) …`), record "
                + "the consent (`sst consent grant --pupil \(pupil) …`), then sync; nothing was applied."
        return ChangeSetError(.policyViolation, message, remedy: remedy)
    }
}
