import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOSSL
import SSTCore
import SSTStore
import SSTSync
import ServiceLifecycle
import Testing

@testable import SSTPKI

/// A node talks only to its hub: a server with any other certificate of the district CA fails the TLS handshake and
/// is sent nothing (the hub name, `HubTLSName`), and once a sync succeeded a hub with another node id is refused
/// until `--accept-hub` names it (the pin). And both sides speak TLS 1.2 only with ECDHE and AEAD suites.
@Suite(.timeLimit(.minutes(10)))
struct HubIdentityTests {
    let district: TestDistrict
    let hub: TestNode
    let school: TestNode

    init() throws {
        district = try TestDistrict()
        hub = try TestNode("hub-sodermalm", role: .hub, stadsdel: "Södermalm", district: district)
        school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
    }

    /// Syncs `node` once through `NodeSynchronizer.withHTTP`, as `sst sync` does, with the hub at `url`.
    func syncAsTheCommandDoes(
        _ node: TestNode,
        url: String,
        acceptHub: String? = nil
    ) async throws -> Result<SyncReport, SyncFailure> {
        try await NodeSynchronizer.withHTTP(
            store: node.store,
            dataDirectory: node.dataDirectory,
            settings: SyncSettings(hubURL: url, tls: node.tls),
            physicalClock: node.clock,
            connectTimeout: .seconds(2),
            acceptHub: acceptHub.flatMap(NodeID.init),
            logger: quietLogger
        ) { await $0.syncResult() }
    }

    // MARK: The hub name

    @Test func aServerWithASchoolCertificateIsSentNothingBeyondTheTLSHandshake() async throws {
        let pupil = try TestPupil(at: school, consent: ["identity", "sst_case"])
        _ = try pupil.openCase(at: school)
        // School B's certificate, issued by the same CA, naming localhost and 127.0.0.1 as every certificate does.
        let other = try district.issue("ekbacken-2", school: "Ekbackens skola", stadsdel: "Södermalm")
        let school = school
        try await withRecordingServer(tls: other.serverConfiguration()) { port, log in
            // The recorder works: a client that checks the chain alone gets through, and is recorded.
            var chainOnly = try school.tls.clientConfiguration(verifyHostname: false)
            chainOnly.certificateVerification = .noHostnameVerification
            let status = try await withRawClient(tls: chainOnly) { client in
                try await client.execute(
                    HTTPClientRequest(url: "https://127.0.0.1:\(port)/probe"),
                    timeout: .seconds(60)
                )
                .status
            }
            #expect(status == .notFound)
            #expect(log.requests == ["GET /probe"])
            log.clear()

            // By address and by name, as `sst sync` does it.
            for url in ["https://127.0.0.1:\(port)", "https://localhost:\(port)"] {
                let result = try await syncAsTheCommandDoes(school, url: url)
                guard case .failure(let failure) = result else {
                    Issue.record("a sync with a school's server succeeded: \(result)")
                    continue
                }
                #expect(failure.kind == .notHub, "\(failure)")
                #expect(failure.message.contains("not the district hub") && failure.message.contains(HubTLSName.name))
                #expect(failure.message.contains(url))
                #expect(failure.remedy.contains("sst pki issue --role hub"))
                #expect(try SyncStateFile(directory: school.dataDirectory).load().lastError?.code == "notHub")
            }
            #expect(log.requests.isEmpty, "the node sent \(log.requests) to a server with a school's certificate")
        }
    }

