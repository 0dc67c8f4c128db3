import Foundation
import Logging
import SSTCore
import SSTPKI
import SSTStore

extension NodeSynchronizer {
    /// How a node reaches another node of its school.
    public struct PeerSettings: Sendable {
        /// The peer's base URL, `https://HOST:PORT` (its `sst node serve --listen`).
        public var url: String
        /// This node's certificate and key, and the district CA.
        public var tls: TLSFiles
        public var batchSize: Int?
        public var gzipRequestBodies: Bool
        public var connectTimeout: Duration

        public init(
            url: String,
            tls: TLSFiles,
            batchSize: Int? = nil,
            gzipRequestBodies: Bool = true,
            connectTimeout: Duration = .seconds(10)
        ) {
            self.url = url
            self.tls = tls
            self.batchSize = batchSize
            self.gzipRequestBodies = gzipRequestBodies
            self.connectTimeout = connectTimeout
        }
    }

    /// Runs `body` with a synchronizer that syncs directly with another node of this node's school over HTTPS
    /// (mutual TLS), recording each outcome in the data directory's `peers.json` (never in `sync-state.json`, which is
    /// about the hub). Everything of the school goes both ways, unfiltered: both are of the school side.
    ///
    /// Before anything is sent, TLS checks that the server's certificate carries the school's name
    /// (``SchoolTLSName``); a certificate of another school, or the hub's, fails with ``SyncFailure/Kind/notSameSchool``.
    /// Throws, before connecting, when this store is not a school node's or the certificate names another node.
    public static func withPeer<T>(
        store: Store,
        dataDirectory: String,
        peer: PeerSettings,
        session: SyncSession.Configuration? = nil,
        physicalClock: any PhysicalClock = SystemClock(),
        logger: Logger,
        _ body: (NodeSynchronizer) async throws -> T
    ) async throws -> T {
        let identity = try store.identity()
        guard identity.role == .school, let school = identity.school else {
            throw SyncSetupError(
                "the node \(identity.node) is \(identity.role == .hub ? "a hub" : "a school node without a school"); "
                    + "only the nodes of one school sync directly with each other",
                remedy: "Sync a hub with `sst sync --hub`; give a school node its school (`sst init --school NAME`)."
            )
        }
        try peer.tls.checkCertificate(names: identity)
        let tls = try peer.tls.clientConfiguration()
        return try await HTTPSyncTransport.withTransport(
            configuration: HTTPSyncTransport.Configuration(
                hubURL: peer.url,
                connectTimeout: peer.connectTimeout,
                gzipRequestBodies: peer.gzipRequestBodies,
                peerSchool: school
            ),
            tls: tls,
            logger: logger
        ) { transport in
            var synchronizer = NodeSynchronizer(
                store: store,
                transport: transport,
                configuration: session
                    ?? SyncSession.Configuration(batchSize: peer.batchSize ?? SyncProtocol.defaultBatchSize),
                stateFile: nil,
                physicalClock: physicalClock,
                logger: logger
            )
            synchronizer.counterpart = .schoolPeer(school: school, stadsdel: identity.stadsdel)
            synchronizer.peerStateFile = PeerStateFile(
                directory: dataDirectory,
                url: peer.url,
                physicalClock: physicalClock
            )
            return try await body(synchronizer)
        }
    }

    /// After a sync: records a peer sync's outcome in `peers.json`; after a successful sync with the hub, fetches the
    /// district's revocation list and keeps it as the node's `revoked.json` (``PeerRevocations``). A list that cannot
    /// be fetched is logged, and the node keeps the one it has: the sync itself succeeded.
    func afterSync(_ result: Result<SyncReport, SyncFailure>, at startedAt: UInt64) async {
        if let peerStateFile {
            do {
                try peerStateFile.record(result, at: startedAt)
            } catch {
                logger.warning("cannot record the peer sync state", metadata: ["error": "\(error)"])
            }
        }
        guard counterpart == .hub, case .success = result, let stateFile else { return }
        let directory = URL(fileURLWithPath: stateFile.path).deletingLastPathComponent().path
        do {
            guard let list = try await transport.revocationList() else { return }
            try PeerRevocations.save(list, dataDirectory: directory)
        } catch {
            logger.warning(
                "cannot fetch the district's revocation list from the hub; the node keeps the one it has",
                metadata: ["error": "\(error)"]
            )
        }
    }
}

extension NodeSynchronizer {
    /// Runs `body` with a synchronizer for each of `peers` (``withPeer(store:dataDirectory:peer:session:physicalClock:logger:_:)``).
    static func withPeers<T>(
        store: Store,
        dataDirectory: String,
        peers: ArraySlice<PeerSettings>,
        synchronizers: [NodeSynchronizer] = [],
        logger: Logger,
        _ body: ([NodeSynchronizer]) async throws -> T
    ) async throws -> T {
        guard let first = peers.first else { return try await body(synchronizers) }
        return try await withPeer(
            store: store,
            dataDirectory: dataDirectory,
            peer: first,
            logger: logger.with(peer: first.url)
        ) { synchronizer in
            try await withPeers(
                store: store,
                dataDirectory: dataDirectory,
                peers: peers.dropFirst(),
                synchronizers: synchronizers + [synchronizer],
                logger: logger,
                body
            )
        }
    }
}

extension Logger {
    /// The logger with the peer's URL in its metadata.
    func with(peer url: String) -> Logger {
        var logger = self
        logger[metadataKey: "peer"] = "\(url)"
        return logger
    }
}
