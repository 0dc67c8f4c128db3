import Foundation
import Testing

@testable import SSTSealing

/// A fresh directory under the system's temporary directory, removed when the test is done with it.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sst-sealing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var path: String { url.path }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The permission bits of a file, e.g. `0o600`.
func permissions(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as! NSNumber).intValue & 0o777
}

@Suite struct KeyFileTests {
    let school = "Ekbackens skola"

    @Test func aNodeWithoutAKeyFileHasNoKey() throws {
        let directory = try TemporaryDirectory()
        #expect(try SchoolKeyFile.load(directory: directory.path) == nil)
        #expect(try SchoolKeyFile.isUsed(directory: directory.path) == false)
        #expect(throws: SchoolKeyFile.FileError.self) { try SchoolKeyFile.markUsed(directory: directory.path) }
    }

    @Test func theKeyFileIsPrivateAndReadsBack() throws {
        let directory = try TemporaryDirectory()
        let key = SchoolKey.generate(school: school, epoch: 1, now: 1_733_450_000_000)
        try SchoolKeyFile.save(key, directory: directory.path)
        let path = directory.path(SchoolKeyFile.fileName)
        #expect(try permissions(path) == 0o600)
        #expect(try SchoolKeyFile.load(directory: directory.path) == key)
        #expect(try SchoolKeyFile.isUsed(directory: directory.path) == false)
        try SchoolKeyFile.save(key, directory: directory.path)
        #expect(try permissions(path) == 0o600)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(files == [SchoolKeyFile.lockFileName, SchoolKeyFile.fileName].sorted())
    }

    @Test func markingTheKeyUsedLastsAcrossSaves() throws {
        let directory = try TemporaryDirectory()
        let key = SchoolKey.generate(school: school, epoch: 1, now: 1)
        try SchoolKeyFile.save(key, directory: directory.path)
        try SchoolKeyFile.markUsed(directory: directory.path)
        #expect(try SchoolKeyFile.isUsed(directory: directory.path))
        try SchoolKeyFile.save(key, directory: directory.path)
        #expect(try SchoolKeyFile.isUsed(directory: directory.path))
        #expect(try permissions(directory.path(SchoolKeyFile.fileName)) == 0o600)
    }

    @Test func aDamagedKeyFileIsRefusedClearly() throws {
        let directory = try TemporaryDirectory()
        let key = SchoolKey.generate(school: school, epoch: 1, now: 1)
        try SchoolKeyFile.save(key, directory: directory.path)
        let path = directory.path(SchoolKeyFile.fileName)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for damaged in [
            String(text.prefix(text.count / 2)), text.replacingOccurrences(of: "\"epoch\": 1", with: "\"epoch\": 0"),
            text.replacingOccurrences(of: "\"sealed\": false", with: "\"sealed\": \"no\""),
        ] {
            try Data(damaged.utf8).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: SchoolKeyFile.FileError.self) {
                try SchoolKeyFile.load(directory: directory.path)
            }
            #expect(error?.message.contains("damaged") == true)
            #expect(error?.remedy.contains("sst school-key recover") == true)
        }
    }

    @Test func installRefusesWhatWouldLoseData() throws {
        let directory = try TemporaryDirectory()
        let first = SchoolKey.generate(school: school, epoch: 1, now: 1)
        let sameEpoch = SchoolKey.generate(school: school, epoch: 1, now: 2)
        let second = SchoolKey.generate(school: school, epoch: 2, now: 3)
        let otherSchool = SchoolKey.generate(school: "Björkhagens skola", epoch: 3, now: 4)

        #expect(try SchoolKeyFile.install(first, school: school, directory: directory.path) == .installed)
        #expect(try SchoolKeyFile.install(first, school: school, directory: directory.path) == .alreadyInstalled)
        let refusedSchool = #expect(throws: SealingError.self) {
            try SchoolKeyFile.install(otherSchool, school: school, directory: directory.path)
        }
        #expect(refusedSchool?.code == .otherSchool)
        // An unused key of the same epoch (from `sst init`) may be replaced…
        #expect(try SchoolKeyFile.install(sameEpoch, school: school, directory: directory.path) == .replacedUnused)
        #expect(try SchoolKeyFile.load(directory: directory.path) == sameEpoch)
        // …but not once the node has sealed with it.
        try SchoolKeyFile.markUsed(directory: directory.path)
        let refusedUsed = #expect(throws: SealingError.self) {
            try SchoolKeyFile.install(first, school: school, directory: directory.path)
        }
        #expect(refusedUsed?.code == .otherKey)
        #expect(try SchoolKeyFile.load(directory: directory.path) == sameEpoch)
        // A later epoch replaces it; an earlier one never does.
        #expect(try SchoolKeyFile.install(second, school: school, directory: directory.path) == .rotated)
        #expect(try SchoolKeyFile.isUsed(directory: directory.path) == false)
        let refusedOld = #expect(throws: SealingError.self) {
            try SchoolKeyFile.install(sameEpoch, school: school, directory: directory.path)
        }
        #expect(refusedOld?.code == .oldKey)
        #expect(try SchoolKeyFile.load(directory: directory.path) == second)
    }
}
