import Foundation
import GRDB
import SSTCore
import SSTPrivacy

/// A hub's recovery window after a restore from a backup (`sst hub recovery open`): while it is open, a school may
/// give back values of social services' fields that the hub wrote under one of its previous node ids, lost with
/// the restore, for records of the school's own pupils (see ``Store/apply(_:from:)``).
public struct RecoveryWindow: Hashable, Sendable {
    /// When the operator opened the window, in milliseconds since the Unix epoch.
    public let openedAt: UInt64
    /// When it closes by itself; `nil`: when the operator closes it.
    public let until: UInt64?
    /// The ids this node had before `sst node rejoin`: only values stamped by one of them are taken back.
    public let previous: [NodeID]

    /// Whether the window is open at `now` (milliseconds since the Unix epoch).
    public func isOpen(at now: UInt64) -> Bool { until.map { now < $0 } ?? true }
}

extension Store {
    /// Opens the recovery window of a hub that took a new node id after a restore (``rejoin(as:)``), until `until`
    /// (milliseconds since the Unix epoch) or until ``closeRecoveryWindow()``; opening it again sets the new end.
    /// Audited. Refuses, changing nothing, a school node, a hub that has not rejoined, and an end in the past.
    @discardableResult
    public func openRecoveryWindow(until: UInt64? = nil) throws -> RecoveryWindow {
        let physical = physicalClock.milliseconds()
        return try writer.write { db in
            let identity = try Self.identity(db)
            guard identity.role == .hub else {
                throw StoreError(
                    .wrongSide,
                    "\(identity.node) is a school node; only a hub restored from a backup has a recovery window",
                    remedy: "Run the command on the hub's data directory."
                )
            }
            let previous = try Self.previousNodeIDs(db)
            guard try Self.hasRejoined(db), !previous.isEmpty else {
                throw StoreError(
                    .invalidValue,
                    "hub \(identity.node) has not taken a new node id after a restore, so no school holds values of "
                        + "an id it had before; nothing was opened",
                    remedy: "A recovery window follows `sst node rejoin` on a hub restored from a backup (see "
                        + "\"Restoring a node from a backup\" in docs/operations.md)."
                )
            }
            if let until, until <= physical {
                throw StoreError(
                    .invalidValue,
                    "the recovery window's end \(Self.isoText(until)) is not in the future; nothing was opened",
                    remedy: "Give --until a later time (e.g. 2026-12-08T17:00:00Z or 7d), or none to close it by hand."
                )
            }
            try db.execute(
                sql: """
                    INSERT INTO sst_recovery_window (singleton, opened_at_ms, until_ms) VALUES (1, ?, ?)
                    ON CONFLICT (singleton) DO UPDATE SET until_ms = excluded.until_ms
                    """,
                arguments: [Int64(physical), until.map(Int64.init)]
            )
            let ids = previous.map(\.rawValue).joined(separator: ", ")
            try Self.appendAudit(
                AuditEntry(
                    kind: .rejoined,
                    atMilliseconds: physical,
                    detail: "recovery window opened "
                        + (until.map { "until \(Self.isoText($0))" } ?? "until closed by hand")
                        + ": schools may give back values of social services' fields stamped by this hub's previous "
                        + "id \(ids), for records of their own pupils"
                ),
                db
            )
            return try Self.recoveryWindow(db)!
        }
    }

    /// Closes the recovery window (audited); from then on a school's values of social services' fields are refused
    /// again, whoever stamped them. Returns false, changing nothing, when no window was open.
    @discardableResult
    public func closeRecoveryWindow() throws -> Bool {
        let physical = physicalClock.milliseconds()
        return try writer.write { db in
            guard let window = try Self.recoveryWindow(db) else { return false }
            try db.execute(sql: "DELETE FROM sst_recovery_window")
            let recovered =
                try Int.fetchOne(
                    db,
                    sql: "SELECT count(*) FROM sst_audit WHERE kind = 'received' AND at_ms >= ? AND entry LIKE ?",
                    arguments: [Int64(window.openedAt), "%\"detail\": \"recovered from %"]
                ) ?? 0
            let lapsed = window.isOpen(at: physical) ? "" : " (its end had passed)"
            try Self.appendAudit(
                AuditEntry(
                    kind: .rejoined,
                    atMilliseconds: physical,
                    detail:
                        "recovery window closed\(lapsed); \(recovered) recovery entr\(recovered == 1 ? "y" : "ies") "
                        + "while it was open"
                ),
                db
            )
            return true
        }
    }

