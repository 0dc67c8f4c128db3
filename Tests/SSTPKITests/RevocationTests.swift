import Foundation
import SSTCore
import SSTPKI
import Testing
import X509

@Suite struct RevocationTests {
    /// A CA folder with one certificate issued to `school-ekbacken-1` and one to `hub-1`.
    func caFolder(_ directory: TemporaryDirectory) throws -> (folder: String, school: NodeCertificate) {
        let folder = directory.path("ca")
        let ca = try DistrictCA.create(in: folder)
        let school = try ca.issue(for: try schoolIdentity(), into: directory.path("school"))
        let hub = try CertificateIdentity(node: NodeID("hub-1")!, role: "hub", stadsdel: "Södermalm")
        try ca.issue(for: hub, into: directory.path("hub"))
        return (folder, school)
    }

    @Test func missingFileMeansNothingRevoked() throws {
        let directory = try TemporaryDirectory()
        let list = try RevocationList.load(fromCA: directory.path("ca"))
        #expect(list.entries.isEmpty)
        #expect(!list.isRevoked(node: NodeID("school-a")!))
    }

    @Test func revokeAddsEveryCertificateOfTheNodeOnce() throws {
        let directory = try TemporaryDirectory()
        let (folder, school) = try caFolder(directory)
        let second = try DistrictCA.load(from: folder).issue(for: try schoolIdentity(), into: directory.path("school2"))
        let added = try RevocationList.revoke(node: NodeID("school-ekbacken-1")!, reason: "stolen", caDirectory: folder)
        #expect(Set(added.map(\.serial)) == [school.serial, second.serial])
        let list = try RevocationList.load(fromCA: folder)
        #expect(list.isRevoked(serial: school.serial))
        #expect(list.isRevoked(serial: school.certificate.serialNumber))
        #expect(list.isRevoked(node: NodeID("school-ekbacken-1")!))
        #expect(!list.isRevoked(node: NodeID("hub-1")!))
        #expect(list.entries.first?.reason == "stolen")
        let again = try RevocationList.revoke(node: NodeID("school-ekbacken-1")!, caDirectory: folder)
        #expect(again.isEmpty)
        #expect(try RevocationList.load(fromCA: folder).entries.count == 2)
    }

