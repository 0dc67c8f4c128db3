import Foundation
import GRDB
import SSTCore

/// Where a copy made by ``Store/backup(to:)`` stood: set in the copy only, until its first sync shows the hub has
/// nothing of the node past it (or the node rejoins under a new id).
public struct BackupMark: Hashable, Sendable {
    /// The copy's last sequence number when it was made.
    public let lastSequence: Int64
    /// When it was made, in milliseconds since the Unix epoch.
    public let takenAt: UInt64
}

/// What ``Store/backup(to:)`` wrote.
public struct BackupReport: Hashable, Sendable {
    /// The copy's node identity and last sequence number, read back from the copy.
    public let identity: NodeIdentity
    public let lastSequence: Int64
    /// The copy's size in bytes.
    public let bytes: Int64
}

extension Store {
    /// Copies the database as of one moment into a new file at `path`, with SQLite's online backup from a read
    /// transaction: the node (or hub) may go on writing and serving meanwhile. The copy holds the same identity,
    /// data, cursors and audit trail, and a ``BackupMark`` (where its log ended); it is checked (`PRAGMA
    /// quick_check`) and read back before this returns. Refuses, writing nothing, when `path` exists. The copy is
    /// created with mode 0600, as the database is (``PrivateFiles``).
    public func backup(to path: String) throws -> BackupReport {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StoreError(
                .invalidValue,
                "\(path) already exists; a backup never overwrites a file",
                remedy: "Give a new --out directory (one per backup, e.g. named by the date)."
            )
        }
        do {
            try PrivateFiles.prepareDatabaseFile(path)
            let copy = try DatabaseQueue(path: path)
            try writer.backup(to: copy)
            let takenAt = physicalClock.milliseconds()
            let report = try copy.write { db in
                let check = try String.fetchAll(db, sql: "PRAGMA quick_check")
                guard check == ["ok"] else {
                    throw StoreError(
                        .invalidValue,
                        "the copy at \(path) fails SQLite's check: \(check.prefix(3).joined(separator: "; "))",
                        remedy: "Delete it and back up again; if it fails again, check the disk."
                    )
                }
                let lastSequence = try ClockState.load(db).lastSequence
                try db.execute(
                    sql: "INSERT OR REPLACE INTO sst_backup_mark (singleton, last_seq, taken_at_ms) VALUES (1, ?, ?)",
                    arguments: [lastSequence, Int64(takenAt)]
                )
                return (try Self.identity(db), lastSequence)
            }
            try copy.close()
            let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
            return BackupReport(identity: report.0, lastSequence: report.1, bytes: bytes ?? 0)
        } catch {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            throw error
        }
    }

    /// The mark of a copy made by ``backup(to:)`` that has not yet synced (nil for any other store).
    public func backupMark() throws -> BackupMark? {
        try writer.read { db in
            try Row.fetchOne(db, sql: "SELECT last_seq, taken_at_ms FROM sst_backup_mark").map { row in
                BackupMark(lastSequence: row["last_seq"], takenAt: UInt64(row["taken_at_ms"] as Int64))
            }
        }
    }

    /// Drops the backup mark: the hub has nothing of this node past where the backup ended.
    public func clearBackupMark() throws {
        try writer.write { db in try db.execute(sql: "DELETE FROM sst_backup_mark") }
    }
}
