import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOSSL
import SSTCore
import SSTStore
import ServiceLifecycle
import Testing

@testable import SSTSync

/// gzip bodies over real HTTPS: the node pushes gzip and reads gzip answers; the hub still reads uncompressed
/// bodies, refuses a body that decompresses past its limit (a zip bomb), corrupt gzip and other codings.
@Suite(.timeLimit(.minutes(10)))
struct CompressionTests {
    let district: TestDistrict
    let hub: TestNode
    let school: TestNode
    let pupil: TestPupil
    let hubPeer = PeerIdentity(node: NodeID("hub-1")!, role: .hub)

    init() throws {
        district = try TestDistrict()
        hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
        school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
        pupil = try TestPupil(at: school, consent: ["identity", "sst_case"])
        _ = try pupil.openCase(at: school)
    }

    /// The counter of request bodies on `endpoint` read in `encoding`.
    func requestBodies(port: Int, _ endpoint: String, _ encoding: String) async throws -> Double {
        try await hubCounter(port: port, "sst_sync_request_bodies_total", ["endpoint": endpoint, "encoding": encoding])
    }

    /// The counter of answer bodies on `endpoint` sent in `encoding`.
    func responseBodies(port: Int, _ endpoint: String, _ encoding: String) async throws -> Double {
        try await hubCounter(
            port: port,
            "sst_sync_response_bodies_total",
            ["endpoint": endpoint, "encoding": encoding]
        )
    }

    func settings(port: Int, gzip: Bool? = nil) -> SyncSettings {
        var settings = SyncSettings(hubURL: "https://127.0.0.1:\(port)", tls: school.tls)
        if let gzip { settings.gzipRequestBodies = gzip }
        return settings
    }

    /// Syncs the school through `NodeSynchronizer.withHTTP`, as `sst sync` does, with `settings`.
    func sync(_ settings: SyncSettings) async throws -> SyncReport {
        try await NodeSynchronizer.withHTTP(
            store: school.store,
            dataDirectory: school.dataDirectory,
            settings: settings,
            session: SyncSession.Configuration(maxAttempts: 1),
            physicalClock: school.clock,
            logger: quietLogger
        ) { try await $0.sync() }
    }

    @Test func theNodePushesGzipByDefaultAndTheHubAppliesIt() async throws {
        try await withHub(hub) { port in
            let report = try await sync(settings(port: port))
            #expect(report.appliedAtHub > 0)
            #expect(try hub.store.cursor(for: school.identity.node) == (try school.store.lastSequence()))
            #expect(try hub.store.values("pupil", pupil.pupil)?["given_name"] == .string("Åsa"))
            // The hub counts a body as gzip only once it has decompressed it as gzip.
            #expect(report.pushBatches >= 1)
            #expect(try await requestBodies(port: port, "/v2/push", "gzip") >= Double(report.pushBatches))
            #expect(try await requestBodies(port: port, "/v2/push", "identity") == 0)
        }
    }

    @Test func withGzipTurnedOffTheNodePushesUncompressedAndTheHubAppliesIt() async throws {
        try await withHub(hub) { port in
            let report = try await sync(settings(port: port, gzip: false))
            #expect(report.appliedAtHub > 0)
            #expect(try hub.store.values("pupil", pupil.pupil)?["given_name"] == .string("Åsa"))
            #expect(report.pushBatches >= 1)
            #expect(try await requestBodies(port: port, "/v2/push", "identity") >= Double(report.pushBatches))
            #expect(try await requestBodies(port: port, "/v2/push", "gzip") == 0)
        }
    }

    @Test func gzipAndUncompressedRawPushesApply() async throws {
        let body = try ChangeSetCodec.encode(try school.store.exportChanges(for: hubPeer, since: 0))
        try await withHub(hub) { port in
            try await withRawClient(tls: try school.tls.clientConfiguration(verifyHostname: true)) { client in
                let gzip = try await client.execute(
                    push(port: port, try GzipCodec.compress(body), encoding: "gzip"),
                    timeout: .seconds(60)
                )
                #expect(gzip.status == .ok)
                let answer = try JSONDecoder().decode(PushResponse.self, from: try await read(gzip))
                #expect(try answer.applied > 0 && answer.cursor == school.store.lastSequence())
                // The same set again, uncompressed (with and without `identity`): applies, nothing new.
                for encoding in [nil, "identity"] {
                    let plain = try await client.execute(
                        push(port: port, body, encoding: encoding),
                        timeout: .seconds(60)
                    )
                    #expect(plain.status == .ok)
                    let replay = try JSONDecoder().decode(PushResponse.self, from: try await read(plain))
                    #expect(replay.applied == 0 && replay.cursor == answer.cursor)
                }
            }
            #expect(try hub.store.values("pupil", pupil.pupil)?["given_name"] == .string("Åsa"))
        }
    }

