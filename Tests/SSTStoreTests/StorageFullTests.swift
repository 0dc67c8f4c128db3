import Foundation
import GRDB
import SSTCore
import SSTStore
import Testing

/// A full disk is reported as the store's refusal that names the data directory and says nothing was written,
/// not as SQLite's bare "database or disk is full".
struct StorageFullTests {
    @Test func aFullDiskNamesTheDirectoryAndSaysNothingWasWritten() throws {
        let full = DatabaseError(resultCode: .SQLITE_FULL, message: "database or disk is full", sql: "COMMIT")
        let explained = try #require(
            StoreError.explaining(full, databasePath: "/var/lib/sst/ekbacken-1/sst.sqlite") as? StoreError
        )
        #expect(explained.code == .storageFull)
        #expect(explained.message.contains("/var/lib/sst/ekbacken-1 is full"))
        #expect(explained.message.contains("nothing of this change was written"))
        #expect(explained.remedy.contains("Free space"))
        // Other errors pass as they are.
        let busy = DatabaseError(resultCode: .SQLITE_BUSY, message: "database is locked")
        #expect((StoreError.explaining(busy, databasePath: nil) as? DatabaseError)?.resultCode == .SQLITE_BUSY)
    }

    @Test func aStoreKnowsWhereItsDatabaseIs() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sst-full-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("sst.sqlite").path
        let store = try Store.create(
            at: path,
            identity: NodeIdentity(node: NodeID("ekbacken-1")!, role: .school, school: "Ekbackens skola")
        )
        #expect(store.databasePath == path)
        let explained = store.explaining(DatabaseError(resultCode: .SQLITE_FULL))
        #expect((explained as? StoreError)?.message.contains(directory.path) == true)
    }
}
