import Foundation
import GRDB
import SSTCore

// MARK: - A school node's side

extension Store {
    /// This node's cursors into its school's mailbox (all 0 before its first relay).
    public func mailboxCursors() throws -> MailboxCursors {
        try writer.read { db in
            let row = try Row.fetchOne(
                db,
                sql: "SELECT pushed_up_to, pulled_up_to, snapshot_due FROM sst_mailbox_cursor"
            )
            return MailboxCursors(
                pushedUpTo: row?["pushed_up_to"] ?? 0,
                pulledUpTo: row?["pulled_up_to"] ?? 0,
                snapshotDue: row?["snapshot_due"] ?? false
            )
        }
    }

    /// Stores this node's cursors into its school's mailbox.
    public func setMailboxCursors(_ cursors: MailboxCursors) throws {
        try writer.write { db in try Self.saveMailboxCursors(cursors, db) }
    }

    /// Applies a change set opened from the mailbox, sent by another node of this node's school, and moves the
    /// mailbox-pull cursor to `sequence` in the same transaction: all of it or nothing. Returns the apply report.
    @discardableResult
    public func applyFromMailbox(_ changeSet: ChangeSet, sender: PeerIdentity, sequence: Int64) throws -> ApplyReport {
        // ``apply(_:from:)`` runs its own transaction; the cursor follows it only once the set is applied: a crash
        // in between applies the same set again, which changes nothing (apply is idempotent).
        let before = try lastSequence()
        let nothingWaiting = try mailboxCursors().pushedUpTo >= before
        let report = try apply(changeSet, from: sender)
        var cursors = try mailboxCursors()
        cursors.pulledUpTo = max(cursors.pulledUpTo, sequence)
        // What the blob added to the log is in the mailbox already: it is not posted back (each node's copy would
        // otherwise stay at the hub until a snapshot covers it). Only when nothing else waited to be posted and
        // everything the log gained meanwhile is the blob's own (a write here, or a change from a peer, in the
        // meantime stays to be posted).
        if nothingWaiting, try logGained(after: before, onlyFrom: changeSet) {
            cursors.pushedUpTo = max(cursors.pushedUpTo, try lastSequence())
        }
        try setMailboxCursors(cursors)
        return report
    }

    /// Whether every field the log holds after sequence `before` has the value and stamp `changeSet` sent.
    private func logGained(after before: Int64, onlyFrom changeSet: ChangeSet) throws -> Bool {
        struct Written: Hashable {
            let entity: String
            let record: String
            let field: String
            let stamp: Stamp
        }
        let sent = Set(
            changeSet.changes.map {
                Written(entity: $0.entity, record: $0.record.rawValue, field: $0.field, stamp: $0.stamp)
            }
        )
        return try writer.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT entity, record_id, fields FROM sst_log WHERE seq > ?",
                arguments: [before]
            )
            for row in rows {
                let (entity, record): (String, String) = (row[0], row[1])
                let numbers = try StampLayout.numbers(entity: entity, record: record, db)
                for field in StampLayout.fields(row[2]).map(String.init) {
                    guard let number = numbers[field] else { return false }
                    guard number.seq > before else { continue }
                    guard let node = NodeID(number.node) else { return false }
                    let stamp = Stamp(timestamp: Timestamp(rawValue: UInt64(bitPattern: number.hlc)), node: node)
                    guard sent.contains(Written(entity: entity, record: record, field: field, stamp: stamp)) else {
                        return false
                    }
                }
            }
            return true
        }
    }

    private static func saveMailboxCursors(_ cursors: MailboxCursors, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO sst_mailbox_cursor (singleton, pushed_up_to, pulled_up_to, snapshot_due) VALUES (1, ?, ?, ?)
                ON CONFLICT (singleton) DO UPDATE SET pushed_up_to = excluded.pushed_up_to,
                    pulled_up_to = excluded.pulled_up_to, snapshot_due = excluded.snapshot_due
                """,
            arguments: [cursors.pushedUpTo, cursors.pulledUpTo, cursors.snapshotDue]
        )
    }
}