    @Test func aGzipBombIsA413AndNothingIsAppliedAndTheHubKeepsServing() async throws {
        let limit = 64 * 1024
        // A valid change set followed by 8 MiB of JSON whitespace: it would apply, were it not over the limit.
        var json = try ChangeSetCodec.encode(try school.store.exportChanges(for: hubPeer, since: 0))
        json.append(Data(repeating: UInt8(ascii: " "), count: 8 * 1024 * 1024))
        let bomb = try GzipCodec.compress(json)
        #expect(bomb.count < limit / 4)
        try await withHub(hub, maxBodyBytes: limit) { port in
            try await withRawClient(tls: try school.tls.clientConfiguration(verifyHostname: true)) { client in
                let response = try await client.execute(push(port: port, bomb, encoding: "gzip"), timeout: .seconds(60))
                #expect(response.status == .payloadTooLarge)
                #expect(response.headers.first(name: "content-type") == "application/problem+json")
                let problem = try await decodeProblem(response)
                #expect(problem.code == Problem.Codes.bodyTooLarge)
                #expect(problem.detail.contains("decompresses"))
            }
            #expect(try hub.store.lastSequence() == 0)
            #expect(try hub.store.cursor(for: school.identity.node) == 0)
            let report = try await school.sync(port: port)
            #expect(report.appliedAtHub > 0)
        }
    }

    @Test func corruptGzipIsA400AndNothingIsApplied() async throws {
        let valid = try GzipCodec.compress(
            try ChangeSetCodec.encode(try school.store.exportChanges(for: hubPeer, since: 0))
        )
        var badChecksum = valid
        badChecksum[badChecksum.count - 6] ^= 0xff  // A byte of the CRC-32 in the trailer.
        let bodies: [(String, Data)] = [
            ("not gzip at all", Data("{\"format\":\"sst-changes\"}".utf8)),
            ("truncated", valid.prefix(valid.count / 2)),
            ("bad checksum", badChecksum),
            ("trailing garbage", valid + Data("garbage".utf8)),
            ("empty", Data()),
        ]
        try await withHub(hub) { port in
            try await withRawClient(tls: try school.tls.clientConfiguration(verifyHostname: true)) { client in
                for (name, body) in bodies {
                    let response = try await client.execute(
                        push(port: port, body, encoding: "gzip"),
                        timeout: .seconds(60)
                    )
                    #expect(response.status == .badRequest, "\(name)")
                    #expect(response.headers.first(name: "content-type") == "application/problem+json", "\(name)")
                    let problem = try await decodeProblem(response)
                    #expect(problem.code == Problem.Codes.malformedRequest, "\(name)")
                    #expect(problem.detail.contains("gzip"), "\(name): \(problem.detail)")
                }
            }
            #expect(try hub.store.lastSequence() == 0)
            try await school.sync(port: port)
        }
    }

    @Test func anotherContentCodingIsA415NamingGzip() async throws {
        let body = try ChangeSetCodec.encode(try school.store.exportChanges(for: hubPeer, since: 0))
        try await withHub(hub) { port in
            try await withRawClient(tls: try school.tls.clientConfiguration(verifyHostname: true)) { client in
                for encoding in ["br", "deflate", "gzip, br", "compress"] {
                    let response = try await client.execute(
                        push(port: port, body, encoding: encoding),
                        timeout: .seconds(60)
                    )
                    #expect(response.status == .unsupportedMediaType, "\(encoding)")
                    #expect(response.headers.first(name: "content-type") == "application/problem+json")
                    #expect(response.headers.first(name: "accept-encoding") == "gzip, identity")
                    let problem = try await decodeProblem(response)
                    #expect(problem.statusCode == 415)
                    #expect(problem.detail.contains("gzip") && problem.detail.contains(encoding), "\(problem)")
                }
            }
            #expect(try hub.store.lastSequence() == 0)
        }
    }

