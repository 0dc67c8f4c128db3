import Dispatch
import GRDB
import SSTCore
import Synchronization
import Testing

@testable import SSTStore
@testable import SSTSync

/// The hub's push gate: no more pushes past it than its permits, waiters let in the order they came, and the
/// number waiting told to the metrics.
@Suite(.timeLimit(.minutes(10)))
struct PushGateTests {
    @Test func noMorePushesPassThanThePermits() async throws {
        let gate = PushGate(permits: 2)
        let inside = Locked(0)
        let released = Locked(false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    await gate.withPermit {
                        inside.withLock { $0 += 1 }
                        while !released.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(1)) }
                        inside.withLock { $0 -= 1 }
                    }
                }
            }
            try await waitUntil { inside.withLock { $0 } == 2 && gate.waiting == 1 }
            // A moment more: a gate that let the third in would show it by now.
            try await Task.sleep(for: .milliseconds(20))
            #expect(inside.withLock { $0 } == 2)
            #expect(gate.waiting == 1)
            released.withLock { $0 = true }
            try await group.waitForAll()
        }
        #expect(inside.withLock { $0 } == 0)
        #expect(gate.waiting == 0)
    }

    @Test func waitersAreLetInInTheOrderTheyCame() async throws {
        let counts = Locked<[Int]>([])
        let gate = PushGate(permits: 1) { count in counts.withLock { $0.append(count) } }
        let order = Locked<[Int]>([])
        let (held, holder) = AsyncStream.makeStream(of: Void.self)
        let (release, releaser) = AsyncStream.makeStream(of: Void.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await gate.withPermit {
                    holder.yield()
                    for await _ in release { break }
                }
            }
            for await _ in held { break }
            for push in 1...5 {
                group.addTask { await gate.withPermit { order.withLock { $0.append(push) } } }
                try await waitUntil { gate.waiting == push }
            }
            releaser.yield()
            try await group.waitForAll()
        }
        #expect(order.withLock { $0 } == [1, 2, 3, 4, 5])
        #expect(counts.withLock { $0 } == [1, 2, 3, 4, 5, 4, 3, 2, 1, 0])
    }

    @Test func aThrowingPushFreesItsPermit() async throws {
        struct Refused: Error {}
        let gate = PushGate(permits: 1)
        await #expect(throws: Refused.self) { try await gate.withPermit { throw Refused() } }
        let admitted = await gate.withPermit { true }
        #expect(admitted)
    }

    /// Over HTTPS: with one permit, while the push that got it waits for the hub's writer (held by the test),
    /// the other schools' pushes wait at the gate, as `/metrics` shows; once it goes on, all are applied.
    @Test func theHubsPushesWaitAtTheGate() async throws {
        let district = try TestDistrict()
        let hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
        let schools = try (1...3).map { number in
            let school = try TestNode(
                "skola\(number)-1",
                school: "Skola \(number)",
                stadsdel: "Södermalm",
                district: district
            )
            let pupil = try TestPupil(at: school, consent: ["identity", "sst_case"])
            _ = try pupil.openCase(at: school)
            return school
        }
        // The hub's writer is held (as a long write of its own would hold it) before the schools sync: the push
        // that gets the permit waits for the writer, the others at the gate.
        let held = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let writer = hub.store.writer
        try await withHub(hub, concurrentPushes: 1) { port in
            DispatchQueue.global().async {
                try? writer.write { _ in
                    held.signal()
                    release.wait()
                }
            }
            defer { release.signal() }  // never leave the hub's writer held, whatever fails
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    held.wait()
                    continuation.resume()
                }
            }
            try await withThrowingTaskGroup(of: SyncReport.self) { group in
                for school in schools {
                    group.addTask { try await school.sync(port: port) }
                }
                var waiting = 0.0
                for _ in 0..<2_000 {  // up to 20 s, for a loaded machine
                    waiting = try await hubCounter(port: port, "sst_sync_pushes_waiting")
                    if waiting == 2 { break }
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(waiting == 2)
                release.signal()
                for try await report in group {
                    #expect(report.pushedChanges > 0)
                }
            }
            #expect(try await hubCounter(port: port, "sst_sync_pushes_waiting") == 0)
        }
        for school in schools {
            #expect(try hub.store.cursor(for: school.identity.node) == school.store.lastSequence())
        }
    }

    /// A value tasks share, behind a lock.
    final class Locked<Value: Sendable>: Sendable {
        private let mutex: Mutex<Value>
        init(_ value: Value) { mutex = Mutex(value) }
        func withLock<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
    }

    /// Polls `condition` every millisecond, for at most five seconds.
    private func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<5_000 where !condition() {
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(condition())
    }
}
