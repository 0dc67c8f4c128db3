import ArgumentParser
import Logging
import SSTCore
import SSTStore
import SSTSync

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
                flags afterwards. The listener serves /health and /metrics only: the staff API (JSON, for \
                school staff and social workers) is later work. SIGTERM or SIGINT shuts down gracefully: \
                the sync stops between two steps, nothing is half-applied.

                Example:
                  sst node serve --data ./ekbacken --hub https://hub.example:8443 \\
                    --listen 127.0.0.1:9443 --cert certs/node.pem --key certs/node-key.pem --ca certs/ca.pem
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

        func validate() throws {
            guard ListenAddress(listen) != nil else {
                throw ValidationError("--listen \"\(listen)\" is not HOST:PORT, e.g. 127.0.0.1:9443")
            }
            guard interval >= 1 else { throw ValidationError("--interval must be at least 1 second") }
            if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
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
            try await NodeServer.run(
                store: store,
                dataDirectory: options.data,
                settings: settings,
                listen: ListenAddress(listen)!,
                loop: NodeSyncService.Configuration(interval: .seconds(interval)),
                logger: Logger.command(label: "sst.node", level: .info)
            )
        }
    }
}

extension NodeCommand {
    struct Rejoin: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a school node restored from a backup a new node id, so that it can sync again.",
            discussion: """
                A backup taken before the node's last sync ends before what the hub has of the node, and \
                `sst sync` refuses it ("restored from a backup?"): under its old id the node would reuse \
                sequence numbers and stamps the hub already has. This command keeps everything in the data \
                directory (records, consents, conflicts, the audit trail) and gives the node a new id, \
                recorded in the audit trail. With --cert and --key (a certificate issued for the new id) the \
                node's stored hub settings (sync.json) use them from now on. At its next sync the node \
                pushes its whole log once more (the hub keeps what it has) and pulls back what it sent after \
                the backup, as far as the policy lets it cross to the school. Consents given or withdrawn, \
                and pupils entered, after the backup are not in it: the sync's error names them (README, \
                "Restoring a school node from a backup").

                Example:
                  sst pki issue --ca ./ca --node-id ekbacken-1-r2 --role school \\
                    --school "Ekbackens skola" --stadsdel Södermalm --out ./ekbacken/tls-r2
                  sst node rejoin --data ./ekbacken --node-id ekbacken-1-r2 \\
                    --cert ./ekbacken/tls-r2/node.pem --key ./ekbacken/tls-r2/node-key.pem
                  sst pki revoke --ca ./ca --node-id ekbacken-1 --reason "restored from a backup"
                  sst sync --data ./ekbacken
                """
        )

        @OptionGroup var options: DataOptions

        @Option(help: ArgumentHelp("The new node id, never used in the district.", valueName: "ID"))
        var nodeId: String

        @Option(
            help: ArgumentHelp(
                "The certificate issued for the new id (PEM, from `sst pki issue`), stored for later syncs.",
                valueName: "FILE"
            )
        )
        var cert: String?

        @Option(help: ArgumentHelp("Its private key (PEM).", valueName: "FILE"))
        var key: String?

        @Flag(help: "Print the result as JSON.")
        var json = false

        func validate() throws {
            guard NodeID(nodeId) != nil else {
                throw ValidationError("--node-id \"\(nodeId)\" is not a node id: use 1–64 of A–Z a–z 0–9 . _ -")
            }
            guard (cert == nil) == (key == nil) else { throw ValidationError("give --cert and --key together") }
        }

        func run() throws {
            let store = try options.openStore()
            let node = NodeID(nodeId)!
            let before = try store.identity()
            if let cert, let key {
                // Refuse a certificate for another node before anything changes.
                let named = NodeIdentity(
                    node: node,
                    role: before.role,
                    school: before.school,
                    stadsdel: before.stadsdel
                )
                try TLSFiles(certificate: cert, key: key, ca: "").checkCertificate(names: named)
            }
            let report = try store.rejoin(as: node)
            let stateFile = SyncStateFile(directory: options.data)
            try stateFile.save(try stateFile.load().rejoined())
            var settingsUpdated = false
            if let cert, let key, let stored = try SyncSettings.load(directory: options.data) {
                try stored.replacingCertificate(cert, key: key).save(directory: options.data)
                settingsUpdated = true
            }
            if json {
                printJSON(
                    .object([
                        "previousNodeId": .string(report.previous.rawValue),
                        "nodeId": .string(report.node.rawValue),
                        "changesToPush": .integer(report.lastSequence),
                        "settingsUpdated": .bool(settingsUpdated),
                    ])
                )
                return
            }
            print("Node \(report.previous) is now \(report.node) (recorded in the audit trail).")
            print("Next:")
            if cert == nil {
                let school = before.school.map { " --school \"\($0)\"" } ?? ""
                let stadsdel = before.stadsdel.map { " --stadsdel \"\($0)\"" } ?? ""
                print("  - Issue a certificate for the new id:")
                print(
                    "      sst pki issue --ca CA-DIR --node-id \(report.node) --role school\(school)\(stadsdel) --out CERT-DIR"
                )
            }
            print("  - Revoke the old id's certificates, so that no other copy of this node syncs:")
            print("      sst pki revoke --ca CA-DIR --node-id \(report.previous) --reason \"restored from a backup\"")
            print("  - Sync (the whole log, \(report.lastSequence) sequence numbers, goes to the hub once more):")
            if settingsUpdated {
                print("      sst sync --data \(options.data)")
            } else {
                print("      sst sync --data \(options.data) --cert CERT-DIR/node.pem --key CERT-DIR/node-key.pem")
                print("    (add --hub and --ca if this node never synced; `sst node serve` stores them)")
            }
            print(
                "Consents given or withdrawn, and pupils entered, after the backup are not in it: the sync says which."
            )
        }
    }
}
