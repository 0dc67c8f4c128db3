import Logging
import SSTCore
import SSTStore

extension NodeSynchronizer {
    /// Runs `body` with a synchronizer that reaches the hub over HTTPS as `settings` say, recording each
    /// outcome in the data directory's `sync-state.json`. The HTTP client is shut down when `body` returns.
    /// Throws, before connecting, when the certificate names another node than the store (after `sst node
    /// rejoin`, the old id's certificate). `acceptHub` lets it sync with that hub although it last synced with
    /// another (``NodeSynchronizer/acceptedHub``).
    public static func withHTTP<T>(
        store: Store,
        dataDirectory: String,
        settings: SyncSettings,
        session: SyncSession.Configuration? = nil,
        physicalClock: any PhysicalClock = SystemClock(),
        connectTimeout: Duration = .seconds(10),
        acceptHub: NodeID? = nil,
        logger: Logger,
        _ body: (NodeSynchronizer) async throws -> T
    ) async throws -> T {
        try settings.tls.checkCertificate(names: try store.identity())
        let tls = try settings.tls.clientConfiguration()
        return try await HTTPSyncTransport.withTransport(
            configuration: HTTPSyncTransport.Configuration(
                hubURL: settings.hubURL,
                connectTimeout: connectTimeout,
                gzipRequestBodies: settings.gzipRequestBodies
            ),
            tls: tls,
            logger: logger
        ) { transport in
            var synchronizer = NodeSynchronizer(
                store: store,
                transport: transport,
                configuration: session
                    ?? SyncSession.Configuration(batchSize: settings.batchSize ?? SyncProtocol.defaultBatchSize),
                stateFile: SyncStateFile(directory: dataDirectory, physicalClock: physicalClock),
                acceptedHub: acceptHub,
                physicalClock: physicalClock,
                logger: logger
            )
            synchronizer.mailbox = MailboxRelay.Settings(dataDirectory: dataDirectory, tls: settings.tls)
            return try await body(synchronizer)
        }
    }
}