    @Test func pullAnswersGzipWhenAcceptedAndTheNodeReadsIt() async throws {
        try await withHub(hub) { port in
            try await school.sync(port: port)
            // A second hub node (same side, so no boundary filter) gets the school's records from the hub, in
            // gzip answers.
            let relay = try TestNode("hub-2", role: .hub, stadsdel: "Södermalm", district: district)
            let report = try await relay.sync(port: port)
            #expect(report.pulledChanges > 0)
            #expect(try relay.store.values("pupil", pupil.pupil)?["given_name"] == .string("Åsa"))
            #expect(try await responseBodies(port: port, "/v2/pull", "gzip") >= Double(report.pullBatches))
            #expect(try await responseBodies(port: port, "/v2/handshake", "gzip") >= 1)
            #expect(try await responseBodies(port: port, "/v2/pull", "identity") == 0)

            // On the wire (a client that does not decompress): gzip only for those who accept it.
            try await withRawClient(tls: try relay.tls.clientConfiguration(verifyHostname: true)) { client in
                for (accept, compressed) in [
                    ("gzip", true), ("deflate, gzip;q=0.5", true), ("*", true), (nil, false), ("gzip;q=0", false),
                    ("br", false),
                ] {
                    var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)/v2/pull?since=0")
                    if let accept { request.headers.add(name: "Accept-Encoding", value: accept) }
                    let response = try await client.execute(request, timeout: .seconds(60))
                    #expect(response.status == .ok)
                    let body = Data(try await response.body.collect(upTo: 1 << 22).readableBytesView)
                    #expect(response.headers.first(name: "vary") == "Accept-Encoding")
                    #expect(
                        response.headers.first(name: "content-encoding") == (compressed ? "gzip" : nil),
                        "\(accept ?? "-")"
                    )
                    #expect(GzipCodec.isGzip(body) == compressed, "\(accept ?? "-")")
                    let json = compressed ? try GzipCodec.decompress(body, limit: 1 << 22) : body
                    let pull = try JSONDecoder().decode(PullResponse.self, from: json)
                    #expect(!pull.changeSet.changes.isEmpty)
                }
            }
        }
    }

    @Test func aHubThatReadsNoGzipGetsThePushAgainUncompressed() async throws {
        // A hub built before bodies were compressed: a 415 for any Content-Encoding, uncompressed bodies read.
        let encodings = Encodings()
        let router = Router(context: SyncRequestContext.self)
        router.add(middleware: ProblemMiddleware(metrics: HubMetrics()))
        router.post(RouterPath("\(SyncProtocol.pathPrefix)/push")) { request, _ in
            let encoding = request.headers[.contentEncoding]
            encodings.append(encoding ?? "identity")
            if let encoding { throw Problem.unsupportedEncoding(encoding) }
            let body = try await request.body.collect(upTo: 1 << 22)
            let changeSet = try ChangeSetCodec.decode(Data(body.readableBytesView))
            let count = changeSet.changes.count
            return try SyncRoutes.json(PushResponse(received: count, applied: count, cursor: changeSet.upTo))
        }
        let changeSet = try school.store.exportChanges(for: hubPeer, since: 0)
        let answer = try await withServer(router, tls: try hub.tls.serverConfiguration()) { port in
            try await HTTPSyncTransport.withTransport(
                configuration: .init(hubURL: "https://127.0.0.1:\(port)"),
                tls: try school.tls.clientConfiguration(verifyHostname: true),
                logger: quietLogger
            ) { transport in try await transport.push(changeSet) }
        }
        #expect(answer.cursor == changeSet.upTo && answer.applied == changeSet.changes.count)
        #expect(encodings.values == ["gzip", "identity"])
    }

    @Test func settingsFilesWithoutTheMemberGzipAndTheMemberTurnsItOff() throws {
        let old = #"{"hubURL":"https://hub:8443","tls":{"certificate":"/c","key":"/k","ca":"/a"},"batchSize":10}"#
        let decoded = try JSONDecoder().decode(SyncSettings.self, from: Data(old.utf8))
        #expect(decoded.gzipRequestBodies)
        #expect(decoded.batchSize == 10)
        var off = decoded
        off.gzipRequestBodies = false
        let again = try JSONDecoder().decode(SyncSettings.self, from: try JSONEncoder().encode(off))
        #expect(again == off && !again.gzipRequestBodies)
        let resolved = try SyncSettings.resolve(
            stored: off,
            hubURL: nil,
            certificate: nil,
            key: nil,
            ca: nil,
            batchSize: nil
        )
        #expect(!resolved.gzipRequestBodies)
    }

    func push(port: Int, _ body: Data, encoding: String?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)/v2/push")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let encoding { request.headers.add(name: "Content-Encoding", value: encoding) }
        request.body = .bytes(ByteBuffer(bytes: body))
        return request
    }

    func read(_ response: HTTPClientResponse) async throws -> Data {
        Data(try await response.body.collect(upTo: 1 << 22).readableBytesView)
    }
}

