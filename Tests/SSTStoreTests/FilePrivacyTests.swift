import Foundation
import SSTCore
import SSTStore
import Testing

/// A node's data directory is private to its user (0700) and every file the store makes in it, or copies out of
/// it, is readable by that user only (0600), whatever the process's umask.
@Suite struct FilePrivacyTests {
    let pupil = RecordID("0e4c2a10-5b7d-4f3e-9a1c-2d3e4f5a6b7c")!
    let identity = NodeIdentity(node: NodeID("school-a")!, role: .school, school: "Ekbackens skola")

    @Test func databaseItsLogAndBackupsArePrivate() throws {
        let directory = try TemporaryDirectory()
        let data = directory.path("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: false)
        chmod(data, 0o755)
        let path = data + "/" + Store.fileName
        let store = try Store.create(at: path, identity: identity)
        try store.set(entity: "pupil", record: pupil, values: ["given_name": .string("Åsa")])
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        #expect(FileManager.default.fileExists(atPath: path + "-shm"))
        let backup = directory.path("backup.sqlite")
        try store.backup(to: backup)

        #expect(mode(data) == 0o700)
        for file in [path, path + "-wal", path + "-shm", backup] {
            #expect(mode(file) == 0o600, "\(file)")
        }
        let written = directory.path("written.json")
        try PrivateFiles.write(Data("{}".utf8), to: written)
        try PrivateFiles.write(Data("{\"a\": 1}".utf8), to: written)
        #expect(mode(written) == 0o600)
        #expect(try String(contentsOfFile: written, encoding: .utf8) == "{\"a\": 1}")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory.url.path).sorted() == [
                "backup.sqlite", "data", "written.json",
            ]
        )
    }

    @Test func openingANodeMadeBeforeMakesItPrivate() throws {
        let directory = try TemporaryDirectory()
        let data = directory.path("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: false)
        let path = data + "/" + Store.fileName
        try Store.create(at: path, identity: identity).set(
            entity: "pupil",
            record: pupil,
            values: ["grade": .integer(7)]
        )
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            chmod(file, 0o644)
        }
        chmod(data, 0o755)
        _ = try Store.open(at: path).identity()
        #expect(mode(data) == 0o700)
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            #expect(mode(file) == 0o600, "\(file)")
        }
    }

    @Test func aSharedDirectoryIsLeftAlone() throws {
        let directory = try TemporaryDirectory()
        let shared = directory.path("shared")
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: false)
        chmod(shared, 0o1777)
        let path = shared + "/" + Store.fileName
        _ = try Store.create(at: path, identity: identity)
        #expect(mode(shared) == 0o1777)
        #expect(mode(path) == 0o600)
    }

    func mode(_ path: String) -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return info.st_mode & 0o7777
    }
}
