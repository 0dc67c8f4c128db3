import ArgumentParser
import Foundation
import Logging
import SSTCore
import SSTStore
import SSTSync

/// `sst sync`: one sync with the hub, now.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Sync with the hub now (or with another node of this school): push this node's changes, pull theirs.",
        discussion: """
            The hub settings come from the data directory (stored by `sst node serve`, or by the first \
            successful `sst sync`); --hub, --cert, --key and --ca override them for this run. Transient failures (the hub unreachable, a dropped \
            connection) are retried with backoff; the node keeps its changes whatever happens, and the \
            outcome is recorded for `sst status`. Exits 0 only when the sync completed.

            The node syncs only with a server whose certificate is a hub certificate of the district \
            (it carries the name hub.sst-sync.invalid; `sst pki issue --role hub` adds it), and, once a \
            sync succeeded, only with that hub's node id: a hub with another id is refused (hubChanged) \
            before anything is pushed or pulled, until --accept-hub names it.

            With --peer URL the node syncs instead directly with another node of its own school (a second \
            building, the kurator's laptop), which serves the sync endpoints on its `sst node serve --listen` \
            address: everything of the school goes both ways, unfiltered. The server's certificate must be a \
            school certificate of this school (it carries the school's name, <hash>.school.sst-sync.invalid; \
            `sst pki issue --role school` adds it), checked before anything is sent (notSameSchool). The \
            certificate, key and CA come from the stored hub settings unless given; the outcome is recorded \
            per peer in peers.json, apart from the hub's sync state.

            Example:
              sst sync --data ./ekbacken --hub https://hub.example:8443 \\
                --cert certs/node.pem --key certs/node-key.pem --ca certs/ca.pem
              sst sync --data ./ekbacken --peer https://ekbacken-laptop.example:9443
            """
    )

    @OptionGroup var options: DataOptions

    @Option(help: ArgumentHelp("The hub's base URL.", valueName: "URL"))
    var hub: String?

    @Option(
        help: ArgumentHelp(
            "Sync with this node of the same school (its `sst node serve --listen` address) instead of the hub.",
            valueName: "URL"
        )
    )
    var peer: String?

    @Option(help: ArgumentHelp("This node's certificate (PEM).", valueName: "FILE"))
    var cert: String?

    @Option(help: ArgumentHelp("This node's private key (PEM).", valueName: "FILE"))
    var key: String?

    @Option(help: ArgumentHelp("The district CA certificate (PEM).", valueName: "FILE"))
    var ca: String?

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

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Log each step to standard error.")
    var verbose = false

    func validate() throws {
        if peer != nil, hub != nil || acceptHub != nil {
            throw ValidationError(
                "--peer syncs with another node of this school, not the hub: leave out --hub and --accept-hub"
            )
        }
        if let peer, !peer.lowercased().hasPrefix("https://") {
            throw ValidationError("--peer \"\(peer)\" is not https://HOST:PORT")
        }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let acceptHub, NodeID(acceptHub) == nil {
            throw ValidationError("--accept-hub \"\(acceptHub)\" is not a node id: use 1–64 of A–Z a–z 0–9 . _ -")
        }
    }

    func run() async throws {
        if let peer { return try await syncWithPeer(peer) }
        let store = try options.openStore()
        let stored = try SyncSettings.load(directory: options.data)
        let settings = try SyncSettings.resolve(
            stored: stored,
            hubURL: hub,
            certificate: cert,
            key: key,
            ca: ca,
            batchSize: batchSize
        )
        let logger = Logger.command(label: "sst.sync", level: verbose ? .debug : .error)
        let showProgress = !json && isatty(STDERR_FILENO) == 1
        let progress: @Sendable (SyncProgress) -> Void = { progress in
            if showProgress { Self.drawProgress(progress) }
        }
        let result = try await NodeSynchronizer.withHTTP(
            store: store,
            dataDirectory: options.data,
            settings: settings,
            acceptHub: acceptHub.flatMap(NodeID.init),
            logger: logger
        ) { synchronizer -> Result<SyncReport, SyncFailure> in
            await synchronizer.syncResult(progress: progress)
        }
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        switch result {
        case .success(let report):
            if stored == nil { try settings.save(directory: options.data) }
            json ? printJSON(SyncOutput.json(report)) : print(SyncOutput.text(report))
        case .failure(let failure):
            guard json else { throw failure }
            printJSON(SyncOutput.json(failure))
            throw ExitCode.failure
        }
    }

    /// `--peer`: one sync with another node of this school.
    private func syncWithPeer(_ url: String) async throws {
        let store = try options.openStore()
        let stored = try SyncSettings.load(directory: options.data)
        let values = [
            ("--cert", cert ?? stored?.tls.certificate), ("--key", key ?? stored?.tls.key),
            ("--ca", ca ?? stored?.tls.ca),
        ]
        let missing = values.filter { $0.1 == nil }.map(\.0)
        guard missing.isEmpty, let cert = values[0].1, let key = values[1].1, let ca = values[2].1 else {
            throw SyncSetupError(
                "this node has no stored certificate settings for \(missing.joined(separator: ", "))",
                remedy: "Give --cert F --key F --ca F (`sst node serve` and `sst sync --hub` store them for later)."
            )
        }
        let logger = Logger.command(label: "sst.sync", level: verbose ? .debug : .error)
        let showProgress = !json && isatty(STDERR_FILENO) == 1
        let progress: @Sendable (SyncProgress) -> Void = { progress in
            if showProgress { Self.drawProgress(progress) }
        }
        let result = try await NodeSynchronizer.withPeer(
            store: store,
            dataDirectory: options.data,
            peer: NodeSynchronizer.PeerSettings(
                url: url,
                tls: TLSFiles(certificate: cert, key: key, ca: ca),
                batchSize: batchSize ?? stored?.batchSize,
                gzipRequestBodies: stored?.gzipRequestBodies ?? true
            ),
            logger: logger
        ) { synchronizer -> Result<SyncReport, SyncFailure> in
            await synchronizer.syncResult(progress: progress)
        }
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        switch result {
        case .success(let report):
            json ? printJSON(SyncOutput.json(report, peer: url)) : print(SyncOutput.text(report, peer: url))
        case .failure(let failure):
            guard json else { throw failure }
            printJSON(SyncOutput.json(failure))
            throw ExitCode.failure
        }
    }

    @Sendable static func drawProgress(_ progress: SyncProgress) {
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + progress.bar(width: 30)).utf8))
    }
}

extension Logger {
    /// A logger for a command: standard error, from `level` up. Commands never bootstrap the logging system.
    static func command(label: String, level: Logger.Level) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        return logger
    }
}
