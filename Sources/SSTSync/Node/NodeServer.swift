import Hummingbird
import Logging
import SSTCore
import SSTStore
import ServiceLifecycle
import UnixSignals

/// A school node as a long-running service: the background sync loop with the hub, and the node's HTTPS
/// listener (`/health` and `/metrics` for now; the staff API is later work).
public enum NodeServer {
    /// Runs until SIGTERM or SIGINT, then shuts down gracefully: the sync stops between two steps, requests in
    /// flight finish.
    public static func run(
        store: Store,
        dataDirectory: String,
        settings: SyncSettings,
        listen: ListenAddress,
        loop: NodeSyncService.Configuration = NodeSyncService.Configuration(),
        logger: Logger
    ) async throws {
        let identity = try store.identity()
        try settings.tls.checkCertificate(names: identity)
        let metrics = HubMetrics()
        let router = Router(context: SyncRequestContext.self)
        router.add(middleware: ProblemMiddleware(metrics: metrics))
        SyncRoutes.addOpenRoutes(to: router, metrics: metrics, node: identity.node.rawValue)
        let application = try SyncServer.application(
            router: router,
            tls: try settings.tls.serverConfiguration(),
            configuration: SyncServer.Configuration(host: listen.host, port: listen.port),
            logger: logger
        ) { port in
            logger.info("node listening", metadata: ["host": "\(listen.host)", "port": "\(port)"])
        }
        try await NodeSynchronizer.withHTTP(
            store: store,
            dataDirectory: dataDirectory,
            settings: settings,
            logger: logger
        ) { synchronizer in
            let loop = NodeSyncService(synchronizer: synchronizer, configuration: loop, logger: logger)
            let group = ServiceGroup(
                configuration: .init(
                    services: [application, loop],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
            )
            try await group.run()
        }
    }
}
