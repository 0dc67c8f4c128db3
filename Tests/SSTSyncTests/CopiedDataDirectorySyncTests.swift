import Foundation
import SSTCore
import SSTStore
import SSTSync
import Testing

/// The handshake's log fingerprints (issue 23, item 3): a data directory copied other than by `sst backup` and
/// written after the original went on is refused (`restored`) before it can skip a write; an answer lost on the
/// way is not a copy; an `sst backup` copy the hub has nothing past goes on as before. Over real HTTPS.
@Suite(.timeLimit(.minutes(10)))
struct CopiedDataDirectorySyncTests {
    let district: TestDistrict
    let clock = TestClock()
    let hub: TestNode
    let school: TestNode
    let pupil: TestPupil

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
    }

    /// A `cp -R` of the school's data directory between two commands (the store quiescent), opened as a node of
    /// its own with the school's certificate. SQLite's shared-memory index is left behind, as a copy of a stopped
    /// node would have none.
    func copyOfSchool(_ name: String) throws -> TestNode {
        let copy = district.directory.path("copies/\(name)")
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: school.dataDirectory)
        where !file.hasSuffix("-shm") {
            try FileManager.default.copyItem(atPath: "\(school.dataDirectory)/\(file)", toPath: "\(copy)/\(file)")
        }
        return try TestNode(opening: copy, tls: school.tls, clock: clock)
    }

    /// Ten different cases opened at `node`, by plan.
    func tenCases(at node: TestNode, _ label: String) throws -> [RecordID: String] {
        var cases: [RecordID: String] = [:]
        for index in 1...10 {
            clock.advance(by: 1_000)
            let plan = "\(label) plan \(index)"
            cases[try pupil.openCase(at: node, plan: plan)] = plan
        }
        return cases
    }

    func syncFailure(
        _ node: TestNode,
        wrap: @escaping @Sendable (any SyncTransport) -> any SyncTransport = { $0 }
    ) async throws
        -> SyncFailure?
    {
        try await withHub(hub) { port in
            do {
                try await node.withSynchronizer(port: port, transport: wrap) { try await $0.sync() }
                return nil
            } catch let failure as SyncFailure {
                return failure
            }
        }
    }

    @Test func aCopyWrittenAfterTheOriginalSyncedIsRefusedThenRejoinsAndAllItsWritesReachTheHub() async throws {
        _ = try pupil.openCase(at: school)
        try await withHub(hub) { port in try await school.sync(port: port) }
        let copy = try copyOfSchool("ekbacken-1")

        // The original goes on and syncs; the copy, written offline, has its own changes under the same numbers.
        for index in 1...3 { _ = try pupil.openCase(at: school, plan: "Original \(index)") }
        try await withHub(hub) { port in try await school.sync(port: port) }
        let written = try tenCases(at: copy, "Kopia")
        #expect(try copy.store.lastSequence() > hub.store.cursor(for: school.identity.node))

        let refused = try #require(try await syncFailure(copy), "a copy whose log went on elsewhere synced")
        #expect(refused.code == Problem.Codes.restored)
        #expect(refused.problem?.statusCode == 409)
        #expect(refused.message.contains("copy"), "\(refused)")
        #expect(refused.remedy.contains("sst node rejoin --data DIR --node-id NEW-ID"), "\(refused)")
        for id in written.keys { #expect(try hub.store.values("case", id) == nil, "nothing may be exchanged") }

        // The node checks too: a hub that did not check (no fingerprints in the request) is refused by the node.
        let local = try #require(try await syncFailure(copy) { WithoutPushedBatches($0) }, "the node did not check")
        #expect(local.kind == .local)
        #expect(local.message.contains("(restored)") && local.message.contains("copy"), "\(local)")
        #expect(local.remedy.contains("sst node rejoin"))

        // The remedy: a new id; the whole log goes again, and every one of the ten writes reaches the hub.
        try copy.store.rejoin(as: NodeID("ekbacken-1-r2")!)
        let stateFile = SyncStateFile(directory: copy.dataDirectory, physicalClock: clock)
        try stateFile.save(try stateFile.load().rejoined())  // as `sst node rejoin` does
        let rejoined = try copy.reopened(
            tls: district.issue("ekbacken-1-r2", school: "Ekbackens skola", stadsdel: "Södermalm")
        )
        try await withHub(hub) { port in try await rejoined.sync(port: port) }
        for (id, plan) in written { #expect(try hub.store.values("case", id)?["plan"] == .string(plan)) }
    }

    @Test func theOriginalIsRefusedWhenTheCopySyncedFirst() async throws {
        try await withHub(hub) { port in try await school.sync(port: port) }
        let copy = try copyOfSchool("ekbacken-1")
        _ = try tenCases(at: copy, "Kopia")
        try await withHub(hub) { port in try await copy.sync(port: port) }
        _ = try tenCases(at: school, "Original")
        _ = try tenCases(at: school, "Original igen")
        let refused = try #require(try await syncFailure(school), "both copies synced as one node")
        #expect(refused.code == Problem.Codes.restored)
    }

    @Test func anAnswerLostOnTheWayIsNotACopy() async throws {
        let cases = try tenCases(at: school, "Plan")
        // The hub applies the first batch but its answer never comes; the session gives up (one attempt).
        try await withHub(hub) { port in
            await #expect(throws: SyncFailure.self) {
                try await school.withSynchronizer(
                    port: port,
                    batchSize: 8,
                    maxAttempts: 1,
                    transport: { ScriptedTransport($0, pushFaults: [0: .lostAnswer]) }
                ) { try await $0.sync() }
            }
        }
        #expect(try hub.store.cursor(for: school.identity.node) > 0, "the hub applied the batch")
        // The next session starts from the hub's cursor, at the batch whose answer was lost; so does a retry
        // within a session.
        try await withHub(hub) { port in
            try await school.withSynchronizer(
                port: port,
                batchSize: 8,
                transport: { ScriptedTransport($0, pushFaults: [1: .lostAnswer]) }
            ) { try await $0.sync() }
        }
        try await withHub(hub) { port in try await school.sync(port: port) }
        for (id, plan) in cases { #expect(try hub.store.values("case", id)?["plan"] == .string(plan)) }
    }

    @Test func anSSTBackupTheHubHasNothingPastGoesOnAsBefore() async throws {
        try await withHub(hub) { port in try await school.sync(port: port) }
        // Written after that sync, then backed up, then sent: the hub's cursor ends where the backup's log does.
        _ = try tenCases(at: school, "Före")
        let backup = district.directory.path("backup/ekbacken-1")
        try FileManager.default.createDirectory(atPath: backup, withIntermediateDirectories: true)
        try school.store.backup(to: "\(backup)/\(Store.fileName)")
        try await withHub(hub) { port in try await school.sync(port: port) }
        #expect(try hub.store.cursor(for: school.identity.node) == school.store.lastSequence())

        let restored = try TestNode(opening: backup, tls: school.tls, clock: clock)
        try await withHub(hub) { port in try await restored.sync(port: port) }
        #expect(try restored.store.backupMark() == nil)
        let later = try tenCases(at: restored, "Efter")
        try await withHub(hub) { port in try await restored.sync(port: port) }
        for (id, plan) in later { #expect(try hub.store.values("case", id)?["plan"] == .string(plan)) }
    }
}

/// The real transport, but the handshake carries no pushed-batch fingerprints (as an older node's): the hub
/// cannot check, so only the node's own check can refuse.
struct WithoutPushedBatches: SyncTransport {
    let inner: any SyncTransport

    init(_ inner: any SyncTransport) { self.inner = inner }

    func handshake(_ request: HandshakeRequest) async throws(SyncFailure) -> HandshakeResponse {
        var request = request
        request.pushed = nil
        return try await inner.handshake(request)
    }

    func pushBody(_ changeSet: ChangeSet) throws(SyncFailure) -> PushBody { try inner.pushBody(changeSet) }

    func push(_ body: PushBody) async throws(SyncFailure) -> PushResponse { try await inner.push(body) }

    func pull(since: Int64, limit: Int) async throws(SyncFailure) -> PullResponse {
        try await inner.pull(since: since, limit: limit)
    }
}
