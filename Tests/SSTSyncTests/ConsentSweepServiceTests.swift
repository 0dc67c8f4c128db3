import Foundation
import SSTCore
import SSTPrivacy
import SSTStore
import SSTSync
import ServiceLifecycle
import Testing

/// The hub's own sweep (`sst hub serve` runs it): a consent that expires takes the data shared under it off
/// the hub on the hub's clock, with no message from the school and no sync at all.
@Suite struct ConsentSweepServiceTests {
    @Test(.timeLimit(.minutes(10)))
    func theHubPurgesWhatAnExpiredConsentCoveredOnItsOwnClockWithoutASync() async throws {
        let district = try TestDistrict()
        let hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
        let school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
        let pupil = try TestPupil(at: school, givenName: "Åsa", consent: ["identity", "sst_case"])
        let caseID = try pupil.openCase(at: school, plan: "EXPIRES-plan: samtal varje vecka")
        _ = try await withHub(hub) { port in try await school.sync(port: port) }
        #expect(try hub.store.values("case", caseID)?["plan"] == .string("EXPIRES-plan: samtal varje vecka"))

        // A sweep before the consent ends keeps everything.
        try await sweep(hub, until: { _ in true })
        #expect(try hub.store.values("case", caseID)?["plan"] != nil, "a consent in force was swept")

        // The consent runs for 12 months; the hub's clock passes its end. The school never syncs again.
        hub.clock.advance(by: 400 * TestClock.day)
        try await sweep(hub) { store in try store.values("case", caseID)?["plan"] == nil }

        #expect(try hub.store.values("case", caseID)?["plan"] == nil)
        #expect(try hub.store.values("pupil", pupil.pupil)?["given_name"] == nil)
        let purged = try hub.store.auditEntries(pupil: pupil.pupil).filter { $0.entry.kind == .purged }
        #expect(purged.count == 1)
        #expect(purged.first?.entry.fields.contains("case.plan") == true)
        // The school still holds its own data.
        #expect(try school.store.values("case", caseID)?["plan"] == .string("EXPIRES-plan: samtal varje vecka"))
    }

    /// Runs the hub's sweep service until `done` holds for the hub's store (or 20 seconds pass), then shuts it
    /// down gracefully.
    private func sweep(_ hub: TestNode, until done: @escaping @Sendable (Store) throws -> Bool) async throws {
        let service = ConsentSweepService(store: hub.store, interval: .milliseconds(20), logger: quietLogger)
        let group = ServiceGroup(configuration: .init(services: [service], logger: quietLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = ContinuousClock.now + .seconds(20)
            try await Task.sleep(for: .milliseconds(100))  // at least one sweep
            while try !done(hub.store), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