    /// The hub's recovery window, whether or not its end has passed; `nil` when none is open.
    public func recoveryWindow() throws -> RecoveryWindow? {
        try writer.read { db in try Self.recoveryWindow(db) }
    }

    /// The hub's recovery window if it is open now (by this store's clock); `nil` when none is, or its end passed.
    public func openRecoveryWindowNow() throws -> RecoveryWindow? {
        let physical = physicalClock.milliseconds()
        return try recoveryWindow().flatMap { $0.isOpen(at: physical) ? $0 : nil }
    }

    static func recoveryWindow(_ db: Database) throws -> RecoveryWindow? {
        guard let row = try Row.fetchOne(db, sql: "SELECT opened_at_ms, until_ms FROM sst_recovery_window") else {
            return nil
        }
        let until: Int64? = row["until_ms"]
        return RecoveryWindow(
            openedAt: UInt64(max(0, row["opened_at_ms"] as Int64)),
            until: until.map { UInt64(max(0, $0)) },
            previous: try previousNodeIDs(db)
        )
    }

    /// The node ids this node had before each ``rejoin(as:)``, oldest first.
    public func previousNodeIDs() throws -> [NodeID] {
        try writer.read { db in try Self.previousNodeIDs(db) }
    }

    static func previousNodeIDs(_ db: Database) throws -> [NodeID] {
        try String.fetchAll(db, sql: "SELECT node_id FROM sst_previous_node_id ORDER BY retired_at_ms, node_id")
            .compactMap(NodeID.init)
    }

    /// Remembers `node` as an id this node had until `at` (``rejoin(as:)``, in its transaction).
    static func rememberPreviousNodeID(_ node: NodeID, at: UInt64, _ db: Database) throws {
        try db.execute(
            sql: "INSERT OR IGNORE INTO sst_previous_node_id (node_id, retired_at_ms) VALUES (?, ?)",
            arguments: [node.rawValue, Int64(at)]
        )
    }
}

extension StoreMigrations {
    /// The tables of the recovery window (`recovery-window-1`): a node's previous ids (filled from the `rejoined`
    /// entries of its audit trail for a node that rejoined before), the hub's open window, and at a school what the
    /// hub last said of its window (``Store/hubRecoveryAnswered(by:open:previous:until:)``).
    static func registerRecoveryWindow(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("recovery-window-1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE sst_previous_node_id (
                        node_id TEXT PRIMARY KEY NOT NULL,
                        retired_at_ms INTEGER NOT NULL CHECK (retired_at_ms >= 0)
                    );
                    CREATE TABLE sst_recovery_window (
                        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                        opened_at_ms INTEGER NOT NULL,
                        until_ms INTEGER
                    );
                    CREATE TABLE sst_hub_recovery (
                        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                        hub TEXT NOT NULL,
                        previous TEXT NOT NULL,
                        until_ms INTEGER,
                        answered_at_ms INTEGER NOT NULL
                    );
                    """
            )
            let rows = try Row.fetchAll(db, sql: "SELECT at_ms, entry FROM sst_audit WHERE kind = 'rejoined'")
            for row in rows {
                guard let text: String = row["entry"],
                    let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                    let detail = object["detail"] as? String, detail.hasPrefix("node id "),
                    let arrow = detail.range(of: " → "),
                    let node = NodeID(String(detail[detail.index(detail.startIndex, offsetBy: 8)..<arrow.lowerBound]))
                else { continue }
                try Store.rememberPreviousNodeID(node, at: UInt64(max(0, row["at_ms"] as Int64)), db)
            }
        }
    }
}
