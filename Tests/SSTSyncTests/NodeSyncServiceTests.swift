import Foundation
import SSTCore
import SSTStore
import SSTSync
import ServiceLifecycle
import Synchronization
import Testing

/// The background loop: it keeps trying while the hub is down, and syncs soon after local writes.
@Suite(.timeLimit(.minutes(10)))
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

    /// A write made while a sync runs (here: while its pull is on the wire, after its export) is newer than what
    /// the sync sent; the loop syncs again soon after it instead of an interval (an hour here) later.
    @Test func aWriteMadeDuringASyncIsSyncedSoonAfter() async throws {
        let school = school
        let hub = hub
        let written = WrittenDuringPull(school: school)
        try await withHub(hub) { port in
            try await school.withSynchronizer(port: port, transport: { WritingOnPull(base: $0, written: written) }) {
                synchronizer in
                let loop = NodeSyncService(
                    synchronizer: synchronizer,
                    configuration: .init(
                        interval: .seconds(3600),
                        writeCheckInterval: .milliseconds(20),
                        writeDelay: .milliseconds(20)
                    ),
                    logger: quietLogger
                )
                let group = ServiceGroup(configuration: .init(services: [loop], logger: quietLogger))
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await group.run() }
                    try await eventually { written.report != nil }
                    let report = try #require(written.report)
                    try await eventually { (try hub.store.values("concern_report", report)) != nil }
                    await group.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }
            }
        }
    }
}

/// Writes a pupil and a report of concern at the school the first time a pull is sent: a local write made in
/// the middle of a sync, after the sync's export.
final class WrittenDuringPull: Sendable {
    let school: TestNode
    private let state = Mutex<RecordID?>(nil)

    init(school: TestNode) { self.school = school }

    var report: RecordID? { state.withLock { $0 } }

    func writeOnce() throws {
        guard report == nil else { return }
        let pupil = try TestPupil(at: school)
        let report = try pupil.reportConcern(at: school)
        state.withLock { $0 = report }
    }
}

/// A transport that lets `written` write before passing each pull on.
struct WritingOnPull: SyncTransport {
    let base: any SyncTransport
    let written: WrittenDuringPull

    func handshake(_ request: HandshakeRequest) async throws(SyncFailure) -> HandshakeResponse {
        try await base.handshake(request)
    }
    func pushBody(_ changeSet: ChangeSet) throws(SyncFailure) -> PushBody { try base.pushBody(changeSet) }
    func push(_ body: PushBody) async throws(SyncFailure) -> PushResponse { try await base.push(body) }
    func pull(since: Int64, limit: Int) async throws(SyncFailure) -> PullResponse {
        do { try written.writeOnce() } catch { Issue.record("the write during the pull failed: \(error)") }
        return try await base.pull(since: since, limit: limit)
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
