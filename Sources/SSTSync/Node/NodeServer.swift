import Hummingbird
import Logging
import SSTCore
import SSTStore
import ServiceLifecycle
import UnixSignals

/// A school node as a long-running service: the background sync loop with the hub (and with each peer, another node
/// of its school), and the node's HTTPS listener: the staff API (``StaffRoutes``), `/health` and `/metrics`, and, when
/// it knows its data directory, the sync endpoints for the other nodes of its school (``PeerRoutes``).
public enum NodeServer {
    /// The node's HTTPS listener (a `Service`), after checking that the certificate names the store's node.
    /// `onListening` gets the bound port. With `dataDirectory` (where the node keeps its copy of the district's
    /// revocation list), a school node also serves the other nodes of its school (``PeerRoutes``).
    public static func application(
        store: Store,
        tls: TLSFiles,
        listen: ListenAddress,
        dataDirectory: String? = nil,
        metrics: HubMetrics = HubMetrics(),
        logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let identity = try store.identity()
        try tls.checkCertificate(names: identity)
        let router = Router(context: SyncRequestContext.self)
        router.add(middleware: ProblemMiddleware(metrics: metrics))
        SyncRoutes.addOpenRoutes(to: router, metrics: metrics, node: identity.node.rawValue)
        StaffRoutes.add(to: router, store: store)
        StaffPages.add(to: router, store: store, dataDirectory: dataDirectory)
        if let dataDirectory, identity.role == .school, let school = identity.school {
            let revocations = PeerRevocations(dataDirectory: dataDirectory, logger: logger)
            PeerRoutes.add(
                to: router,
                store: store,
                school: school,
                revocations: revocations,
                metrics: metrics,
                logger: logger
            )
        }
        MethodNotAllowedMiddleware.addAfterEveryRoute(to: router)
        return try SyncServer.application(
            router: router,
            tls: try tls.serverConfiguration(),
            configuration: SyncServer.Configuration(host: listen.host, port: listen.port),
            logger: logger,
            onListening: onListening
        )
    }

    /// Runs the node's listener (without the sync loop) for the duration of `body`, which gets the bound port,
    /// then shuts it down gracefully. For tools, tests and the demo.
    public static func withListening<T: Sendable>(
        store: Store,
        tls: TLSFiles,
        listen: ListenAddress,
        dataDirectory: String? = nil,
        logger: Logger,
        _ body: @Sendable (_ port: Int) async throws -> T
    ) async throws -> T {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = try application(
            store: store,
            tls: tls,
            listen: listen,
            dataDirectory: dataDirectory,
            logger: logger
        ) { port in
            continuation.yield(port)
        }
        let group = ServiceGroup(configuration: .init(services: [application], logger: logger))
        return try await SyncServer.run(group, ports: ports, finishing: continuation, body)
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully: the sync stops between two steps, requests in
    /// flight finish.
    public static func run(
        store: Store,
        dataDirectory: String,
        settings: SyncSettings,
        listen: ListenAddress,
        loop: NodeSyncService.Configuration = NodeSyncService.Configuration(),
        acceptHub: NodeID? = nil,
        peers: [String] = [],
        logger: Logger
    ) async throws {
        let application = try application(
            store: store,
            tls: settings.tls,
            listen: listen,
            dataDirectory: dataDirectory,
            logger: logger
        ) { port in
            logger.info("node listening", metadata: ["host": "\(listen.host)", "port": "\(port)"])
        }
        try await NodeSynchronizer.withHTTP(
            store: store,
            dataDirectory: dataDirectory,
            settings: settings,
            acceptHub: acceptHub,
            logger: logger
        ) { synchronizer in
            let hubLoop = NodeSyncService(synchronizer: synchronizer, configuration: loop, logger: logger)
            let peerSettings = peers.map { url in
                NodeSynchronizer.PeerSettings(
                    url: url,
                    tls: settings.tls,
                    batchSize: settings.batchSize,
                    gzipRequestBodies: settings.gzipRequestBodies
                )
            }
            try await NodeSynchronizer.withPeers(
                store: store,
                dataDirectory: dataDirectory,
                peers: peerSettings[...],
                logger: logger
            ) { peerSynchronizers in
                let peerLoops: [any Service] = peerSynchronizers.map { peer in
                    NodeSyncService(
                        synchronizer: peer,
                        configuration: loop,
                        logger: logger.with(peer: peer.peerStateFile?.url ?? "?")
                    )
                }
                let group = ServiceGroup(
                    configuration: .init(
                        services: [application, hubLoop] + peerLoops,
                        gracefulShutdownSignals: [.sigterm, .sigint],
                        logger: logger
                    )
                )
                try await group.run()
            }
        }
    }
}
