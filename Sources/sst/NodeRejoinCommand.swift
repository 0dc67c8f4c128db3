import ArgumentParser
import SSTCore
import SSTStore
import SSTSync

extension NodeCommand {
    /// `sst node rejoin`: a node restored from a backup older than its last sync takes a new node id.
    struct Rejoin: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a node restored from a backup a new node id, so that it can sync again.",
            discussion: """
                A school node's backup taken before its last sync ends before what the hub has of the node, \
                and `sst sync` refuses it ("restored from a backup?"): under its old id the node would reuse \
                sequence numbers and stamps the hub already has. A hub's backup likewise ends before what \
                the schools pulled from it, and they refuse it (hubRestored). This command keeps everything \
                in the data directory (records, consents, conflicts, cursors, the audit trail) and gives the \
                node a new id, recorded in the audit trail. --cert and --key (a certificate issued for the new \
                id) are checked first; a school node's stored hub settings (sync.json) use them from then on.

                A school node then pushes its whole log once more (the hub keeps what it has) and pulls back \
                what it sent after the backup, as far as the policy lets it cross to a school. Consents given \
                or withdrawn, and pupils entered, after the backup are not in it: the sync's error names them. \
                A hub, restarted with the new certificate, is refused by every school (hubChanged) until \
                the school syncs once with `sst sync --accept-hub NEW-ID` (or `sst node serve --accept-hub \
                NEW-ID`); the school then pulls the hub whole again and pushes again what it lost. docs/operations.md, \
                "Restoring a node from a backup".

                Example:
                  sst pki issue --ca ./ca --node-id ekbacken-1-r2 --role school \\
                    --school "Ekbackens skola" --stadsdel Södermalm --out ./certs/ekbacken-1-r2
                  sst node rejoin --data ./ekbacken --node-id ekbacken-1-r2 \\
                    --cert ./certs/ekbacken-1-r2/node.pem --key ./certs/ekbacken-1-r2/node-key.pem
                  sst pki revoke --ca ./ca --node-id ekbacken-1 --reason "restored from a backup"
                  sst sync --data ./ekbacken
                """
        )

        @OptionGroup var options: DataOptions

        @Option(help: ArgumentHelp("The new node id, never used in the district.", valueName: "ID"))
        var nodeId: String

        @Option(
            help: ArgumentHelp(
                "The certificate issued for the new id (PEM, from `sst pki issue`); a school node stores it for "
                    + "later syncs.",
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
                // A certificate for another node is refused before anything changes.
                let named = NodeIdentity(
                    node: node,
                    role: before.role,
                    school: before.school,
                    stadsdel: before.stadsdel
                )
                try TLSFiles(certificate: cert, key: key, ca: "").checkCertificate(names: named)
            }
            let report = try store.rejoin(as: node)
            var settingsUpdated = false
            if before.role == .school {
                let stateFile = SyncStateFile(directory: options.data)
                try stateFile.save(try stateFile.load().rejoined())
                if let cert, let key, let stored = try SyncSettings.load(directory: options.data) {
                    try stored.replacingCertificate(cert, key: key).save(directory: options.data)
                    settingsUpdated = true
                }
            }
            if json {
                printJSON(
                    .object([
                        "previousNodeId": .string(report.previous.rawValue),
                        "nodeId": .string(report.node.rawValue),
                        "role": .string(before.role.rawValue),
                        "lastSequence": .integer(report.lastSequence),
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
                    "      sst pki issue --ca CA-DIR --node-id \(report.node) --role \(before.role.rawValue)"
                        + "\(school)\(stadsdel) --out CERT-DIR"
                )
            }
            print("  - Revoke the old id's certificates, so that no other copy of this node syncs:")
            print("      sst pki revoke --ca CA-DIR --node-id \(report.previous) --reason \"restored from a backup\"")
            if before.role == .hub {
                print("  - Start the hub with the new certificate:")
                let files = "--cert \(cert ?? "CERT-DIR/node.pem") --key \(key ?? "CERT-DIR/node-key.pem")"
                print("      sst hub serve --data \(options.data) \(files) --listen … --client-ca … --revoked …")
                print("  - Tell every school to follow the new id: each refuses it (hubChanged) until it syncs with")
                print("      sst sync --data SCHOOL-DIR --accept-hub \(report.node)")
                print("    (or restarts `sst node serve` with --accept-hub \(report.node)).")
                print("  - Before they do, open the recovery window, so that they give back social services' values")
                print("    the hub lost (support flags, a report's receipt); close it once every school synced:")
                print("      sst hub recovery open --data \(options.data) --until 7d")
                print(
                    "At that sync every school pulls the hub's whole log (\(report.lastSequence) sequence numbers) "
                        + "once more and pushes again what the hub lost."
                )
                return
            }
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
