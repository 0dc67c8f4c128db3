import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL
import SSTCore
import SSTStore
import SSTSync
import ServiceLifecycle

/// A logger that drops everything (tests never bootstrap logging).
let quietLogger = Logger(label: "sst-sync-tests") { _ in SwiftLogNoOpLogHandler() }

/// A node for tests: a store in a temporary data directory and its certificate.
struct TestNode: Sendable {
    let identity: NodeIdentity
    let store: Store
    let tls: TLSFiles
    let clock: TestClock
    let dataDirectory: String

    init(
        _ node: String,
        role: NodeIdentity.Role = .school,
        school: String? = nil,
        stadsdel: String? = nil,
        district: TestDistrict,
        clock: TestClock = TestClock()
    ) throws {
        identity = NodeIdentity(node: NodeID(node)!, role: role, school: school, stadsdel: stadsdel)
        dataDirectory = district.directory.path("data/\(node)")
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        store = try Store.create(at: "\(dataDirectory)/\(Store.fileName)", identity: identity, physicalClock: clock)
        tls = try district.issue(node, role: role.rawValue, school: school, stadsdel: stadsdel)
        self.clock = clock
    }

    /// A node on an existing data directory (a restored backup), syncing with the certificate `tls`.
    init(opening dataDirectory: String, tls: TLSFiles, clock: TestClock) throws {
        let store = try Store.open(at: "\(dataDirectory)/\(Store.fileName)", physicalClock: clock)
        try self.init(store: store, tls: tls, clock: clock, dataDirectory: dataDirectory)
    }

    private init(store: Store, tls: TLSFiles, clock: TestClock, dataDirectory: String) throws {
        identity = try store.identity()
        self.store = store
        self.tls = tls
        self.clock = clock
        self.dataDirectory = dataDirectory
    }

    /// The same node under the identity its store has now (after `rejoin`), syncing with the certificate `tls`.
    func reopened(tls: TLSFiles) throws -> TestNode {
        try TestNode(store: store, tls: tls, clock: clock, dataDirectory: dataDirectory)
    }

    /// A synchronizer reaching the hub at `port` over HTTPS, for the duration of `body`.
    func withSynchronizer<T>(
        port: Int,
        batchSize: Int = SyncProtocol.defaultBatchSize,
        maxAttempts: Int = 2,
        connectTimeout: Duration = .seconds(2),
        gzipRequestBodies: Bool = true,
        acceptHub: String? = nil,
        transport wrap: (any SyncTransport) -> any SyncTransport = { $0 },
        _ body: (NodeSynchronizer) async throws -> T
    ) async throws -> T {
        try await HTTPSyncTransport.withTransport(
            configuration: .init(
                hubURL: "https://127.0.0.1:\(port)",
                connectTimeout: connectTimeout,
                requestTimeout: .seconds(20),
                gzipRequestBodies: gzipRequestBodies
            ),
            tls: try tls.clientConfiguration(verifyHostname: true),
            logger: quietLogger
        ) { transport in
            try await body(
                NodeSynchronizer(
                    store: store,
                    transport: wrap(transport),
                    configuration: SyncSession.Configuration(
                        batchSize: batchSize,
                        maxAttempts: maxAttempts,
                        backoff: Backoff(initial: .milliseconds(10), maximum: .milliseconds(50))
                    ),
                    stateFile: SyncStateFile(directory: dataDirectory, physicalClock: clock),
                    acceptedHub: acceptHub.flatMap(NodeID.init),
                    physicalClock: clock,
                    logger: quietLogger
                )
            )
        }
    }

    /// Syncs once with the hub at `port`.
    @discardableResult
    func sync(
        port: Int,
        batchSize: Int = SyncProtocol.defaultBatchSize,
        gzipRequestBodies: Bool = true,
        acceptHub: String? = nil
    ) async throws -> SyncReport {
        try await withSynchronizer(
            port: port,
            batchSize: batchSize,
            gzipRequestBodies: gzipRequestBodies,
            acceptHub: acceptHub
        ) {
            try await $0.sync()
        }
    }
}

/// Runs the hub of `node` on 127.0.0.1 with a free port for the duration of `body`, then shuts it down gracefully.
func withHub<T: Sendable>(
    _ node: TestNode,
    revokedPath: String? = nil,
    maxBodyBytes: Int = SyncProtocol.defaultMaxBodyBytes,
    concurrentPushes: Int = 2,
    port: Int = 0,
    _ body: @Sendable (_ port: Int) async throws -> T
) async throws -> T {
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let application = try HubServer.application(
        store: node.store,
        configuration: HubServer.Configuration(
            listen: ListenAddress(host: "127.0.0.1", port: port),
            tls: node.tls,
            revokedPath: revokedPath,
            service: HubService.Configuration(maxBodyBytes: maxBodyBytes, concurrentPushes: concurrentPushes)
        ),
        physicalClock: node.clock,
        logger: quietLogger
    ) { port in
        continuation.yield(port)
    }
    let group = ServiceGroup(configuration: .init(services: [application], logger: quietLogger))
    return try await SyncServer.run(group, ports: ports, finishing: continuation, body)
}

/// A school node's HTTPS listener (the staff API, `/health`, `/metrics`, no sync loop) on `127.0.0.1`, port 0,
/// for the duration of `body`.
func withNodeListener<T: Sendable>(
    _ node: TestNode,
    _ body: @Sendable (_ port: Int) async throws -> T
) async throws -> T {
    try await NodeServer.withListening(
        store: node.store,
        tls: node.tls,
        listen: ListenAddress(host: "127.0.0.1", port: 0),
        logger: quietLogger,
        body
    )
}

/// The value of the counter or gauge `name` with exactly `labels` in the hub's `/metrics`, or 0 when it has not
/// been counted.
func hubCounter(port: Int, _ name: String, _ labels: [String: String] = [:]) async throws -> Double {
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.certificateVerification = .none  // /metrics is open; this only reads the counters.
    let text = try await withRawClient(tls: tls) { client in
        let response = try await client.execute(
            HTTPClientRequest(url: "https://127.0.0.1:\(port)/metrics"),
            timeout: .seconds(60)
        )
        return String(buffer: try await response.body.collect(upTo: 1 << 20))
    }
    for line in text.split(separator: "\n") {
        if labels.isEmpty, line.hasPrefix(name + " "), let value = Double(line.dropFirst(name.count + 1)) {
            return value
        }
        guard line.hasPrefix(name + "{") else { continue }
        guard let close = line.firstIndex(of: "}"),
            let value = Double(line[close...].dropFirst().trimmingCharacters(in: .whitespaces))
        else {
            continue
        }
        let pairs = line[line.index(after: line.firstIndex(of: "{")!)..<close].split(separator: ",")
        let found = Dictionary(
            pairs.map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return (String(parts[0]), String(parts.count > 1 ? parts[1] : "").trimmingCharacters(in: ["\""]))
            },
            uniquingKeysWith: { first, _ in first }
        )
        if found == labels { return value }
    }
    return 0
}

/// A raw HTTPS client with `tls` (or no client certificate at all), for requests the node client never sends.
func withRawClient<T>(
    tls: TLSConfiguration,
    _ body: (HTTPClient) async throws -> T
) async throws -> T {
    var configuration = HTTPClient.Configuration(tlsConfiguration: tls, timeout: .init(connect: .seconds(2)))
    configuration.httpVersion = .http1Only
    return try await HTTPClient.withHTTPClient(configuration: configuration) { try await body($0) }
}