    @Test func revokingUnknownNodeSaysSo() throws {
        let directory = try TemporaryDirectory()
        let (folder, _) = try caFolder(directory)
        let error = try #require(throws: PKIError.self) {
            try RevocationList.revoke(node: NodeID("school-ghost")!, caDirectory: folder)
        }
        #expect(error.code == .unknownNode)
        #expect(try RevocationList.loadRequired(path: RevocationList.path(inCA: folder)).entries.isEmpty)
    }

    @Test func newCAFolderHoldsAnEmptyList() throws {
        let directory = try TemporaryDirectory()
        let (folder, _) = try caFolder(directory)
        #expect(try RevocationList.loadRequired(path: RevocationList.path(inCA: folder)) == RevocationList())
        // The text the error's remedy tells an administrator to write is a valid empty list.
        let path = directory.path("by-hand.json")
        try RevocationList.emptyFileText.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try RevocationList.loadRequired(path: path) == RevocationList())
    }

    @Test func serialMatchesInAnyCaseWithColonsAndLeadingZeros() throws {
        let list = RevocationList(entries: [
            RevocationList.Entry(node: "school-a", serial: "00:0A:FF:01", revokedAt: Date())
        ])
        #expect(list.isRevoked(serial: "aff01"))
        #expect(list.isRevoked(serial: "0AFF01"))
        #expect(!list.isRevoked(serial: "aff02"))
    }

    @Test func corruptFileIsAnErrorNamingTheFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("revoked.json")
        for text in [
            "{\"format\": \"sst-revocations\", \"version\": 1, \"revoked\": [",
            "{\"format\": \"something-else\", \"version\": 1, \"revoked\": []}",
            "{\"format\": \"sst-revocations\", \"version\": 1, \"revoked\": [{\"node\": \"a\"}]}",
            "{\"format\": \"sst-revocations\", \"version\": 1, \"revoked\": "
                + "[{\"node\": \"a\", \"serial\": \"xyz\", \"revokedAt\": \"2026-01-01T00:00:00Z\"}]}",
        ] {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let error = try #require(throws: PKIError.self) { try RevocationList.load(path: path) }
            #expect(error.code == .corruptFile)
            #expect(error.message.contains(path), "\(error)")
        }
    }

    @Test func watcherSeesRevocationWithoutRestart() throws {
        let directory = try TemporaryDirectory()
        let (folder, school) = try caFolder(directory)
        let watcher = try RevocationWatcher(caDirectory: folder)
        #expect(!watcher.isRevoked(serial: school.certificate.serialNumber))
        try RevocationList.revoke(node: NodeID("school-ekbacken-1")!, caDirectory: folder)
        #expect(watcher.isRevoked(serial: school.certificate.serialNumber))
        #expect(watcher.isRevoked(node: NodeID("school-ekbacken-1")!))
        #expect(watcher.lastError == nil)
    }

    @Test func watcherKeepsLastGoodListWhileFileIsCorruptAndReportsIt() throws {
        let directory = try TemporaryDirectory()
        let (folder, school) = try caFolder(directory)
        try RevocationList.revoke(node: NodeID("school-ekbacken-1")!, caDirectory: folder)
        let reports = Reports()
        let watcher = try RevocationWatcher(caDirectory: folder) { reports.append($0) }
        #expect(watcher.isRevoked(serial: school.serial))

        let path = RevocationList.path(inCA: folder)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: path))
        #expect(!watcher.refresh())
        #expect(watcher.isRevoked(serial: school.serial))
        let error = try #require(watcher.lastError)
        #expect(error.code == .corruptFile && error.message.contains(path))
        #expect(reports.count == 1)

        try good.write(to: URL(fileURLWithPath: path))
        #expect(watcher.refresh())
        #expect(watcher.lastError == nil)
        #expect(watcher.isRevoked(serial: school.serial))
    }

    @Test func watcherRefusesToStartWithoutTheFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("revoked.json")
        let error = try #require(throws: PKIError.self) { try RevocationWatcher(path: path) }
        #expect(error.code == .notFound)
        #expect(error.message.contains(path), "\(error)")
        #expect(error.remedy.contains("sst pki init") && error.remedy.contains(RevocationList.emptyFileText))
    }

    @Test func watcherRefusesToStartOnAnUnreadableFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("revoked.json")
        // A folder where the file should be: unreadable as a file even for root, unlike a mode of 000.
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        let error = try #require(throws: PKIError.self) { try RevocationWatcher(path: path) }
        #expect(error.code == .unreadable && error.message.contains(path), "\(error)")
    }

    @Test func removedFileKeepsTheLastGoodListInForceAndIsReportedOnce() throws {
        let directory = try TemporaryDirectory()
        let (folder, school) = try caFolder(directory)
        try RevocationList.revoke(node: NodeID("school-ekbacken-1")!, caDirectory: folder)
        let reports = Reports()
        let watcher = try RevocationWatcher(caDirectory: folder) { reports.append($0) }
        let path = RevocationList.path(inCA: folder)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))

        try FileManager.default.removeItem(atPath: path)
        #expect(!watcher.refresh())
        #expect(watcher.isRevoked(serial: school.serial))
        #expect(watcher.isRevoked(serial: school.certificate.serialNumber))
        let error = try #require(watcher.lastError)
        #expect(error.code == .notFound && error.message.contains(path), "\(error)")
        #expect(!watcher.refresh())
        #expect(reports.count == 1)

        try good.write(to: URL(fileURLWithPath: path))
        #expect(watcher.refresh())
        #expect(watcher.lastError == nil)
        #expect(watcher.isRevoked(serial: school.serial))

        // Damaged, then removed, then damaged again: still the last good list, one report per change of state.
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: path))
        #expect(watcher.isRevoked(serial: school.serial))
        try FileManager.default.removeItem(atPath: path)
        #expect(watcher.isRevoked(serial: school.serial))
        #expect(reports.count == 3)
    }

    @Test func fileReplacedByAFolderKeepsTheLastGoodList() throws {
        let directory = try TemporaryDirectory()
        let (folder, school) = try caFolder(directory)
        try RevocationList.revoke(node: NodeID("school-ekbacken-1")!, caDirectory: folder)
        let watcher = try RevocationWatcher(caDirectory: folder)
        let path = RevocationList.path(inCA: folder)
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        #expect(!watcher.refresh())
        #expect(watcher.isRevoked(serial: school.serial))
        #expect(watcher.lastError?.code == .unreadable)
    }

    @Test func watcherRefusesToStartOnCorruptFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("revoked.json")
        try "[]".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: PKIError.self) { try RevocationWatcher(path: path) }
    }
}

/// Errors reported by a watcher, collected across threads.
final class Reports: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [PKIError] = []

    func append(_ error: PKIError) { lock.withLock { errors.append(error) } }
    var count: Int { lock.withLock { errors.count } }
}
