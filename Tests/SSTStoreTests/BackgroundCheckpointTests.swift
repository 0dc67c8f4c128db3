import Foundation
import GRDB
import SSTCore
import Synchronization
import Testing

@testable import SSTStore

#if canImport(GRDBSQLite)
import GRDBSQLite
#elseif canImport(SQLite3)
import SQLite3
#endif

@Suite struct BackgroundCheckpointTests {
    let identity = NodeIdentity(node: NodeID("hub-1")!, role: .hub, stadsdel: "Södermalm")

    /// The writer's checkpoint-on-commit setting as SQLite reports it: 0 while another hook replaces it.
    private func writerAutocheckpoint(_ store: Store) throws -> Int {
        try store.writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? -1 }
    }

    /// Writes about `pages` pages of 4 KiB in one commit (by default 1 500: more than SQLite's checkpoint
    /// threshold of 1 000).
    private func fillTheLog(_ store: Store, pages: Int = 1500) throws {
        try store.writer.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS filler (bytes BLOB);
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(pages))
                    INSERT INTO filler SELECT zeroblob(4000) FROM n;
                    """
            )
        }
    }

    /// Runs `body` with a new file store, the path of its database and the background checkpointer on it.
    private func withCheckpointedStore(
        _ body: (Store, String, BackgroundCheckpointer) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("sst.sqlite")
        let store = try Store.create(at: path, identity: identity)
        try await store.withBackgroundCheckpointer { checkpointer in
            try await body(store, path, try #require(checkpointer))
        }
    }

    @Test func theLogIsCheckpointedByTheThreadNotByTheWritersCommits() async throws {
        let directory = try TemporaryDirectory()
        let store = try Store.create(at: directory.path("sst.sqlite"), identity: identity)
        #expect(try writerAutocheckpoint(store) == 1000)
        try await store.withBackgroundCheckpointer { checkpointer in
            let checkpointer = try #require(checkpointer)
            #expect(try writerAutocheckpoint(store) == 0)
            #expect(checkpointer.checkpointsRun == 0)
            try fillTheLog(store)
            let deadline = Date().addingTimeInterval(30)
            while checkpointer.framesCopied == 0 && Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(checkpointer.checkpointsRun >= 1)
            // The thread copied the log into the database file itself (its connection had opened the log; a
            // connection that has not read yet checkpoints nothing).
            #expect(checkpointer.framesCopied >= 1_000)
        }
        // Afterwards the writer checkpoints on commit again, and everything written is there.
        #expect(try writerAutocheckpoint(store) == 1000)
        let rows = try await store.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM filler") }
        #expect(rows == 1500)
    }

    /// Readers that follow one another keep the log from restarting (a hub's sweep reads in short
    /// transactions). The thread copies each commit up to the reader before it and syncs what it copied; the
    /// writer checkpoints once per ``BackgroundCheckpointer/writerCheckpointPages`` of growth, not at every
    /// commit of a log that long (SQLite's own rule, each time syncing the database file).
    @Test func aLogThatCannotRestartMakesTheWriterCheckpointOncePerLimitOfGrowth() async throws {
        try await withCheckpointedStore { store, path, checkpointer in
            // Below the thread's threshold: nothing is copied, so the reader that begins now reads the log.
            try fillTheLog(store, pages: 600)
            var reader = try RawConnection(path)
            try reader.execute("BEGIN; SELECT count(*) FROM filler;")
            for _ in 0..<6 {
                try fillTheLog(store)
                // The reader holds the thread's checkpoint short of the commit just made.
                checkpointer.checkpointAndWait()
                // The next reader begins before that commit is copied, the one before it ends.
                let next = try RawConnection(path)
                try next.execute("BEGIN; SELECT count(*) FROM filler;")
                try reader.execute("COMMIT")
                reader = next
            }
            try reader.execute("COMMIT")
            // One log of some 9 600 frames: the writer checkpointed past 4 000 and past 8 000 frames (once, should
            // its first try meet the thread's checkpoint and go to the next commit), not at each of the four
            // commits past 4 000.
            #expect((1...2).contains(checkpointer.checkpointsOnTheWriter))
            #expect(checkpointer.restartsOfTheLog == 0)
            // Each commit's checkpoint stopped at the reader before it, short of the log's end, where SQLite does
            // not sync the database file: the thread synced it itself.
            #expect(checkpointer.databaseSyncs >= 6)
        }
    }

    /// Once the thread has copied the whole log and no one reads or writes, it restarts the log; while a
    /// reader is on the log it does not wait for it (its connection has no busy handler).
    @Test func theThreadRestartsACopiedLogAndDoesNotWaitForAReader() async throws {
        try await withCheckpointedStore { store, path, checkpointer in
            try fillTheLog(store)
            let reader = try RawConnection(path)
            try reader.execute("BEGIN; SELECT count(*) FROM filler;")
            let started = Date()
            checkpointer.checkpointAndWait()
            #expect(Date().timeIntervalSince(started) < 5, "the thread waited for the reader")
            #expect(checkpointer.restartsOfTheLog == 0)
            try reader.execute("COMMIT")
            checkpointer.checkpointAndWait()
            #expect(checkpointer.restartsOfTheLog == 1)
        }
    }

    /// A commit that grows the log past the limit at once (the thread has copied none of it) checkpoints on
    /// the writer.
    @Test func aWriterThatOutrunsTheThreadCheckpointsItself() async throws {
        try await withCheckpointedStore { store, _, checkpointer in
            try fillTheLog(store, pages: Int(BackgroundCheckpointer.writerCheckpointPages) + 500)
            #expect(checkpointer.checkpointsOnTheWriter == 1)
        }
    }

    /// The size of the log file beside the database at `path`.
    private func logFileSize(_ path: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? -1
    }

    /// An erasure after a purge has the thread truncate the log (its copy and sync off the writer), waiting for
    /// a reader on the log to finish; the log file is then empty.
    @Test func anErasureIsTheThreadsTruncationAndWaitsForAReader() async throws {
        try await withCheckpointedStore { store, path, checkpointer in
            try fillTheLog(store)
            #expect(try logFileSize(path) > 1_000 * 4096)
            let reader = try RawConnection(path)
            try reader.execute("BEGIN; SELECT count(*) FROM filler;")
            let release = Thread {
                Thread.sleep(forTimeInterval: 0.3)
                try? reader.execute("COMMIT")
            }
            release.start()
            let started = Date()
            try store.eraseFreedPages()
            #expect(Date().timeIntervalSince(started) >= 0.25, "the log was truncated under a reader")
            #expect(checkpointer.truncationsOfTheLog == 1)
            #expect(checkpointer.longest.erasure.seconds > 0)
            #expect(try logFileSize(path) == 0)
        }
    }

    /// A log file that grew long is cut back to ``Store/logFileLimitBytes`` by the first commit after the log
    /// restarts (SQLite's `journal_size_limit`).
    @Test func aRestartedLogsFileIsCutBackToTheLimit() async throws {
        try await withCheckpointedStore { store, path, checkpointer in
            // A reader holds the log while it grows past the limit, so that it cannot restart.
            let reader = try RawConnection(path)
            try fillTheLog(store, pages: 10)
            try reader.execute("BEGIN; SELECT count(*) FROM filler;")
            for _ in 0..<4 { try fillTheLog(store) }
            #expect(try logFileSize(path) > Store.logFileLimitBytes)
            try reader.execute("COMMIT")
            checkpointer.checkpointAndWait()
            #expect(checkpointer.restartsOfTheLog >= 1)
            try fillTheLog(store, pages: 10)
            #expect(try logFileSize(path) <= Store.logFileLimitBytes)
        }
    }

    @Test func aStoreInMemoryRunsTheBodyWithoutAThread() async throws {
        let store = try Store.inMemory(identity: identity)
        let ran = try await store.withBackgroundCheckpointer { checkpointer in checkpointer == nil }
        #expect(ran)
    }
}

/// The erasure after a purge (a TRUNCATE checkpoint) while another connection checkpoints: SQLite answers
/// SQLITE_BUSY at once then, so the erasure tries again until the other is done instead of failing.
@Suite struct EraseWhileCheckpointingTests {
    @Test func theErasureWaitsForAnotherConnectionsCheckpoint() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("sst.sqlite")
        let store = try Store.create(
            at: path,
            identity: NodeIdentity(node: NodeID("hub-1")!, role: .hub, stadsdel: "Södermalm")
        )
        try store.writer.write { db in
            try db.execute(sql: "CREATE TABLE filler (bytes BLOB); INSERT INTO filler VALUES (zeroblob(40000))")
        }
        // A writer holds the write lock; another connection's FULL checkpoint takes the checkpoint lock and then
        // waits for the write lock. While it waits, the erasure finds the checkpoint lock taken.
        let writer = try RawConnection(path)
        try writer.execute("BEGIN IMMEDIATE")
        let checkpointer = try RawConnection(path)
        sqlite3_busy_timeout(checkpointer.handle, 5_000)
        let checkpointDone = DispatchSemaphore(value: 0)
        let checkpointStatus = Mutex<Int32>(-1)
        Thread {
            let status = sqlite3_wal_checkpoint_v2(checkpointer.handle, nil, SQLITE_CHECKPOINT_FULL, nil, nil)
            checkpointStatus.withLock { $0 = status }
            checkpointDone.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.2)
        Thread {
            Thread.sleep(forTimeInterval: 0.3)
            try? writer.execute("COMMIT")
        }.start()
        try store.eraseFreedPages()
        checkpointDone.wait()
        #expect(checkpointStatus.withLock { $0 } == SQLITE_OK)
        let rows = try store.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM filler") }
        #expect(rows == 1)
    }
}

/// A connection of SQLite's own, outside GRDB, that has opened the log with a read.
private final class RawConnection: @unchecked Sendable {
    let handle: OpaquePointer

    init(_ path: String) throws {
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nil) == SQLITE_OK,
            let handle
        else { throw DatabaseError(message: "cannot open \(path)") }
        self.handle = handle
        try execute("PRAGMA schema_version")
    }

    func execute(_ sql: String) throws {
        let status = sqlite3_exec(handle, sql, nil, nil, nil)
        guard status == SQLITE_OK else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: status),
                message: String(cString: sqlite3_errmsg(handle))
            )
        }
    }

    deinit { sqlite3_close_v2(handle) }
}