    /// The background loop of `sst node serve` (`NodeServer.run`: `withHTTP` and `NodeSyncService`) likewise.
    @Test func theBackgroundSyncSendsNothingToAServerWithASchoolCertificate() async throws {
        _ = try TestPupil(at: school, consent: ["identity"])
        let other = try district.issue("ekbacken-2", school: "Ekbackens skola", stadsdel: "Södermalm")
        let school = school
        try await withRecordingServer(tls: other.serverConfiguration()) { port, log in
            try await NodeSynchronizer.withHTTP(
                store: school.store,
                dataDirectory: school.dataDirectory,
                settings: SyncSettings(hubURL: "https://127.0.0.1:\(port)", tls: school.tls),
                physicalClock: school.clock,
                connectTimeout: .seconds(2),
                logger: quietLogger
            ) { synchronizer in
                let loop = NodeSyncService(
                    synchronizer: synchronizer,
                    configuration: .init(
                        interval: .seconds(60),
                        writeCheckInterval: .milliseconds(20),
                        failureBackoff: Backoff(initial: .milliseconds(50), maximum: .milliseconds(100))
                    ),
                    logger: quietLogger
                )
                let group = ServiceGroup(configuration: .init(services: [loop], logger: quietLogger))
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await group.run() }
                    let state = SyncStateFile(directory: school.dataDirectory)
                    try await eventually { (try state.load().consecutiveFailures) >= 3 }
                    #expect(try state.load().lastError?.code == "notHub")
                    await group.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }
            }
            #expect(log.requests.isEmpty, "the node sent \(log.requests) to a server with a school's certificate")
        }
    }

    @Test func aHubCertificateIssuedBeforeHubsCarriedTheNameIsRefusedWithWhatToDo() async throws {
        var options = NodeCertificate.Options()
        options.omitsHubName = true
        let folder = district.directory.path("old-hub-tls")
        let identity = try CertificateIdentity(node: hub.identity.node, role: "hub", stadsdel: "Södermalm")
        try district.ca.issue(for: identity, options: options, into: folder)
        let old = try hub.reopened(
            tls: TLSFiles(certificate: "\(folder)/node.pem", key: "\(folder)/node-key.pem", ca: "\(folder)/ca.pem")
        )
        _ = try TestPupil(at: school, consent: ["identity"])
        let school = school
        try await withHub(old) { port in
            let result = try await syncAsTheCommandDoes(school, url: "https://127.0.0.1:\(port)")
            guard case .failure(let failure) = result else {
                Issue.record("a sync with a hub certificate without the hub name succeeded")
                return
            }
            #expect(failure.kind == .notHub)
            #expect(failure.message.contains("a hub certificate issued before hubs carried that name"))
            #expect(failure.remedy.contains("reissue its certificate with `sst pki issue --role hub`"))
        }
        #expect(try old.store.cursor(for: school.identity.node) == 0)
    }

    @Test func aHubIsReachedByAddressAndByName() async throws {
        _ = try TestPupil(at: school, consent: ["identity"])
        let school = school
        try await withHub(hub) { port in
            for url in ["https://127.0.0.1:\(port)", "https://localhost:\(port)/"] {
                let result = try await syncAsTheCommandDoes(school, url: url)
                #expect(throws: Never.self, "\(url)") { try result.get() }
            }
        }
        #expect(try hub.store.cursor(for: school.identity.node) == school.store.lastSequence())
    }

    // MARK: The pin

    @Test func aHubWithAnotherIDIsRefusedBeforeAnyPushOrPullUntilAccepted() async throws {
        let other = try TestNode("hub-kungsholmen", role: .hub, stadsdel: "Kungsholmen", district: district)
        try other.store.set(entity: "social_investigation", record: RecordID.random(), values: ["notes": .string("X")])
        let school = school
        try await withHub(hub) { port in try await school.sync(port: port) }
        _ = try TestPupil(at: school, consent: ["identity"])
        let before = try school.store.dumpText()

        try await withHub(other) { port in
            let refused = await #expect(throws: SyncFailure.self) { try await school.sync(port: port) }
            #expect(refused?.kind == .hubChanged && refused?.code == "hubChanged")
            #expect(refused?.message.contains("hub-kungsholmen") == true)
            #expect(refused?.message.contains("hub-sodermalm") == true)
            #expect(refused?.remedy.contains("sst sync --accept-hub hub-kungsholmen") == true)
            // Nothing pushed, nothing pulled.
            #expect(try other.store.cursor(for: school.identity.node) == 0)
            #expect(try school.store.cursor(for: other.identity.node) == 0)
            #expect(try school.store.dumpText() == before)
            #expect(try SyncStateFile(directory: school.dataDirectory).load().hub == "hub-sodermalm")

            // --accept-hub naming yet another hub does not let this one through.
            let wrong = await #expect(throws: SyncFailure.self) {
                try await school.sync(port: port, acceptHub: "hub-ostermalm")
            }
            #expect(wrong?.kind == .hubChanged && wrong?.message.contains("--accept-hub names hub-ostermalm") == true)

            // Accepted on purpose, it syncs, and the pin moves: from now on without the flag.
            try await school.sync(port: port, acceptHub: "hub-kungsholmen")
            #expect(try SyncStateFile(directory: school.dataDirectory).load().hub == "hub-kungsholmen")
            try await school.sync(port: port)
        }
        #expect(try other.store.cursor(for: school.identity.node) == school.store.lastSequence())

        // The old hub is now the other one.
        try await withHub(hub) { port in
            let refused = await #expect(throws: SyncFailure.self) { try await school.sync(port: port) }
            #expect(refused?.kind == .hubChanged)
        }
    }

    @Test func aNodeThatNeverSyncedTakesTheHubItFinds() async throws {
        let school = school
        try await withHub(hub) { port in try await school.sync(port: port) }
        #expect(try SyncStateFile(directory: school.dataDirectory).load().hub == "hub-sodermalm")
    }

    // MARK: Cipher suites

    @Test func theServerRefusesTLS12WithoutAnAEADSuite() async throws {
        let ca = try NIOSSLCertificate.fromPEMFile(hub.tls.ca)
        @Sendable func client(_ suite: String) -> TLSConfiguration {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(ca)
            tls.minimumTLSVersion = .tlsv12
            tls.maximumTLSVersion = .tlsv12
            tls.cipherSuites = suite
            return tls
        }
        try await withHub(hub) { port in
            let url = "https://127.0.0.1:\(port)/health"
            await #expect(throws: (any Error).self) {
                try await withRawClient(tls: client("ECDHE-ECDSA-AES128-SHA")) { http in
                    _ = try await http.execute(HTTPClientRequest(url: url), timeout: .seconds(60))
                }
            }
            let status = try await withRawClient(tls: client("ECDHE-ECDSA-AES128-GCM-SHA256")) { http in
                try await http.execute(HTTPClientRequest(url: url), timeout: .seconds(60)).status
            }
            #expect(status == .ok)
        }
    }

    @Test func theNodeRefusesAServerOfferingOnlyACBCSuite() async throws {
        var weak = try hub.tls.serverConfiguration()
        weak.maximumTLSVersion = .tlsv12
        weak.cipherSuites = "ECDHE-ECDSA-AES128-SHA"
        let school = school
        try await withRecordingServer(tls: weak) { port, log in
            let result = try await syncAsTheCommandDoes(school, url: "https://127.0.0.1:\(port)")
            guard case .failure(let failure) = result else {
                Issue.record("the node synced over a CBC suite")
                return
            }
            #expect(failure.kind == .tls, "\(failure)")
            #expect(log.requests.isEmpty)
        }
        let suites = try school.tls.clientConfiguration().cipherSuites
        #expect(!suites.contains("CBC") && !suites.contains("-SHA:") && suites.contains("GCM"), "\(suites)")
    }
}

