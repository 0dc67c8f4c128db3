import Foundation
import GRDB

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
    /// data, cursors and audit trail, is checked (`PRAGMA quick_check`) and read back before this returns.
    /// Refuses, writing nothing, when `path` exists.
    public func backup(to path: String) throws -> BackupReport {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StoreError(
                .invalidValue,
                "\(path) already exists; a backup never overwrites a file",
                remedy: "Give a new --out directory (one per backup, e.g. named by the date)."
            )
        }
        do {
            let copy = try DatabaseQueue(path: path)
            try writer.backup(to: copy)
            let report = try copy.read { db in
                let check = try String.fetchAll(db, sql: "PRAGMA quick_check")
                guard check == ["ok"] else {
                    throw StoreError(
                        .invalidValue,
                        "the copy at \(path) fails SQLite's check: \(check.prefix(3).joined(separator: "; "))",
                        remedy: "Delete it and back up again; if it fails again, check the disk."
                    )
                }
                return (try Self.identity(db), try ClockState.load(db).lastSequence)
            }
            try copy.close()
            let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
            return BackupReport(identity: report.0, lastSequence: report.1, bytes: bytes ?? 0)
        } catch {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            throw error
        }
    }
}
