import Foundation
import GRDB
import SSTCore
import Synchronization

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
/// blocks the writer. Once it has copied the whole log, it copies what came in meanwhile with more passive
/// checkpoints (a RESTART holds the write lock while it copies and syncs), then tries a RESTART checkpoint
/// that does not wait: with no reader on the log, the next write starts the log over. SQLite itself restarts
/// a log only at a write that begins with all of it copied, and with commits following one another the thread is never done
/// before the next write begins: B10's log grew to 3.9 GB, and the purge's erasure at the end of its sweep
/// took 1.1 s to truncate it. While readers follow one another the log cannot restart; the whole-store
/// consent sweep lets the thread in between its reads. And each time the log has grown by
/// ``writerCheckpointPages`` since it restarted or since the writer last checkpointed, a commit checkpoints
/// on the writer: it copies what the thread has not (usually little, the thread copies as the log fills)
/// and, as SQLite's own checkpoint-on-commit does, lets the writer's next write restart the log when no
/// reader is on it, the thread's RESTART having found the writer busy each time. Durability is unchanged:
/// commits still sync the log (`synchronous = FULL`).
final class BackgroundCheckpointer: @unchecked Sendable {
    /// Pages in the log after a commit that wake the thread (SQLite's own threshold).
    static let wakePages: Int32 = 1000
    /// Pages the log grows by, since it restarted or since the writer's last checkpoint, at which the writer
    /// checkpoints itself (16 MiB of 4 KiB pages).
    static let writerCheckpointPages: Int32 = 4000
    /// Passive checkpoints at most, after one that copied the whole log, to copy what came in meanwhile before
    /// the RESTART.
    static let catchUpRounds = 4

    private let connection: OpaquePointer
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var wanted = false
    private var stopping = false
    private var running = true
    private var checkpointing = false
    private var completed = 0
    private var copied: Int32 = 0
    /// The log's frames after the writer's last commit, and after its last checkpoint of this log (0 when the
    /// log has restarted since: fewer frames than after the commit before).
    private var logFrames: Int32 = 0
    private var framesAtWriterCheckpoint: Int32 = 0
    private var writerCheckpoints = 0
    private var syncs = 0
    private var logRestarts = 0
    private var timings = CheckpointTimings()
    /// An erasure waits for the thread to truncate the log (``truncateLog(until:)``).
    private var truncateWanted = false
    private var truncations = 0

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

    /// The times the thread synced the database file after a checkpoint that a reader held short of the log's end.
    var databaseSyncs: Int {
        condition.withLock { syncs }
    }

    /// The times the thread restarted the log after copying all of it.
    var restartsOfTheLog: Int {
        condition.withLock { logRestarts }
    }

    /// The times the thread truncated the log for an erasure (``truncateLog(until:)``).
    var truncationsOfTheLog: Int {
        condition.withLock { truncations }
    }

    /// The checkpoints the writer ran itself (not counting those SQLite refused while the thread checkpointed).
    var checkpointsOnTheWriter: Int {
        condition.withLock { writerCheckpoints }
    }

    /// The longest of each kind of checkpoint work since the start or the last ``resetTimings()``.
    var longest: CheckpointTimings {
        condition.withLock { timings }
    }

    /// Has the thread copy the whole log, sync the database file and truncate the log to nothing with a
    /// TRUNCATE checkpoint (an erasure: no byte of a purged value stays in the log file), trying again between
    /// the writer's transactions and the readers' until `deadline`. The truncation holds the write lock only
    /// for what came in after the thread's last passive checkpoint (usually nothing) and the truncation itself,
    /// not for the copy and sync of the whole log. Returns false when it never found the log free.
    func truncateLog(until deadline: Date) -> Bool {
        condition.withLock {
            let target = truncations + 1
            truncateWanted = true
            defer { truncateWanted = false }
            while truncations < target && running && Date() < deadline {
                let done = completed + (checkpointing ? 2 : 1)
                wanted = true
                condition.signal()
                while completed < done && running { condition.wait() }
                // Found a write or a read on the log: a moment before the next try.
                if truncations < target { _ = condition.wait(until: Date().addingTimeInterval(0.0005)) }
            }
            return truncations >= target
        }
    }

