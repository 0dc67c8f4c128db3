import Foundation
import GRDB
import SSTCore
import Testing

@testable import SSTStore

@Suite struct BackgroundCheckpointTests {
    let identity = NodeIdentity(node: NodeID("hub-1")!, role: .hub, stadsdel: "Södermalm")

    /// The writer's checkpoint-on-commit setting as SQLite reports it: 0 while another hook replaces it.
    private func writerAutocheckpoint(_ store: Store) throws -> Int {
        try store.writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? -1 }
    }

    /// Writes about 1 500 pages (6 MB) in one commit: more than SQLite's checkpoint threshold of 1 000.
    private func fillTheLog(_ store: Store) throws {
        try store.writer.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS filler (bytes BLOB);
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
                    INSERT INTO filler SELECT zeroblob(4000) FROM n;
                    """
            )
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

    @Test func aStoreInMemoryRunsTheBodyWithoutAThread() async throws {
        let store = try Store.inMemory(identity: identity)
        let ran = try await store.withBackgroundCheckpointer { checkpointer in checkpointer == nil }
        #expect(ran)
    }
}
