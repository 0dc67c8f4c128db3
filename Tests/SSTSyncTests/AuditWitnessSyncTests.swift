import Foundation
import SSTCore
import SSTStore
import SSTSync
import Testing

/// Witnessed audit heads (issue 23, item 4): each side keeps the other's audit-chain head at every handshake, and a
/// trail restored from a backup, shorter than what a peer witnessed, is reported by `verifyAudit` (the chain alone
/// verifies). Over real HTTPS.
@Suite(.timeLimit(.minutes(10)))
struct AuditWitnessSyncTests {
    let district: TestDistrict
    let clock = TestClock()
    let hub: TestNode
    let school: TestNode
    let pupil: TestPupil
    let caseID: RecordID

    init() throws {
        district = try TestDistrict()
        hub = try TestNode("hub-stockholm", role: .hub, district: district, clock: clock)
        school = try TestNode(
            "ekbacken-1",
            school: "Ekbackens skola",
            stadsdel: "Södermalm",
            district: district,
            clock: clock
        )
        pupil = try TestPupil(at: school, consent: ["identity", "sst_case"])
        caseID = try pupil.openCase(at: school)
    }

    /// `sst backup` of `node` into a new directory; returns the directory and the backup's audit length.
    func backup(_ node: TestNode, _ name: String) throws -> (directory: String, auditLength: Int64) {
        let directory = district.directory.path("backup/\(name)")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try node.store.backup(to: "\(directory)/\(Store.fileName)")
        return (directory, try node.store.auditHead().length)
    }

    /// The school changes the case's plan and syncs twice: the crossing is audited at both sides, and the second
    /// handshake shows each side the other's longer trail.
    func workAndSyncTwice(_ plan: String) async throws {
        clock.advance(by: 60_000)
        try school.store.set(entity: "case", record: caseID, assignments: [("plan", plan)])
        try await withHub(hub) { port in
            try await school.sync(port: port)
            clock.advance(by: 60_000)
            try await school.sync(port: port)
        }
    }

    @Test func aNodeRestoredFromABackupLearnsFromTheHubWhichEntriesItLost() async throws {
        try await withHub(hub) { port in try await school.sync(port: port) }
        let (directory, backupLength) = try backup(school, "ekbacken-1")
        try await workAndSyncTwice("Plan efter säkerhetskopian.")
        try await workAndSyncTwice("Plan efter säkerhetskopian, igen.")
        #expect(try school.store.verifyAudit().isIntact, "a trail that went on is intact")
        #expect(try hub.store.verifyAudit().isIntact)
        let witnessed = try #require(try hub.store.witnessedAuditHead(of: school.identity.node))
        #expect(witnessed.head.length > backupLength)

        // Restored: its own witness table went back with it, and the chain verifies; the hub's answer tells.
        clock.advance(by: 3_600_000)
        let restored = try TestNode(opening: directory, tls: school.tls, clock: clock)
        #expect(try restored.store.verifyAudit().isIntact)
        await #expect(throws: SyncFailure.self) {
            try await withHub(hub) { port in try await restored.sync(port: port) }
        }
        let verification = try restored.store.verifyAudit()
        #expect(verification.problems.isEmpty)
        let gap = try #require(verification.missing.first, "the restored trail verifies as intact")
        #expect(verification.missing.count == 1)
        #expect(gap.witness == "hub-stockholm")
        #expect(gap.witnessed.head == witnessed.head)
        #expect(gap.intactUpTo == backupLength)
        #expect(gap.message.hasPrefix("entries after \(backupLength) are missing (witnessed by hub-stockholm at "))
        // Found once: a second refused sync does not repeat it.
        await #expect(throws: SyncFailure.self) {
            try await withHub(hub) { port in try await restored.sync(port: port) }
        }
        #expect(try restored.store.verifyAudit().missing.count == 1)
    }

    @Test func aHubRestoredFromABackupLearnsFromItsSchoolsWhichEntriesItLost() async throws {
        try await withHub(hub) { port in try await school.sync(port: port) }
        let (directory, backupLength) = try backup(hub, "hub")
        try await workAndSyncTwice("Plan efter hubbens säkerhetskopia.")
        try await workAndSyncTwice("Plan efter hubbens säkerhetskopia, igen.")
        let witnessed = try #require(try school.store.witnessedAuditHead(of: hub.identity.node))
        #expect(witnessed.head.length > backupLength)

        let restored = try TestNode(opening: directory, tls: hub.tls, clock: clock)
        #expect(try restored.store.verifyAudit().isIntact)
        clock.advance(by: 3_600_000)
        // The school's last sync is ahead of the restored hub (hubRestored); the witness came in the handshake.
        await #expect(throws: SyncFailure.self) {
            try await withHub(restored) { port in try await school.sync(port: port) }
        }
        let verification = try restored.store.verifyAudit()
        let gap = try #require(verification.missing.first, "the restored hub's trail verifies as intact")
        #expect(gap.witness == "ekbacken-1")
        #expect(gap.witnessed.head == witnessed.head)
        #expect(gap.intactUpTo == backupLength)
        #expect(gap.message.hasPrefix("entries after \(backupLength) are missing (witnessed by ekbacken-1 at "))
        // The school's own trail is intact, and so is the original hub's.
        #expect(try school.store.verifyAudit().isIntact)
        #expect(try hub.store.verifyAudit().isIntact)
    }

    @Test func aTrailThatDiffersAtTheWitnessedLengthIsReportedToo() async throws {
        try await withHub(hub) { port in try await school.sync(port: port) }
        let store = school.store
        let head = try store.auditHead()
        #expect(head.length > 0)
        let other = AuditHead(length: head.length, hash: String(repeating: "a", count: 64))
        let witness = NodeID("hub-stockholm")!
        let first = try store.exchangeAuditHeads(
            with: witness,
            theirHead: nil,
            witnessOfMine: WitnessedAuditHead(head: head, atMilliseconds: clock.milliseconds()),
            at: clock.milliseconds()
        )
        #expect(first.gap == nil)
        let gap = try #require(
            try store.exchangeAuditHeads(
                with: witness,
                theirHead: nil,
                witnessOfMine: WitnessedAuditHead(head: other, atMilliseconds: clock.milliseconds()),
                at: clock.milliseconds()
            ).gap
        )
        #expect(gap.intactUpTo < head.length)
        #expect(try store.verifyAudit().missing == [gap])
    }
}
