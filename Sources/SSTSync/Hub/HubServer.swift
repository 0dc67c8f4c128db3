import Hummingbird
import Logging
import SSTCore
import SSTPKI
import SSTStore
import ServiceLifecycle
import UnixSignals

/// The district hub: the sync endpoints over HTTPS with mutual TLS, on the hub's store.
public enum HubServer {
    /// What `sst hub serve` configures.
    public struct Configuration: Sendable {
        public var listen: ListenAddress
        /// The hub's certificate and key, and the district CA that client certificates must chain to.
        public var tls: TLSFiles
        /// The district's `revoked.json`, re-read whenever it changes; `nil`: nothing is revoked.
        public var revokedPath: String?
        public var service: HubService.Configuration
        /// How often ``run(store:configuration:logger:)`` sweeps lapsed consents (``ConsentSweepService``).
        public var sweepInterval: Duration

        public init(
            listen: ListenAddress,
            tls: TLSFiles,
            revokedPath: String? = nil,
            service: HubService.Configuration = HubService.Configuration(),
            sweepInterval: Duration = ConsentSweepService.defaultInterval
        ) {
            self.listen = listen
            self.tls = tls
            self.revokedPath = revokedPath
            self.service = service
            self.sweepInterval = sweepInterval
        }
    }

    /// The hub's application (a `Service`), after checking that the store is a hub's and the certificate names
    /// the same node. `onListening` gets the bound port.
    public static func application(
        store: Store,
        configuration: Configuration,
        metrics: HubMetrics = HubMetrics(),
        physicalClock: any PhysicalClock = SystemClock(),
        logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let identity = try store.identity()
        guard identity.role == .hub else {
            throw SyncSetupError(
                "the node \(identity.node) is a \(identity.role.rawValue) node, not a hub",
                remedy: "Serve a hub's data directory (`sst init --role hub`), or run `sst node serve` for a school."
            )
        }
        try configuration.tls.checkCertificate(names: identity)
        let revocations = try configuration.revokedPath.map { path in
            try RevocationWatcher(path: path) { error in
                logger.error(
                    "the revocation list cannot be read; the last good list stays in force",
                    metadata: [
                        "error": "\(error)"
                    ]
                )
            }
        }
        let service = HubService(
            store: store,
            configuration: configuration.service,
            physicalClock: physicalClock,
            metrics: metrics,
            logger: logger
        )
        let router = SyncRoutes.hubRouter(service: service, authenticator: .district(revocations: revocations))
        return try SyncServer.application(
            router: router,
            tls: try configuration.tls.serverConfiguration(),
            configuration: SyncServer.Configuration(host: configuration.listen.host, port: configuration.listen.port),
            logger: logger,
            onListening: onListening
        )
    }

    /// Runs the hub, and its consent sweep every `configuration.sweepInterval`, until SIGTERM or SIGINT, then
    /// shuts down gracefully: requests in flight finish. The store's log is checkpointed on a thread of its own
    /// meanwhile (``Store/withBackgroundCheckpoints(isolation:_:)``), not by the pushes' commits.
    public static func run(store: Store, configuration: Configuration, logger: Logger) async throws {
        let application = try application(store: store, configuration: configuration, logger: logger) { port in
            logger.info("hub listening", metadata: ["host": "\(configuration.listen.host)", "port": "\(port)"])
        }
        let sweep = ConsentSweepService(store: store, interval: configuration.sweepInterval, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [application, sweep],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await store.withBackgroundCheckpoints { try await group.run() }
    }
}