    /// Notes an erasure of the log (a TRUNCATE checkpoint on the writer) among the work timed.
    func noteErasure(_ began: ContinuousClock.Instant, _ ended: ContinuousClock.Instant) {
        condition.withLock { timings.erasure.note(began, ended) }
    }

    /// Forgets the longest checkpoint work so far.
    func resetTimings() {
        condition.withLock { timings = CheckpointTimings() }
    }

    /// Runs a checkpoint on the thread and waits until it is done.
    func checkpointAndWait() {
        condition.withLock {
            let done = completed + (checkpointing ? 2 : 1)
            wanted = true
            condition.signal()
            while completed < done && running { condition.wait() }
        }
    }

    /// Called after each commit of the writing connection with the frames now in the log: wakes the thread
    /// from ``wakePages`` on, and returns true when the writer should checkpoint itself.
    fileprivate func afterCommit(frames: Int32) -> Bool {
        condition.withLock {
            if frames < logFrames { framesAtWriterCheckpoint = 0 }
            logFrames = frames
            // No wake for the thread when the writer checkpoints: SQLite refuses the second of two at once.
            if frames - framesAtWriterCheckpoint >= Self.writerCheckpointPages { return true }
            if frames >= Self.wakePages {
                wanted = true
                condition.signal()
            }
            return false
        }
    }

