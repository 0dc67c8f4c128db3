import Crypto
import Foundation
import SSTCore
import Testing

@testable import SSTSealing

/// The sealing vectors of Protocol/vectors/sealing (see its README): another implementation must produce and
/// refuse the same bytes. `SST_WRITE_SEALING_VECTORS=1 swift test --filter SealingVectorTests` rewrites them.
@Suite struct SealingVectorTests {
    static var directory: URL {
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while folder.path != "/"
            && !FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path)
        {
            folder.deleteLastPathComponent()
        }
        return folder.appendingPathComponent("Protocol/vectors/sealing")
    }

    static let sender = NodeID("ekbacken-1")!
    static let nonce = Hex.decode("000102030405060708090a0b")!
    static let oldNonce = Hex.decode("0c0d0e0f1011121314151617")!

    /// The vectors' keys: material and id derived from fixed text, so that they are reproducible.
    static func key(epoch: Int) -> SchoolKey {
        let material = Array(SHA256.hash(data: Data("sst sealing vector key, epoch \(epoch)".utf8)))
        let id = Hex.encode(SHA256.hash(data: Data("sst sealing vector key id, epoch \(epoch)".utf8)).prefix(16))
        return SchoolKey(
            school: "Ekbackens skola",
            id: id,
            epoch: epoch,
            createdAtMilliseconds: 1_733_450_000_000 + UInt64(epoch),
            material: material
        )
    }

    static func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static func writeVectors() throws {
        let key = Self.key(epoch: 2)
        let old = Self.key(epoch: 1)
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("epoch-1"),
            withIntermediateDirectories: true
        )
        for (entry, folder) in [(key, directory), (old, directory.appendingPathComponent("epoch-1"))] {
            let path = folder.appendingPathComponent(SchoolKeyFile.fileName).path
            try? FileManager.default.removeItem(atPath: path)
            try SchoolKeyFile.save(entry, directory: folder.path)
            try? FileManager.default.removeItem(
                at: folder.appendingPathComponent(SchoolKeyFile.lockFileName)
            )
            chmod(path, 0o644)
        }
        let plaintext = try Data(contentsOf: file("plaintext.txt"))
        let blob = try Sealing.seal(
            plaintext,
            kind: .changes,
            sender: sender,
            key: key,
            nonce: try AES.GCM.Nonce(data: nonce)
        )
        try blob.encoded().write(to: file("blob.json"))
        var tampered = blob.ciphertext
        tampered[tampered.count - 1] ^= 0x01
        try SealedBlob(
            school: blob.school,
            keyID: blob.keyID,
            epoch: blob.epoch,
            sender: blob.sender,
            kind: blob.kind,
            nonce: blob.nonce,
            ciphertext: tampered
        ).encoded().write(to: file("blob-tampered.json"))
        try Sealing.seal(plaintext, kind: .changes, sender: sender, key: old, nonce: try AES.GCM.Nonce(data: oldNonce))
            .encoded().write(to: file("blob-old-epoch.json"))
        let recovery = RecoveryFile.text(for: key)
        try Data(recovery.utf8).write(to: file("recovery.txt"))
        let cut = recovery.range(of: "checksum:")!.lowerBound
        try Data(recovery[..<cut].utf8).write(to: file("recovery-truncated.txt"))
    }

    init() throws {
        if ProcessInfo.processInfo.environment["SST_WRITE_SEALING_VECTORS"] == "1" { try Self.writeVectors() }
    }

    @Test func theKeyFilesHoldTheVectorKeys() throws {
        #expect(try SchoolKeyFile.load(directory: Self.directory.path) == Self.key(epoch: 2))
        #expect(
            try SchoolKeyFile.load(directory: Self.directory.appendingPathComponent("epoch-1").path)
                == Self.key(epoch: 1)
        )
    }

    @Test func sealingWithTheFixedNonceGivesTheExpectedBlob() throws {
        let plaintext = try Data(contentsOf: Self.file("plaintext.txt"))
        let expected = try Data(contentsOf: Self.file("blob.json"))
        let blob = try Sealing.seal(
            plaintext,
            kind: .changes,
            sender: Self.sender,
            key: Self.key(epoch: 2),
            nonce: try AES.GCM.Nonce(data: Self.nonce)
        )
        #expect(try blob.encoded() == expected)
        #expect(try Sealing.open(try SealedBlob.decode(expected), with: Self.key(epoch: 2)) == plaintext)
    }

    @Test func theTamperedBlobIsRefused() throws {
        let blob = try SealedBlob.decode(try Data(contentsOf: Self.file("blob-tampered.json")))
        let error = #expect(throws: SealingError.self) { try Sealing.open(blob, with: Self.key(epoch: 2)) }
        #expect(error?.code == .tampered)
    }

    @Test func theBlobOfTheOldEpochIsOld() throws {
        let blob = try SealedBlob.decode(try Data(contentsOf: Self.file("blob-old-epoch.json")))
        let error = #expect(throws: SealingError.self) { try Sealing.open(blob, with: Self.key(epoch: 2)) }
        #expect(error?.code == .oldKey)
        let plaintext = try Data(contentsOf: Self.file("plaintext.txt"))
        #expect(try Sealing.open(blob, with: Self.key(epoch: 1)) == plaintext)
    }

    @Test func theRecoveryFilesReadOrAreRefused() throws {
        let text = try String(contentsOf: Self.file("recovery.txt"), encoding: .utf8)
        #expect(text == RecoveryFile.text(for: Self.key(epoch: 2)))
        #expect(try RecoveryFile.read(text) == Self.key(epoch: 2))
        let truncated = try String(contentsOf: Self.file("recovery-truncated.txt"), encoding: .utf8)
        let error = #expect(throws: SealingError.self) { try RecoveryFile.read(truncated) }
        #expect(error?.code == .truncated)
    }
}