/// What a ``withRecordingServer`` received: each request's method and path.
final class RequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String] = []

    var requests: [String] { lock.withLock { entries } }
    func append(_ entry: String) { lock.withLock { entries.append(entry) } }
    func clear() { lock.withLock { entries.removeAll() } }
}

/// Records every request and answers 404.
struct RecordingMiddleware: RouterMiddleware {
    typealias Context = SyncRequestContext
    let log: RequestLog

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        log.append("\(request.method) \(request.uri.path)")
        return Response(status: .notFound)
    }
}

/// A real HTTPS server on 127.0.0.1, a free port, with `tls`, that records every request it receives, for the
/// duration of `body`.
func withRecordingServer<T: Sendable>(
    tls: TLSConfiguration,
    _ body: @Sendable (_ port: Int, _ log: RequestLog) async throws -> T
) async throws -> T {
    let log = RequestLog()
    let router = Router(context: SyncRequestContext.self)
    router.add(middleware: RecordingMiddleware(log: log))
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let application = try SyncServer.application(
        router: router,
        tls: tls,
        configuration: SyncServer.Configuration(host: "127.0.0.1", port: 0),
        logger: quietLogger
    ) { port in
        continuation.yield(port)
    }
    let group = ServiceGroup(configuration: .init(services: [application], logger: quietLogger))
    return try await SyncServer.run(group, ports: ports, finishing: continuation) { port in try await body(port, log) }
}
