import ArgumentParser
import Foundation
import Logging
import SSTPKI
import SSTStore
import SSTSync
import SSTWeb

/// `sst hub serve`: the district hub's sync endpoints over HTTPS with mutual TLS.
struct HubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub",
        abstract: "Run the district hub.",
        subcommands: [Serve.self, Recovery.self]
    )

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the sync protocol (Protocol/sync.md) to school nodes over HTTPS with mutual TLS.",
            discussion: """
                Nodes authenticate with certificates issued by the district CA (--client-ca); their node id, \
                role, school and stadsdel are read from the certificate. A certificate listed in --revoked \
                (the CA folder's revoked.json) is refused from the next request on, without a restart. The \
                list must exist and be readable when the hub starts (`sst pki init` writes an empty one); \
                while the hub runs, a list that is removed or damaged keeps the last good list in force and \
                is logged as an error until it is fixed. Without --revoked, the hub reads revoked.json beside \
                --client-ca when that is a CA folder (it holds ca-key.pem or issued.json), and then needs it \
                as well; with a lone copy of ca.pem, nothing can be revoked, and the hub says so in its log. \
                /health and /metrics need no client certificate. Social workers use the staff API \
                (/api/v1, Protocol/staff-api.md) with a token from `sst staff add` instead of a \
                certificate; every access is logged in the audit trail. Pushes are applied two at a time; when many \
                schools sync at once the others wait their turn (sst_sync_pushes_waiting in /metrics). Every \
                --sweep-minutes (default 10) the hub \
                purges what it received under consents no longer in force (withdrawn or expired), on its own \
                clock, as `sst consent sweep` does. SIGTERM or SIGINT shuts down gracefully: requests in \
                flight finish.

                Example:
                  sst hub serve --data ./hub --listen 0.0.0.0:8443 \\
                    --cert hub-cert/node.pem --key hub-cert/node-key.pem \\
                    --client-ca ca/ca.pem --revoked ca/revoked.json
                """
        )

        @OptionGroup var options: DataOptions

        @Option(help: ArgumentHelp("The address to listen on.", valueName: "HOST:PORT"))
        var listen: String

        @Option(help: ArgumentHelp("The hub's certificate (PEM, from `sst pki issue --role hub`).", valueName: "FILE"))
        var cert: String

        @Option(help: ArgumentHelp("The hub's private key (PEM).", valueName: "FILE"))
        var key: String

        @Option(
            help: ArgumentHelp("The district CA certificate that node certificates must chain to.", valueName: "FILE")
        )
        var clientCa: String

        @Option(
            help: ArgumentHelp(
                "The district's revoked.json, re-read when it changes (default: the one beside --client-ca in a CA "
                    + "folder).",
                valueName: "FILE"
            )
        )
        var revoked: String?

        @Option(help: ArgumentHelp("The largest request body accepted.", valueName: "BYTES"))
        var maxBodyBytes: Int = SyncProtocol.defaultMaxBodyBytes

        @Option(help: ArgumentHelp("Minutes between two sweeps of lapsed consents.", valueName: "MINUTES"))
        var sweepMinutes: Int = 10

        func validate() throws {
            guard sweepMinutes >= 1 else {
                throw ValidationError("--sweep-minutes must be at least 1")
            }
            guard ListenAddress(listen) != nil else {
                throw ValidationError("--listen \"\(listen)\" is not HOST:PORT, e.g. 127.0.0.1:8443")
            }
            guard maxBodyBytes >= 1024 else {
                throw ValidationError("--max-body-bytes must be at least 1024")
            }
        }

        func run() async throws {
            let logger = Logger.command(label: "sst.hub", level: .info)
            let revokedPath = Self.revocationList(given: revoked, clientCA: clientCa)
            if let revokedPath {
                // Fails closed before anything else: a hub never serves without its deny list.
                _ = try RevocationList.loadRequired(path: revokedPath)
            } else {
                logger.warning(
                    "no revocation list: a certificate cannot be revoked while this hub runs",
                    metadata: ["remedy": "Give --revoked with the district's revoked.json (`sst pki init` writes it)."]
                )
            }
            let store = try options.openStore()
            WebPages.register()  // the staff web page, beside the staff API
            try await HubServer.run(
                store: store,
                configuration: HubServer.Configuration(
                    listen: ListenAddress(listen)!,
                    tls: TLSFiles(certificate: cert, key: key, ca: clientCa),
                    revokedPath: revokedPath,
                    service: HubService.Configuration(maxBodyBytes: maxBodyBytes),
                    sweepInterval: .seconds(60 * sweepMinutes)
                ),
                logger: logger
            )
        }

        /// The revocation list the hub watches: `--revoked` when given; else `revoked.json` beside `--client-ca`
        /// when `--client-ca` lies in a CA folder (beside `ca-key.pem` or `issued.json`), which must then exist
        /// like a given one; else none (a lone copy of the CA certificate, as a node's certificate folder holds).
        static func revocationList(given: String?, clientCA: String) -> String? {
            if let given { return given }
            let folder = URL(fileURLWithPath: clientCA).deletingLastPathComponent()
            let markers = [DistrictCA.keyFileName, IssuedIndex.fileName]
            guard
                markers.contains(where: {
                    FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
                })
            else { return nil }
            return RevocationList.path(inCA: folder.path)
        }
    }
}