    /// Runs a passive checkpoint on the writing connection `db`: it copies what the thread has not, and the
    /// next write restarts the log if no reader is on it.
    /// While the thread checkpoints, SQLite answers SQLITE_BUSY at once: the next commit tries again.
    fileprivate func checkpointOnTheWriter(_ db: OpaquePointer?, _ schema: UnsafePointer<CChar>?, frames: Int32) {
        let began = ContinuousClock.now
        let status = sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        guard status != SQLITE_BUSY else { return }
        let ended = ContinuousClock.now
        condition.withLock {
            timings.writer.note(began, ended)
            writerCheckpoints += 1
            framesAtWriterCheckpoint = max(framesAtWriterCheckpoint, frames)
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
            checkpointing = true
            let truncate = truncateWanted
            condition.unlock()
            // Passive: copies what it can and returns SQLITE_BUSY rather than wait; the next wake tries again.
            var frames: Int32 = 0
            var checkpointed: Int32 = 0
            let began = ContinuousClock.now
            sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, &frames, &checkpointed)
            let copiedAt = ContinuousClock.now
            // SQLite syncs the database file only after a checkpoint that copied the whole log. One held short by
            // a reader leaves its pages unsynced, and they pile up while readers follow one another (a sweep),
            // until a checkpoint that does reach the end, often the writer's own or a purge's erasure, syncs them
            // all (70-110 ms in the writer's checkpoints on B10's hub). The thread syncs what it copied itself.
            let synced = checkpointed > 0 && checkpointed < frames && syncDatabaseFile()
            let syncedAt = ContinuousClock.now
            // All copied: RESTART takes the write lock, copies what came in since (usually nothing) and checks
            // that no reader is on the log, so that the next write starts it over; TRUNCATE, when an erasure asks
            // for it, also truncates the log file to nothing. The thread's connection has no busy handler: a write
            // or a read in progress makes it return at once, and the next wake tries again.
            // Both hold the write lock while they copy what came in since the passive checkpoint began and,
            // when that reaches the end, while they sync the database file: with pushes committing every few
            // milliseconds, some always do. Passive checkpoints copy them first, without the lock, until one finds
            // nothing new; the RESTART then usually has nothing to copy or sync.
            // (An erasure truncates an empty log too: its file still holds what the log held before it restarted.)
            var attempted = checkpointed == frames && (frames > 0 || (truncate && frames == 0))
            var rounds = 0
            while attempted && rounds < Self.catchUpRounds {
                rounds += 1
                var now: Int32 = 0
                var nowCheckpointed: Int32 = 0
                sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, &now, &nowCheckpointed)
                attempted = nowCheckpointed == now && (now > 0 || (truncate && now == 0))
                if now == frames { break }
                (frames, checkpointed) = (now, nowCheckpointed)
            }
            let restartBegan = ContinuousClock.now
            let mode = truncate ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_RESTART
            let restarted = attempted && sqlite3_wal_checkpoint_v2(connection, nil, mode, nil, nil) == SQLITE_OK
            let restartedAt = ContinuousClock.now
            condition.lock()
            timings.passive.note(began, copiedAt)
            if synced { timings.sync.note(copiedAt, syncedAt) }
            if attempted && truncate {
                timings.erasure.note(restartBegan, restartedAt)
            } else if attempted {
                timings.restart.note(restartBegan, restartedAt)
            }
            if restarted { logRestarts += 1 }
            if restarted && truncate { truncations += 1 }
            if synced { syncs += 1 }
            checkpointing = false
            completed += 1
            copied = max(copied, checkpointed)
            condition.broadcast()
        }
        running = false
        condition.broadcast()
        condition.unlock()
    }

    /// Syncs the database file through the thread's connection's own file handle (a handle of its own,
    /// opened and closed here, would drop the process's POSIX locks on the file when closed).
    private func syncDatabaseFile() -> Bool {
        var file: UnsafeMutablePointer<sqlite3_file>?
        guard sqlite3_file_control(connection, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK,
            let file, let sync = file.pointee.pMethods?.pointee.xSync
        else { return false }
        return sync(file, SQLITE_SYNC_NORMAL) == SQLITE_OK
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
    guard let context else { return SQLITE_OK }
    let checkpointer = Unmanaged<BackgroundCheckpointer>.fromOpaque(context).takeUnretainedValue()
    if checkpointer.afterCommit(frames: pages) { checkpointer.checkpointOnTheWriter(db, schema, frames: pages) }
    return SQLITE_OK
}

/// How long the longest of each kind of a ``BackgroundCheckpointer``'s work took, and when it began: what a
/// write may have waited behind (B10 prints them beside its longest push).
package struct CheckpointTimings: Sendable {
    /// One kind of work: its longest run.
    package struct Longest: Sendable {
        package var seconds = 0.0
        package var began: ContinuousClock.Instant?

        mutating func note(_ start: ContinuousClock.Instant, _ end: ContinuousClock.Instant) {
            let duration = (end - start).inSeconds
            if duration > seconds { (seconds, began) = (duration, start) }
        }
    }

    /// The thread's passive checkpoints (they copy; a write does not wait for them).
    package var passive = Longest()
    /// The thread's syncs of the database file after a checkpoint held short of the log's end.
    package var sync = Longest()
    /// The thread's RESTART attempts: they hold the write lock while they copy what came in since the passive
    /// one and, when that reaches the end, sync the database file.
    package var restart = Longest()
    /// The writer's own checkpoints, inside a commit.
    package var writer = Longest()
    /// The erasures of the log after a purge (``Store/eraseFreedPages()``): TRUNCATE checkpoints on the thread,
    /// or on the writer when the thread could not.
    package var erasure = Longest()

    package init() {}
}

/// The background checkpointer running on a store's writer, if any, shared by copies of the store: a long
/// reader (the whole-store consent sweep) lets it restart the log between its reads.
final class ActiveCheckpointer: Sendable {
    private let current = Mutex<BackgroundCheckpointer?>(nil)

    var checkpointer: BackgroundCheckpointer? {
        current.withLock { $0 }
    }

    /// Starts a checkpointer on `pool` in place of SQLite's checkpoint-on-commit.
    fileprivate func start(on pool: DatabasePool) throws -> BackgroundCheckpointer {
        let checkpointer = try BackgroundCheckpointer(path: pool.path)
        BackgroundCheckpointer.install(checkpointer, on: pool)
        current.withLock { $0 = checkpointer }
        return checkpointer
    }

    /// Stops `checkpointer` and gives `pool` SQLite's checkpoint-on-commit back.
    fileprivate func stop(_ checkpointer: BackgroundCheckpointer, on pool: DatabasePool) {
        current.withLock { $0 = nil }
        BackgroundCheckpointer.uninstall(checkpointer, from: pool)
    }
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
        let checkpointer = try activeCheckpointer.start(on: pool)
        defer { activeCheckpointer.stop(checkpointer, on: pool) }
        return try body()
    }

    /// ``withBackgroundCheckpoints(isolation:_:)`` that shows `body` the checkpointer (nil in memory).
    func withBackgroundCheckpointer<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (BackgroundCheckpointer?) async throws -> T
    ) async throws -> T {
        guard let pool = writer as? DatabasePool else { return try await body(nil) }
        let checkpointer = try activeCheckpointer.start(on: pool)
        defer { activeCheckpointer.stop(checkpointer, on: pool) }
        return try await body(checkpointer)
    }
}
