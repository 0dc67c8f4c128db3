import Foundation
import SSTCore
import SSTStore
import SSTSync
import ServiceLifecycle
import Testing

/// The background loop: it keeps trying while the hub is down, and syncs soon after local writes.
@Suite(.timeLimit(.minutes(3)))
struct NodeSyncServiceTests {
    let district: TestDistrict
    let hub: TestNode
    let school: TestNode

    init() throws {
        district = try TestDistrict()
        hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
        school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
    }

    @Test func loopSurvivesTheHubBeingDownThenSyncsSoonAfterLocalWrites() async throws {
        let port = try await withHub(hub) { $0 }  // A port that was free; nothing listens on it now.
        let school = school
        let hub = hub
        try await school.withSynchronizer(port: port, maxAttempts: 1, connectTimeout: .milliseconds(300)) {
            synchronizer in
            let loop = NodeSyncService(
                synchronizer: synchronizer,
                configuration: .init(
                    interval: .seconds(60),
                    writeCheckInterval: .milliseconds(20),
                    writeDelay: .milliseconds(20),
                    failureBackoff: Backoff(initial: .milliseconds(50), maximum: .milliseconds(200))
                ),
                logger: quietLogger
            )
            let group = ServiceGroup(configuration: .init(services: [loop], logger: quietLogger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let state = SyncStateFile(directory: school.dataDirectory)
                try await eventually { (try state.load().consecutiveFailures) >= 2 }
                #expect(try state.load().lastError?.code == "unreachable")

                try await withHub(hub, port: port) { _ in
                    try await eventually(seconds: 60) { (try state.load().lastSuccess) != nil }
                    let pupil = try TestPupil(at: school)
                    let report = try pupil.reportConcern(at: school)
                    try await eventually(seconds: 60) { (try hub.store.values("concern_report", report)) != nil }
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}

/// Waits until `condition` holds, checking every 20 ms, for at most `seconds` (a deadline for a loaded 2-core
/// machine, not a timing).
func eventually(seconds: Double = 60, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("the condition did not hold within \(seconds) s")
}
