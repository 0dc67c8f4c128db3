import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SSTCore
import SSTStore
import SSTSync
import ServiceLifecycle
import Testing

/// Graceful shutdown: a request in flight finishes (or is refused cleanly); nothing is half-applied.
@Suite(.timeLimit(.minutes(10)))
struct ShutdownTests {
    @Test func pushInFlightDuringShutdownFinishesWhole() async throws {
        let district = try TestDistrict()
        let hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
        let school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
        let pupil = try TestPupil(at: school)
        _ = try pupil.reportConcern(at: school)
        let changeSet = try school.store.exportChanges(for: PeerIdentity(node: hub.identity.node, role: .hub), since: 0)
        let body = try ChangeSetCodec.encode(changeSet)

        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = try HubServer.application(
            store: hub.store,
            configuration: HubServer.Configuration(listen: ListenAddress(host: "127.0.0.1", port: 0), tls: hub.tls),
            logger: quietLogger
        ) { port in portContinuation.yield(port) }
        let group = ServiceGroup(configuration: .init(services: [application], logger: quietLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
            continuation.yield(ByteBuffer(bytes: body.prefix(body.count / 2)))
            let status = try await withRawClient(tls: try school.tls.clientConfiguration(verifyHostname: true)) {
                client in
                async let response = client.execute(
                    Self.push(port: port, body: stream, length: body.count),
                    timeout: .seconds(10)
                )
                // Time for the hub to accept the connection and read the head and half the body: on a
                // loaded 2-core machine 200 ms was sometimes too little, and the request not yet in flight.
                try await Task.sleep(for: .seconds(1))
                await group.triggerGracefulShutdown()
                try await Task.sleep(for: .milliseconds(100))
                continuation.yield(ByteBuffer(bytes: body.dropFirst(body.count / 2)))
                continuation.finish()
                return try? await response.status
            }
            try await tasks.waitForAll()
            let cursor = try hub.store.cursor(for: school.identity.node)
            if status == .ok {
                #expect(cursor == changeSet.upTo)
            } else {
                #expect(cursor == 0)
                #expect(try hub.store.lastSequence() == 0)
            }
            #expect(status == .ok, "the request in flight should finish")
        }
    }

    static func push(port: Int, body: AsyncStream<ByteBuffer>, length: Int) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)/v2/push")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .stream(body, length: .known(Int64(length)))
        return request
    }
}
