import Foundation
import Testing

/// Issue 23, item 4, as an administrator meets it: a school node, then a hub, restored from an `sst backup` older
/// than what the other side witnessed of its audit trail; after the next sync `sst audit verify` says which
/// entries are missing and exits non-zero, where the hash chain alone verified. Real processes over HTTPS.
@Suite struct AuditWitnessTests {
    /// A school with a consented case, a hub, the district's certificates and a running `sst hub serve`, synced
    /// once.
    struct Setup {
        let school: Node
        let hub: Node
        let caseID: String
        let district: LoopbackDistrict
        let server: SSTRun
        let port: Int

        init(in scratch: URL) throws {
            school = try Node.school("ekbacken-1", in: scratch)
            hub = try Node.hub("hub-sodermalm", in: scratch)
            let pupil = newRecordID()
            let guardian = newRecordID()
            caseID = newRecordID()
            try school.set("pupil", pupil, ["given_name=Åsa", "family_name=Öberg", "personnummer=20160315-2388"])
            try school.set("guardian", guardian, ["pupil_id=\(pupil)", "given_name=Karin", "has_custody=true"])
            try school.grantConsent(pupil: pupil, scopes: "identity,sst_case", givenBy: [guardian])
            try school.set("case", caseID, ["pupil_id=\(pupil)", "category=absence", "plan=Samtal med kurator"])
            district = try LoopbackDistrict.issue(hub: hub, school: school, in: scratch)
            (server, port) = try district.serve(hub)
            try school.sst(district.syncArguments(school, port: port))
        }

        /// The school writes (the crossing is audited at both sides) and syncs twice: the second handshake shows
        /// each side the other's longer trail.
        func workAndSyncTwice(_ plan: String, port: Int) throws {
            try school.set("case", caseID, ["plan=\(plan)"])
            try school.sst(district.syncArguments(school, port: port))
            try school.sst(district.syncArguments(school, port: port))
        }
    }

    /// `sst backup` of `node` into `scratch/backups/NAME`, and how many audit entries the backup holds.
    func backup(_ node: Node, _ name: String, in scratch: URL) throws -> (node: Node, auditLength: Int) {
        let backups = scratch.appendingPathComponent("backups")
        try FileManager.default.createDirectory(at: backups, withIntermediateDirectories: true)
        let copy = Node(id: node.id, directory: backups.appendingPathComponent(name))
        try node.sst(["backup", "--data", node.data, "--out", copy.data])
        return (copy, try intactLength(copy))
    }

    /// `sst audit verify` succeeds; the number of entries it names.
    func intactLength(_ node: Node, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        let verified = try node.sst(["audit", "verify", "--data", node.data], sourceLocation: sourceLocation)
        let words = verified.out.split(separator: " ")
        let index = try #require(words.firstIndex(of: "entries,"), "\(verified)", sourceLocation: sourceLocation)
        return try #require(Int(words[index - 1]), "\(verified)", sourceLocation: sourceLocation)
    }

    @Test(.timeLimit(.minutes(10)))
    func aSchoolRestoredFromAnOlderBackupReportsTheEntriesTheHubWitnessed() throws {
        try withScratchDirectory { scratch in
            let setup = try Setup(in: scratch)
            defer { setup.server.terminate() }
            let (restored, backupLength) = try backup(setup.school, "ekbacken-1", in: scratch)
            try setup.workAndSyncTwice("Samtal med kurator varje vecka", port: setup.port)
            try setup.workAndSyncTwice("Samtal med kurator och mentor", port: setup.port)
            #expect(try intactLength(setup.school) > backupLength)

            // The backup restored verifies as intact by its chain alone, until it has synced.
            #expect(try intactLength(restored) == backupLength)
            expectRefusal(
                try SST.run(setup.district.syncArguments(restored, port: setup.port)),
                mentions: ["restored from a backup", "sst node rejoin"]
            )
            let verify = try SST.run(["audit", "verify", "--data", restored.data])
            expectRefusal(verify, mentions: ["ends before what a peer witnessed", "data protection officer"])
            #expect(
                verify.out.contains(
                    "MISSING: entries after \(backupLength) are missing (witnessed by hub-sodermalm at "
                ),
                "\(verify)"
            )
            #expect(!verify.out.contains("intact"), "\(verify)")
            // The original's trail, and the hub's, are intact.
            _ = try intactLength(setup.school)
            _ = try intactLength(setup.hub)
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func aHubRestoredFromAnOlderBackupReportsTheEntriesItsSchoolWitnessed() throws {
        try withScratchDirectory { scratch in
            let setup = try Setup(in: scratch)
            let (restored, backupLength) = try backup(setup.hub, "hub", in: scratch)
            try setup.workAndSyncTwice("Samtal med kurator varje vecka", port: setup.port)
            try setup.workAndSyncTwice("Samtal med kurator och mentor", port: setup.port)
            #expect(try intactLength(setup.hub) > backupLength)
            setup.server.terminate()
            #expect(try intactLength(restored) == backupLength)

            // The hub's disk fails; its backup is served instead. The school's next sync tells it what it lost.
            let (server, port) = try setup.district.serve(restored)
            defer { server.terminate() }
            _ = try SST.run(setup.district.syncArguments(setup.school, port: port))
            let verify = try SST.run(["audit", "verify", "--data", restored.data])
            expectRefusal(verify, mentions: ["ends before what a peer witnessed"])
            #expect(
                verify.out.contains("MISSING: entries after \(backupLength) are missing (witnessed by ekbacken-1 at "),
                "\(verify)"
            )
            _ = try intactLength(setup.school)
        }
    }
}