/// The content codings a test server saw, in order.
final class Encodings: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [String] = []

    func append(_ encoding: String) { lock.withLock { seen.append(encoding) } }
    var values: [String] { lock.withLock { seen } }
}

/// Serves `router` over TLS on 127.0.0.1 with a free port for the duration of `body`.
func withServer<T: Sendable>(
    _ router: Router<SyncRequestContext>,
    tls: TLSConfiguration,
    _ body: @Sendable (_ port: Int) async throws -> T
) async throws -> T {
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let application = try SyncServer.application(
        router: router,
        tls: tls,
        configuration: SyncServer.Configuration(host: "127.0.0.1", port: 0),
        logger: quietLogger
    ) { port in continuation.yield(port) }
    let group = ServiceGroup(configuration: .init(services: [application], logger: quietLogger))
    return try await SyncServer.run(group, ports: ports, finishing: continuation, body)
}

/// The codec itself: round trips, several members, the limit, and what is not gzip.
struct GzipCodecTests {
    @Test func roundTripsAndRefusesPastTheLimit() throws {
        let text = Data(String(repeating: "Åsa Öberg, årskurs 7. ", count: 20_000).utf8)
        var noise = SplitMix64(seed: 7)
        let random = Data((0..<200_000).map { _ in UInt8(truncatingIfNeeded: noise.next()) })
        for data in [Data(), Data("x".utf8), text, random] {
            let compressed = try GzipCodec.compress(data)
            #expect(GzipCodec.isGzip(compressed))
            #expect(try GzipCodec.decompress(compressed, limit: data.count) == data)
            if !data.isEmpty {
                #expect(throws: GzipCodec.Failure.tooLarge(limit: data.count - 1)) {
                    try GzipCodec.decompress(compressed, limit: data.count - 1)
                }
            }
        }
        #expect(try GzipCodec.compress(text).count < text.count / 20)
    }

    @Test func readsConcatenatedMembers() throws {
        let one = Data("{\"a\":".utf8)
        let two = Data("1}".utf8)
        let joined = try GzipCodec.compress(one) + GzipCodec.compress(two)
        #expect(try GzipCodec.decompress(joined, limit: 100) == one + two)
    }

    @Test func acceptEncodingIsReadWithWeights() {
        let cases: [(String?, Bool)] = [
            (nil, false), ("", false), ("gzip", true), ("GZIP", true), ("x-gzip", true), ("deflate, gzip", true),
            ("gzip;q=0", false), ("gzip; q=0.001", true), ("*", true), ("*;q=0", false), ("*, gzip;q=0", false),
            ("br", false), ("identity", false), ("br;q=1, gzip;q=0.1", true),
        ]
        for (header, accepts) in cases {
            #expect(ContentCoding.acceptsGzip(header) == accepts, "\(header ?? "nil")")
        }
    }

    @Test func contentEncodingIsGzipIdentityOrRefused() throws {
        #expect(try ContentCoding.ofRequest(nil) == .identity)
        #expect(try ContentCoding.ofRequest("identity") == .identity)
        #expect(try ContentCoding.ofRequest(" Gzip ") == .gzip)
        for header in ["br", "gzip, gzip", "deflate", "gzip, br"] {
            #expect(throws: Problem.self) { try ContentCoding.ofRequest(header) }
        }
    }
}
