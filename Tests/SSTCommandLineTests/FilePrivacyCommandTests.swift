import Foundation
import Testing

/// What the node writes is readable by its user only, and the hub does not run without its deny list.
@Suite struct FilePrivacyCommandTests {
    /// After `sst init`, a write, an export, a backup and a sync with the hub, every file the node wrote is 0600
    /// and every directory 0700: the data directories, the backup and the change-set file.
    @Test(.timeLimit(.minutes(10)))
    func everyFileTheNodeWritesIsPrivate() throws {
        try withScratchDirectory { scratch in
            let school = try Node.school("ekbacken-1", in: scratch)
            let hub = try Node.hub("hub-sodermalm", in: scratch)
            try school.set("pupil", newRecordID(), ["given_name=Åsa", "family_name=Öberg", "grade=7"])
            let exported = try school.export(to: scratch.appendingPathComponent("changes.json"))
            let backup = scratch.appendingPathComponent("backup").path
            try school.sst(["backup", "--data", school.data, "--out", backup])
            let district = try LoopbackDistrict.issue(hub: hub, school: school, in: scratch)
            let (server, port) = try district.serve(hub)
            defer { server.terminate() }
            try school.sst(district.syncArguments(school, port: port))

            var checked: [String] = []
            for root in [school.data, hub.data, backup] {
                #expect(mode(root) == 0o700, "\(root)")
                for name in try FileManager.default.contentsOfDirectory(atPath: root) {
                    let path = root + "/" + name
                    #expect(mode(path) == 0o600, "\(path) is \(String(mode(path), radix: 8))")
                    checked.append(name)
                }
            }
            #expect(mode(exported.path) == 0o600)
            for name in ["sst.sqlite", "sst.sqlite-wal", "sst.sqlite-shm", "sync-state.json"] {
                #expect(checked.contains(name), "\(name) was not there to check: \(checked)")
            }
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func hubRefusesToStartWithoutItsRevocationList() throws {
        try withScratchDirectory { scratch in
            let school = try Node.school("ekbacken-1", in: scratch)
            let hub = try Node.hub("hub-sodermalm", in: scratch)
            let district = try LoopbackDistrict.issue(hub: hub, school: school, in: scratch)
            let revoked = district.ca + "/revoked.json"
            #expect(FileManager.default.fileExists(atPath: revoked), "`sst pki init` writes an empty list")
            let serve =
                ["hub", "serve", "--data", hub.data, "--listen", "127.0.0.1:0"]
                + ["--cert", district.hubTLS + "/node.pem", "--key", district.hubTLS + "/node-key.pem"]
            let missing = scratch.appendingPathComponent("missing.json").path
            expectRefusal(
                try SST.run(serve + ["--client-ca", district.ca + "/ca.pem", "--revoked", missing], timeout: 60),
                mentions: [missing, "does not exist", "sst pki init"]
            )
            // Without --revoked, a CA folder's list is the one: it must be there too.
            try FileManager.default.removeItem(atPath: revoked)
            expectRefusal(
                try SST.run(serve + ["--client-ca", district.ca + "/ca.pem"], timeout: 60),
                mentions: [revoked, "does not exist"]
            )
            // With a lone copy of the CA certificate, the hub runs, and says nothing can be revoked.
            let lone = try SSTRun(serve + ["--client-ca", district.hubTLS + "/ca.pem"])
            defer { lone.terminate() }
            _ = try lone.listeningPort()
            #expect(lone.outputSoFar().contains("no revocation list"), "\(lone.outputSoFar())")
        }
    }

    func mode(_ path: String) -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return info.st_mode & 0o7777
    }
}
