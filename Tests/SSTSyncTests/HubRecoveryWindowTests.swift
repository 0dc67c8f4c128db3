import Foundation
import SSTCore
import SSTPrivacy
import SSTStore
import SSTSync
import Testing

/// A hub restored from a backup, over real HTTPS: after `rejoin` and with its recovery window open, the school
/// that follows it gives back the values of social services' fields it had received and the hub lost (the support
/// flag, the receipt of a report of concern); with the window closed such a push is refused (403 notOwner).
@Suite(.timeLimit(.minutes(10)))
struct HubRecoveryWindowTests {
    @Test func aRestoredHubGetsSocialValuesBackFromTheSchoolInItsWindowOnly() async throws {
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
        let pupil = try TestPupil(at: school, consent: ["identity", "sst_case", "social_support_flag"])
        let report = try pupil.reportConcern(at: school)
        try await withHub(hub) { port in try await school.sync(port: port) }
        let backup = district.directory.path("backup/hub")
        try FileManager.default.createDirectory(atPath: backup, withIntermediateDirectories: true)
        try hub.store.backup(to: "\(backup)/\(Store.fileName)")

        // After the backup social services record support and answer the report; the school receives both.
        clock.advance(by: TestClock.day)
        let support = RecordID.random()
        try hub.store.set(
            entity: "social_support",
            record: support,
            assignments: [("pupil_id", pupil.pupil.rawValue), ("has_ongoing_support", "true")]
        )
        try hub.store.set(
            entity: "concern_report",
            record: report,
            assignments: [("received_at", "2026-03-02T09:00:00Z"), ("investigation_opened", "true")]
        )
        try await withHub(hub) { port in try await school.sync(port: port) }
        let given = try #require(try school.store.values("social_support", support))
        #expect(given["has_ongoing_support"] == .boolean(true))

        // The hub's disk fails: restored from the backup under a new id, its window opened.
        clock.advance(by: TestClock.day)
        let restored = try TestNode(opening: backup, tls: hub.tls, clock: clock)
        try restored.store.rejoin(as: NodeID("hub-stockholm-r2")!)
        let rejoined = try restored.reopened(tls: district.issue("hub-stockholm-r2", role: "hub"))
        try rejoined.store.openRecoveryWindow()
        try await withHub(rejoined) { port in
            try await school.withSynchronizer(port: port, acceptHub: "hub-stockholm-r2") { synchronizer in
                await synchronizer.refreshHubRecovery()
                try await synchronizer.sync()
            }
        }
        #expect(try rejoined.store.values("social_support", support) == given)
        let answered = try #require(try rejoined.store.values("concern_report", report))
        #expect(answered["received_at"] == .string("2026-03-02T09:00:00Z"))
        #expect(answered["investigation_opened"] == .boolean(true))
        let recovered = try rejoined.store.auditEntries().map(\.entry).filter { $0.detail.hasPrefix("recovered from") }
        #expect(recovered.count == 1)
        #expect(recovered.first?.peer == "ekbacken-1" && recovered.first?.pupil == pupil.pupil)
        #expect(recovered.first?.detail.contains("Ekbackens skola") == true)
        #expect(try rejoined.store.verifyAudit().problems.isEmpty)

        // Closed: the school hears so and syncs on without them; a push that still gives values back is refused.
        #expect(try rejoined.store.closeRecoveryWindow())
        try await withHub(rejoined) { port in
            try await school.withSynchronizer(port: port) { synchronizer in
                await synchronizer.refreshHubRecovery()
                #expect(try school.store.hubRecoveryOffer() == nil)
                try await synchronizer.sync()
            }
            // A node that missed the closing (its word from the hub is stale, and it does not ask again: a transport
            // that cannot) pushes them once more: refused whole.
            try school.store.hubRecoveryAnswered(
                by: NodeID("hub-stockholm-r2")!,
                open: true,
                previous: [NodeID("hub-stockholm")!],
                until: nil
            )
            let before = try rejoined.store.dumpText()
            let refused = await #expect(throws: SyncFailure.self) {
                try await school.withSynchronizer(port: port, transport: { NotAskingForRecovery(inner: $0) }) {
                    try await $0.sync()
                }
            }
            #expect(refused?.problem?.code == "notOwner" && refused?.problem?.statusCode == 403)
            #expect(try rejoined.store.dumpText() == before)
        }
    }
}

/// The real transport without `GET /v2/recovery`: a node that keeps its last word on the hub's window.
struct NotAskingForRecovery: SyncTransport {
    let inner: any SyncTransport

    func handshake(_ request: HandshakeRequest) async throws(SyncFailure) -> HandshakeResponse {
        try await inner.handshake(request)
    }
    func pushBody(_ changeSet: ChangeSet) throws(SyncFailure) -> PushBody { try inner.pushBody(changeSet) }
    func push(_ body: PushBody) async throws(SyncFailure) -> PushResponse { try await inner.push(body) }
    func pull(since: Int64, limit: Int) async throws(SyncFailure) -> PullResponse {
        try await inner.pull(since: since, limit: limit)
    }
}
