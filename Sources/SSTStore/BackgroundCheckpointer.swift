import Foundation
import GRDB

#if canImport(GRDBSQLite)
import GRDBSQLite
#elseif canImport(SQLite3)
import SQLite3
#endif

/// Copies a store's write-ahead log into its database file on a thread and connection of its own, so that
/// the connection that writes does not stop for it.
///
/// By default SQLite checkpoints on the writing connection, at the commit that leaves more than 1 000 pages
/// in the log: that commit then also copies those pages and syncs the database file. A server that takes
/// one write after another (a hub receiving pushes) pays that in its answers. Here the writer's commit only
/// wakes this thread, which runs a passive checkpoint: it copies what no reader still needs and never
/// blocks the writer; the writer restarts the log once it has all been copied. Should the thread fall
/// behind, a commit that leaves ``writerCheckpointPages`` in the log checkpoints on the writer as before,
/// so the log stays bounded. Durability is unchanged: commits still sync the log (`synchronous = FULL`).
final class BackgroundCheckpointer: @unchecked Sendable {
    /// Pages in the log after a commit that wake the thread (SQLite's own threshold).
    static let wakePages: Int32 = 1000
    /// Pages in the log after a commit at which the writer checkpoints itself (16 MiB of 4 KiB pages). The
    /// thread has usually copied most of them by then, so the writer copies the rest; and a writer that keeps
    /// writing never leaves the thread the moment, between two commits, to finish and let the log restart.
    static let writerCheckpointPages: Int32 = 4000

    private let connection: OpaquePointer
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var wanted = false
    private var stopping = false
    private var running = true
    private var completed = 0
    private var copied: Int32 = 0

    /// Opens the checkpoint connection to the database at `path` and starts its thread.
    init(path: String) throws {
        // A connection that has not read yet has not opened the log: SQLite answers its checkpoint with
        // nothing done (log and checkpointed frames -1), and until 2026-12-07 every one of this thread's was
        // such — the writer did all the copying in its own checkpoints. A read opens the log.
        var handle: OpaquePointer?
        var status = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
        if status == SQLITE_OK, let handle { status = sqlite3_exec(handle, "PRAGMA schema_version", nil, nil, nil) }
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: status), message: message)
        }
        connection = handle
        let thread = Thread { [self] in run() }
        thread.name = "sst-checkpoint"
        thread.start()
    }

    /// The checkpoints the thread has run so far.
    var checkpointsRun: Int {
        condition.withLock { completed }
    }

    /// The most frames of the log one of the thread's checkpoints found copied into the database file (SQLite's
    /// count since the log last restarted; 0 if none copied anything).
    var framesCopied: Int {
        Int(condition.withLock { copied })
    }

    /// Asks for a checkpoint; returns at once.
    func wake() {
        condition.withLock {
            wanted = true
            condition.signal()
        }
    }

    /// Lets the checkpoint in progress finish, ends the thread and closes its connection.
    func stop() {
        condition.withLock {
            stopping = true
            condition.broadcast()
            while running { condition.wait() }
        }
        sqlite3_close_v2(connection)
    }

    private func run() {
        condition.lock()
        while true {
            while !wanted && !stopping { condition.wait() }
            if stopping { break }
            wanted = false
            condition.unlock()
            // Passive: copies what it can and returns SQLITE_BUSY rather than wait; the next wake tries again.
            var checkpointed: Int32 = 0
            sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, &checkpointed)
            condition.lock()
            completed += 1
            copied = max(copied, checkpointed)
        }
        running = false
        condition.broadcast()
        condition.unlock()
    }

    /// Puts `checkpointer` in place of SQLite's checkpoint-on-commit on the pool's writing connection.
    static func install(_ checkpointer: BackgroundCheckpointer, on pool: DatabasePool) {
        let context = Unmanaged.passUnretained(checkpointer).toOpaque()
        pool.writeWithoutTransaction { db in
            _ = sqlite3_wal_hook(db.sqliteConnection, checkpointAfterCommit, context)
        }
    }

    /// Gives the pool's writing connection SQLite's own checkpoint-on-commit back, then stops `checkpointer`.
    static func uninstall(_ checkpointer: BackgroundCheckpointer, from pool: DatabasePool) {
        pool.writeWithoutTransaction { db in _ = sqlite3_wal_autocheckpoint(db.sqliteConnection, wakePages) }
        checkpointer.stop()
    }
}

/// SQLite calls this after each commit on the writing connection that has a ``BackgroundCheckpointer`` (the
/// context), with the pages now in the log.
private func checkpointAfterCommit(
    _ context: UnsafeMutableRawPointer?,
    _ db: OpaquePointer?,
    _ schema: UnsafePointer<CChar>?,
    _ pages: Int32
) -> Int32 {
    if pages >= BackgroundCheckpointer.writerCheckpointPages {
        sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
    } else if pages >= BackgroundCheckpointer.wakePages, let context {
        Unmanaged<BackgroundCheckpointer>.fromOpaque(context).takeUnretainedValue().wake()
    }
    return SQLITE_OK
}

extension Store {
    /// Runs `body` with the write-ahead log checkpointed on a thread of its own (see
    /// ``BackgroundCheckpointer``) instead of by the commits that fill it; afterwards the writer checkpoints
    /// on commit again. For long-running servers; a store in memory has no log and runs `body` as it is.
    public func withBackgroundCheckpoints<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T
    ) async throws -> T {
        try await withBackgroundCheckpointer { _ in try await body() }
    }

    /// ``withBackgroundCheckpoints(isolation:_:)`` for a body that does not suspend (the benchmark's hub).
    public func withBackgroundCheckpoints<T>(_ body: () throws -> T) throws -> T {
        guard let pool = writer as? DatabasePool else { return try body() }
        let checkpointer = try BackgroundCheckpointer(path: pool.path)
        BackgroundCheckpointer.install(checkpointer, on: pool)
        defer { BackgroundCheckpointer.uninstall(checkpointer, from: pool) }
        return try body()
    }

    /// ``withBackgroundCheckpoints(isolation:_:)`` that shows `body` the checkpointer (nil in memory).
    func withBackgroundCheckpointer<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (BackgroundCheckpointer?) async throws -> T
    ) async throws -> T {
        guard let pool = writer as? DatabasePool else { return try await body(nil) }
        let checkpointer = try BackgroundCheckpointer(path: pool.path)
        BackgroundCheckpointer.install(checkpointer, on: pool)
        defer { BackgroundCheckpointer.uninstall(checkpointer, from: pool) }
        return try await body(checkpointer)
    }
}
