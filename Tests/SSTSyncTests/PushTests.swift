import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SSTCore
import SSTStore
import SSTSync
import Testing

/// Pushes over real HTTPS: idempotent on replay and under concurrency, refused with the expected sequence on
/// a gap, and atomic when the connection drops mid-body.
@Suite(.timeLimit(.minutes(10)))
struct PushTests {
    let district: TestDistrict
    let hub: TestNode
    let school: TestNode
    let hubPeer = PeerIdentity(node: NodeID("hub-1")!, role: .hub)

    init() throws {
        district = try TestDistrict()
        hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
        school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
        let pupil = try TestPupil(at: school)
        _ = try pupil.reportConcern(at: school)
    }

    func withTransport<T>(port: Int, _ body: (HTTPSyncTransport) async throws -> T) async throws -> T {
        try await HTTPSyncTransport.withTransport(
            configuration: .init(hubURL: "https://127.0.0.1:\(port)"),
            tls: try school.tls.clientConfiguration(verifyHostname: true),
            logger: quietLogger,
            body
        )
    }

    @Test func pushReplayedAppliesOnce() async throws {
        let changeSet = try school.store.exportChanges(for: hubPeer, since: 0)
        #expect(!changeSet.changes.isEmpty)
        try await withHub(hub) { port in
            try await withTransport(port: port) { transport in
                let first = try await transport.push(changeSet)
                let dump = try hub.store.dumpText()
                let replay = try await transport.push(changeSet)
                #expect(first.applied == changeSet.changes.count)
                #expect(replay.applied == 0)
                #expect(replay.cursor == first.cursor)
                #expect(try hub.store.dumpText() == dump)
            }
        }
    }

    @Test func pushSentTwiceConcurrentlyAppliesOnce() async throws {
        let changeSet = try school.store.exportChanges(for: hubPeer, since: 0)
        try await withHub(hub) { port in
            try await withTransport(port: port) { transport in
                async let one = transport.push(changeSet)
                async let two = transport.push(changeSet)
                let answers = try await [one, two]
                #expect(answers.map(\.applied).reduce(0, +) == changeSet.changes.count)
                #expect(answers.allSatisfy { $0.cursor == changeSet.upTo })
            }
        }
    }

    @Test func pushLeavingAGapIsRefusedWithTheExpectedSequence() async throws {
        let changeSet = try school.store.exportChanges(for: hubPeer, since: 2)
        try await withHub(hub) { port in
            try await withTransport(port: port) { transport in
                do {
                    _ = try await transport.push(changeSet)
                    Issue.record("a push with a gap was accepted")
                } catch let error as SyncFailure {
                    #expect(error.problem?.statusCode == 409)
                    #expect(error.problem?.code == Problem.Codes.sequenceGap)
                    #expect(error.problem?.expected == 0)
                }
                #expect(try hub.store.lastSequence() == 0)
            }
            // The session recovers by itself: handshake says 0, the push starts there.
            let report = try await school.sync(port: port)
            #expect(report.acknowledged == (try school.store.lastSequence()))
        }
    }

    @Test func connectionCutMidBodyLeavesNothingHalfAppliedAndTheRetryConverges() async throws {
        let body = try ChangeSetCodec.encode(try school.store.exportChanges(for: hubPeer, since: 0))
        try await withHub(hub) { port in
            let (stream, continuation) = AsyncThrowingStream.makeStream(of: ByteBuffer.self)
            continuation.yield(ByteBuffer(bytes: body.prefix(body.count / 2)))
            continuation.finish(throwing: CancellationError())
            var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)/v2/push")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .stream(stream, length: .known(Int64(body.count)))
            _ = try await withRawClient(tls: try school.tls.clientConfiguration(verifyHostname: true)) { client in
                await #expect(throws: (any Error).self) {
                    _ = try await client.execute(request, timeout: .seconds(60))
                }
            }
            #expect(try hub.store.lastSequence() == 0)
            #expect(try hub.store.cursor(for: school.identity.node) == 0)
            let report = try await school.sync(port: port)
            #expect(report.appliedAtHub > 0)
            #expect(try hub.store.cursor(for: school.identity.node) == (try school.store.lastSequence()))
        }
    }

    @Test func batchesResumeFromTheHubsCursor() async throws {
        // A second hub node (same side): batching is not constrained by the boundary's bases.
        let relay = try TestNode("hub-2", role: .hub, stadsdel: "Södermalm", district: district)
        for _ in 0..<3 {
            try relay.store.set(
                entity: "social_support",
                record: RecordID.random(),
                assignments: [("pupil_id", RecordID.random().rawValue), ("has_ongoing_support", "true")]
            )
        }
        try await withHub(hub) { port in
            let report = try await relay.sync(port: port, batchSize: 2)
            #expect(report.pushBatches == 3)
            #expect(report.acknowledged == (try relay.store.lastSequence()))
            #expect(try hub.store.cursor(for: relay.identity.node) == (try relay.store.lastSequence()))
            let again = try await relay.sync(port: port, batchSize: 2)
            #expect(again.pushBatches <= 1)
        }
    }

    /// Batches of two fields split each pupil from the consent that lets it cross; every batch carries that
    /// consent along, so the hub accepts each one as it comes.
    @Test func aCrossingWhoseBasisComesLaterTravelsWithItsBatch() async throws {
        let school = try TestNode("ekbacken-2", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
        try TestPupil(at: school, consent: ["identity"])
        try TestPupil(at: school, givenName: "Björn", personnummer: "20120202-0002", consent: ["identity"])
        try await withHub(hub) { port in
            let report = try await school.sync(port: port, batchSize: 2)
            #expect(report.acknowledged == (try school.store.lastSequence()))
            #expect(report.retries == 0)
            #expect(report.pushBatches > 5)
            #expect(try hub.store.cursor(for: school.identity.node) == (try school.store.lastSequence()))
        }
    }
}
