import Foundation
import Hummingbird
import NIOCore
import SSTCore
import SSTPrivacy
import SSTStore
import SSTSync
import ServiceLifecycle
import Testing

/// A node reads the hub's answers as strictly as the hub reads its requests: an answer that names a member twice
/// is refused, nothing of it applied.
@Suite(.timeLimit(.minutes(10)))
struct HubAnswerStrictnessTests {
    @Test func aHandshakeAnswerNamingAMemberTwiceIsRefused() async throws {
        let district = try TestDistrict()
        let hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
        let school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
        let answer = HandshakeResponse(
            hub: "hub-1",
            policyHash: school.store.policy.hash,
            serverTime: school.clock.milliseconds(),
            maxClockOffset: 300_000,
            cursor: 0,
            hubSequence: 0,
            maxBodyBytes: SyncProtocol.defaultMaxBodyBytes,
            maxBatchSize: SyncProtocol.maxBatchSize
        )
        let json = String(decoding: try JSONEncoder().encode(answer), as: UTF8.self)
        for (body, duplicated) in [(json, false), (#"{"hub":"hub-2","# + json.dropFirst(), true)] {
            let router = Router(context: SyncRequestContext.self)
            router.post("v2/handshake") { _, _ in
                Response(
                    status: .ok,
                    headers: [.contentType: "application/json"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: body))
                )
            }
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            let application = try SyncServer.application(
                router: router,
                tls: try hub.tls.serverConfiguration(),
                configuration: SyncServer.Configuration(host: "127.0.0.1", port: 0),
                logger: quietLogger
            ) { port in continuation.yield(port) }
            let group = ServiceGroup(configuration: .init(services: [application], logger: quietLogger))
            let result = try await SyncServer.run(group, ports: ports, finishing: continuation) { port in
                try await school.withSynchronizer(port: port) { await $0.syncResult() }
            }
            guard case .failure(let failure) = result else {
                Issue.record("the fake hub's answer was taken whole")
                continue
            }
            #expect(failure.message.contains("names hub twice") == duplicated, "\(failure)")
        }
        #expect(try school.store.cursor(for: NodeID("hub-2")!) == 0)
    }
}
