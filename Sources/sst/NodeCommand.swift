import ArgumentParser
import Logging
import SSTCore
import SSTStore
import SSTSync
import SSTWeb

/// `sst node serve`: a school node's long-running service, syncing with the hub in the background;
/// `sst node rejoin`: a school node restored from a backup takes a new node id.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run a school node, or let one restored from a backup sync again.",
        subcommands: [Serve.self, Rejoin.self]
    )

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sync with the hub in the background, and listen on HTTPS.",
            discussion: """
                Syncs at start, every --interval and a few seconds after local writes; while the hub is \
                down it keeps retrying with growing waits (capped at the interval), for days if need be. \
                The hub settings are stored in the data directory (sync.json), so `sst sync` needs no \
                flags afterwards. The listener serves /health, /metrics and the staff API \
                (/api/v1/records/{entity}/{id}, Protocol/staff-api.md): school staff read and write \
                records with a token from `sst staff add`, every access logged in the audit trail; it \
                works while the hub is down. SIGTERM or SIGINT shuts down gracefully: \
                the sync stops between two steps, nothing is half-applied. As `sst sync`, it syncs only \
                with a hub certificate of the district and, once a sync succeeded, only with that hub's node \
                id, until --accept-hub names a new one.

                The listener also serves the sync endpoints (/v2/handshake, /v2/push, /v2/pull) to the other \
                nodes of this school (`sst sync --peer`, `sst node serve --peer`): a client certificate of \
                another school, or the hub's, is refused (403 notSameSchool) and audited; so is a revoked one, \
                by the district's revocation list, which the node fetches from the hub after every successful \
                hub sync (revoked.json in the data directory). A node that has synced with a hub but holds no \
                list refuses its peers (503 revocationListMissing) until its next hub sync; one that never synced \
                serves them, with a warning in the log. Each --peer URL (repeatable) is synced with in the \
                background like the hub, checked to be a node of this school before anything is sent.

                Example:
                  sst node serve --data ./ekbacken --hub https://hub.example:8443 \\
                    --listen 127.0.0.1:9443 --cert certs/node.pem --key certs/node-key.pem --ca certs/ca.pem \\
                    --peer https://ekbacken-annex.example:9443
                """
        )

        @OptionGroup var options: DataOptions

        @Option(help: ArgumentHelp("The hub's base URL.", valueName: "URL"))
        var hub: String

        @Option(help: ArgumentHelp("The address of the node's own HTTPS listener.", valueName: "HOST:PORT"))
        var listen: String

        @Option(help: ArgumentHelp("This node's certificate (PEM, from `sst pki issue`).", valueName: "FILE"))
        var cert: String

        @Option(help: ArgumentHelp("This node's private key (PEM).", valueName: "FILE"))
        var key: String

        @Option(help: ArgumentHelp("The district CA certificate, the only one trusted.", valueName: "FILE"))
        var ca: String

        @Option(
            help: ArgumentHelp(
                "Another node of this school to sync with in the background, directly (repeatable).",
                valueName: "URL"
            )
        )
        var peer: [String] = []

        @Option(help: ArgumentHelp("Seconds between two syncs when nothing happens.", valueName: "SECONDS"))
        var interval: Int = 300

        @Option(
            help: ArgumentHelp(
                "Field changes per push and pull batch (default: the node's saved sync settings, else "
                    + "\(SyncProtocol.defaultBatchSize)).",
                valueName: "N"
            )
        )
        var batchSize: Int?

        @Option(
            help: ArgumentHelp(
                "Sync with the hub of this node id although this node last synced with another (a hub restored "
                    + "from a backup takes a new id); from then on the node follows it.",
                valueName: "HUB-ID"
            )
        )
        var acceptHub: String?

        func validate() throws {
            if let acceptHub, NodeID(acceptHub) == nil {
                throw ValidationError("--accept-hub \"\(acceptHub)\" is not a node id: use 1–64 of A–Z a–z 0–9 . _ -")
            }
            guard ListenAddress(listen) != nil else {
                throw ValidationError("--listen \"\(listen)\" is not HOST:PORT, e.g. 127.0.0.1:9443")
            }
            guard interval >= 1 else { throw ValidationError("--interval must be at least 1 second") }
            if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
            for url in peer where !url.lowercased().hasPrefix("https://") {
                throw ValidationError("--peer \"\(url)\" is not https://HOST:PORT")
            }
        }

        func run() async throws {
            let store = try options.openStore()
            let settings = try SyncSettings.resolve(
                stored: try SyncSettings.load(directory: options.data),
                hubURL: hub,
                certificate: cert,
                key: key,
                ca: ca,
                batchSize: batchSize
            )
            try settings.save(directory: options.data)
            WebPages.register()  // the staff web page, beside the staff API
            try await NodeServer.run(
                store: store,
                dataDirectory: options.data,
                settings: settings,
                listen: ListenAddress(listen)!,
                loop: NodeSyncService.Configuration(interval: .seconds(interval)),
                acceptHub: acceptHub.flatMap(NodeID.init),
                peers: peer,
                logger: Logger.command(label: "sst.node", level: .info)
            )
        }
    }
}
