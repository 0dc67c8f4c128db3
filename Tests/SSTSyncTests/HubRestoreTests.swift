import Foundation
import SSTCore
import SSTPrivacy
import SSTStore
import SSTSync
import Testing

/// A hub restored from a backup older than a school's last sync, over real HTTPS: the school refuses to pull from
/// a log that reuses sequence numbers it already pulled past, and syncs everything again once the hub has a new
/// node id (`Store.rejoin(as:)`), giving back what the hub lost and it had received.
@Suite(.timeLimit(.minutes(10)))
struct HubRestoreTests {
    /// The hub's own check of the second half of `lastSync`: a node that pulled further than the hub's log now
    /// reaches is refused (`hubRestored`), one that pulled exactly to its end is not; another hub's numbers are not
    /// this hub's to check.
    @Test func aNodeThatPulledPastTheEndOfTheHubsLogIsRefused() throws {
        let hub = try Store.inMemory(identity: NodeIdentity(node: NodeID("hub-stockholm")!, role: .hub))
        try hub.set(entity: "social_investigation", record: RecordID.random(), values: ["notes": .string("Utredning.")])
        let latest = try hub.lastSequence()
        let service = HubService(store: hub, metrics: HubMetrics(), logger: quietLogger)
        let school = PeerIdentity(node: NodeID("ekbacken-1")!, role: .school, school: "Ekbackens skola")
        func handshake(hub name: String = "hub-stockholm", pulledUpTo: Int64) throws(Problem) -> HandshakeResponse {
            try service.handshake(
                HandshakeRequest(
                    policyHash: hub.policy.hash,
                    nodeTime: SystemClock().milliseconds(),
                    lastSequence: 0,
                    lastSync: HandshakeRequest.LastSync(hub: name, acknowledged: 0, pulledUpTo: pulledUpTo)
                ),
                from: school
            )
        }
        #expect(try handshake(pulledUpTo: latest).cursor == 0)
        let refused = #expect(throws: Problem.self) { try handshake(pulledUpTo: latest + 1) }
        #expect(refused?.code == Problem.Codes.hubRestored && refused?.statusCode == 409)
        #expect(try handshake(hub: "hub-kungsholmen", pulledUpTo: latest + 1).cursor == 0)
    }

    @Test func aSchoolRefusesARestoredHubThenConvergesWithItUnderANewID() async throws {
        let district = try TestDistrict()
        let clock = TestClock()
        let hub = try TestNode("hub-stockholm", role: .hub, district: district, clock: clock)
        let school = try TestNode(
            "ekbacken-1",
            school: "Ekbackens skola",
            stadsdel: "Södermalm",
            district: district,
            clock: clock
        )
        let pupil = try TestPupil(at: school, consent: ["identity", "sst_case"])
        let caseID = try pupil.openCase(at: school)
        try await withHub(hub) { port in try await school.sync(port: port) }
        let backup = district.directory.path("backup/hub")
        try FileManager.default.createDirectory(atPath: backup, withIntermediateDirectories: true)
        try hub.store.backup(to: "\(backup)/\(Store.fileName)")

        // After the backup: the social worker's plan reaches the school, the school moves the phase on.
        clock.advance(by: TestClock.day)
        try hub.store.set(entity: "case", record: caseID, assignments: [("plan", "Socialtjänstens plan, dag 1.")])
        let intervention = RecordID.random()
        try hub.store.set(
            entity: "intervention",
            record: intervention,
            assignments: [
                ("case_id", caseID.rawValue), ("kind", "parenting_support"), ("responsible", "Socialsekreterare"),
            ]
        )
        try await withHub(hub) { port in try await school.sync(port: port) }
        try school.store.set(entity: "case", record: caseID, assignments: [("phase", "planning")])
        try await withHub(hub) { port in try await school.sync(port: port) }

        // The hub's disk fails; it is restored from the backup, and the social worker writes the plan again.
        clock.advance(by: TestClock.day)
        let restored = try TestNode(opening: backup, tls: hub.tls, clock: clock)
        try restored.store.set(entity: "case", record: caseID, assignments: [("plan", "Socialtjänstens plan, dag 2.")])
        // Social services' work since the restore takes the hub's log past what this school had pulled, so the
        // school cannot tell from the log's length alone (the plan of day 2 has a sequence number it is past).
        let pulled = try school.store.cursor(for: hub.identity.node)
        #expect(try restored.store.lastSequence() <= pulled)
        while try restored.store.lastSequence() <= pulled {
            try restored.store.set(
                entity: "social_investigation",
                record: RecordID.random(),
                assignments: [("pupil_id", pupil.pupil.rawValue), ("notes", "Utredning pågår.")]
            )
        }
        let before = try school.store.dumpText()
        do {
            try await withHub(restored) { port in try await school.sync(port: port) }
            Issue.record("the school synced with a hub restored from a backup older than its last sync")
        } catch let failure as SyncFailure {
            #expect(failure.code == Problem.Codes.hubRestored)
            #expect(failure.remedy.contains("sst node rejoin") && failure.remedy.contains("--accept-hub"))
        }
        #expect(try school.store.dumpText() == before)

        // Under a new id the school refuses the hub until told to follow it; then it pulls the hub's whole log
        // again and pushes what the hub lost.
        try restored.store.rejoin(as: NodeID("hub-stockholm-r2")!)
        let rejoined = try restored.reopened(tls: district.issue("hub-stockholm-r2", role: "hub"))
        try await withHub(rejoined) { port in
            let refused = await #expect(throws: SyncFailure.self) { try await school.sync(port: port) }
            #expect(refused?.kind == .hubChanged && refused?.remedy.contains("--accept-hub hub-stockholm-r2") == true)
            try await school.sync(port: port, acceptHub: "hub-stockholm-r2")
        }
        let atHub = try #require(try rejoined.store.values("case", caseID))
        #expect(atHub["plan"] == .string("Socialtjänstens plan, dag 2."))
        #expect(atHub["phase"] == .phase(Phase(generation: 1, step: .planning)))
        #expect(try school.store.values("case", caseID) == atHub)
        // What social services wrote after the backup and the school had received comes back from the school.
        let support = try #require(try rejoined.store.values("intervention", intervention))
        #expect(support["kind"] == .string("parenting_support"))
        #expect(try school.store.values("intervention", intervention) == support)
    }
}
