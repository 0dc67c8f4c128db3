import Foundation
import SSTCore
import SSTSealing
import SSTStore
import SSTSync

/// B9: the relay through the hub's sealed mailbox (issue 18). One node of a school holds N field changes of its
/// school (pupils, guardians, absence, cases and their consents, written by another node of the school); a second
/// node of the school gets them through the hub's mailbox: the sender's relay seals them with the school key in
/// blobs of `sst sync`'s batch size and posts them, the receiver's relay lists them, opens each and applies it
/// (``MailboxRelay``, what every `sst sync` of a school node runs after its boundary sync). The baseline is the
/// direct path: a third node of the school, empty, syncs with the sender as `sst sync --peer` does
/// (``NodeSynchronizer/withPeer(store:dataDirectory:peer:session:physicalClock:logger:_:)``) while the sender serves
/// its school's nodes as `sst node serve` does (``NodeServer``): handshake, push (nothing) and pull of the same N
/// changes in batches of the same size, over HTTPS with mutual TLS. The ratio is relay throughput ÷ direct
/// throughput (the direct time ÷ the relay's); the two alternate order from run to run.
///
/// Then the bytes the hub stores for the school: after the relay (the sender's changes blobs), and after
/// compaction — the receiver's next relay with a snapshot due, as after a purge: it first posts what its log holds
/// since its mailbox cursor (the changes it received), then a sealed snapshot of its whole state, which drops the
/// blobs it covers — against the size of the school's data: its whole state as change-set JSON (what the
/// snapshot seals) and the receiver's database on disk.
///
/// Hub and nodes run in this process, each on a durable store in its own data directory, fresh every run. The
/// nodes join the school's mailbox before the data is written, untimed, as an administrator sets a second node
/// up: the receiver's first relay makes the hub record its certificate, the sender's next one wraps the school key
/// for it, the receiver's following one takes it.
struct RelayFigure {
    let district: District
    let scratch: Scratch
    let runs: Int
    let changes: Int

    static let school = (name: "Ekbackens skola", stadsdel: "Södermalm")
    static let sender = node("ekbacken-relay-1")
    static let receiver = node("ekbacken-relay-2")
    static let directReceiver = node("ekbacken-direct-2")
    /// The other node of the school that wrote the data.
    static let writer = NodeID("ekbacken-relay-0")!

    static func node(_ name: String) -> NodeIdentity {
        NodeIdentity(node: NodeID(name)!, role: .school, school: school.name, stadsdel: school.stadsdel)
    }

    typealias Node = (store: Store, directory: String, database: String)

    /// What one run measured.
    struct Run: Sendable {
        var relaySeconds = 0.0
        /// The sender's relay (seal and post) and the receiver's (list, open and apply).
        var sendSeconds = 0.0
        var receiveSeconds = 0.0
        var blobs = 0
        var directSeconds = 0.0
        var directBatches = 0
        /// The hub's bytes for the school: after the relay, after the receiver's compaction.
        var storedAfterRelay: Int64 = 0
        var storedAfterCompaction: Int64 = 0
        /// What the receiver posted back before its snapshot (the changes it received), and the snapshot's blobs.
        var echoed = 0
        var blobsAfterCompaction = 0
        /// The snapshot's bytes alone, and the changes blobs the snapshot left (the receiver's own, posted before it).
        var snapshotBytes: Int64 = 0
        var changesBytesLeft: Int64 = 0
        /// The school's whole state as change-set JSON, and the receiver's database and WAL on disk.
        var stateJSONBytes = 0
        var databaseBytes = 0
    }

    func measure() async throws -> [Figure] {
        let tls = (
            sender: try district.issue(Self.sender), receiver: try district.issue(Self.receiver),
            direct: try district.issue(Self.directReceiver)
        )
        var measured: [Run] = []
        for run in 0..<runs {
            let hub = try district.newHub()
            let sender = try district.newSchoolNode(Self.sender)
            let receiver = try district.newSchoolNode(Self.receiver)
            let direct = try district.newSchoolNode(Self.directReceiver)
            // The school key, made by the sender as `sst init --role school` does.
            try SchoolKeyFile.save(
                SchoolKey.generate(
                    school: Self.school.name,
                    epoch: 1,
                    now: UInt64(Date().timeIntervalSince1970 * 1000)
                ),
                directory: sender.directory
            )
            var workload = Workload(
                consentedSeed: 9,
                startMilliseconds: Workload.defaultStart(),
                school: Self.school.name,
                stadsdel: Self.school.stadsdel,
                writer: Self.writer
            )
            workload.inlineConsents = true
            let written = workload.newChanges(changes)
            let changes = self.changes
            let relayFirst = run % 2 == 0
            let result = try await HubServer.withRunning(
                store: hub.store,
                configuration: HubServer.Configuration(
                    listen: ListenAddress(host: "127.0.0.1", port: 0),
                    tls: district.hubTLS
                ),
                logger: District.logger
            ) { port in
                let url = "https://127.0.0.1:\(port)"
                try await Self.join(sender: (sender, tls.sender), receiver: (receiver, tls.receiver), url: url)
                try sender.store.applyInChunks(written, since: 0, origin: Self.writer)
                var result = Run()
                for path in relayFirst ? ["relay", "direct"] : ["direct", "relay"] {
                    if path == "relay" {
                        try await Self.relay(
                            sender: (sender, tls.sender),
                            receiver: (receiver, tls.receiver),
                            url: url,
                            changes: changes,
                            &result
                        )
                    } else {
                        try await Self.direct(
                            sender: (sender, tls.sender),
                            receiver: (direct, tls.direct),
                            changes: changes,
                            &result
                        )
                    }
                }
                try await Self.compact(receiver: (receiver, tls.receiver), url: url, hub: hub.store, &result)
                return result
            }
            measured.append(result)
            for directory in [hub.directory, sender.directory, receiver.directory, direct.directory] {
                scratch.remove(directory)
            }
        }
        return figures(measured)
    }

    private func figures(_ measured: [Run]) -> [Figure] {
        let median = { (values: [Double]) in Measure.median(values) }
        let rate = { (seconds: [Double]) in Double(changes) / Measure.median(seconds) }
        let ratios = measured.map { $0.directSeconds / $0.relaySeconds }
        let last = measured[measured.count - 1]
        let storage = measured.map { Double($0.storedAfterCompaction) / Double($0.stateJSONBytes) }
        let relayNote = String(
            format: "%d field changes of one school (consents included), sender → hub's mailbox → receiver, blobs of "
                + "%d (%d blobs); the sender's relay (seal, post) %.2f s, the receiver's (list, open, apply) %.2f s "
                + "(medians); direct: %d pull batches; hub and nodes in one process, durable stores, HTTPS with mutual "
                + "TLS on 127.0.0.1; relay and direct alternate order",
            changes,
            SyncProtocol.defaultBatchSize,
            last.blobs,
            median(measured.map(\.sendSeconds)),
            median(measured.map(\.receiveSeconds)),
            last.directBatches
        )
        let storageNote = String(
            format: "after the relay the hub held %@ for the school (the sender's changes blobs); the receiver's "
                + "next relay with a snapshot due (as after a purge) first posted back the %d changes it had received "
                + "(its log since its mailbox cursor), then its snapshot, which covers the sender's blobs but not its "
                + "own: %d blob(s) left, the snapshot %@ (%.2f× the JSON) and changes blobs %@; the school's state is "
                + "%@ as change-set JSON, %@ in the receiver's database and WAL (last run)",
            Self.megabytes(last.storedAfterRelay),
            last.echoed,
            last.blobsAfterCompaction,
            Self.megabytes(last.snapshotBytes),
            Double(last.snapshotBytes) / Double(last.stateJSONBytes),
            Self.megabytes(last.changesBytesLeft),
            Self.megabytes(Int64(last.stateJSONBytes)),
            Self.megabytes(Int64(last.databaseBytes))
        )
        return [
            Figure(
                id: "B9",
                title: "relay through the hub's sealed mailbox, \(changes) changes node → hub → node",
                value: rate(measured.map(\.relaySeconds)),
                unit: "changes/s",
                baseline: rate(measured.map(\.directSeconds)),
                baselineUnit: "changes/s",
                baselineTitle: "direct, sst sync --peer's path",
                ratio: median(ratios),
                target: "report",
                verdict: .info,
                note: relayNote
            ),
            Figure(
                id: "B9",
                title: "bytes the hub stores for the school after compaction (a snapshot)",
                value: median(measured.map { Double($0.storedAfterCompaction) / 1_048_576 }),
                unit: "MB",
                baseline: median(measured.map { Double($0.stateJSONBytes) / 1_048_576 }),
                baselineUnit: "MB",
                baselineTitle: "the school's state as change-set JSON",
                ratio: median(storage),
                target: "report",
                verdict: .info,
                note: storageNote
            ),
        ]
    }

    static func megabytes(_ bytes: Int64) -> String {
        String(format: "%.2f MB", Double(bytes) / 1_048_576)
    }

    /// The receiver joins the school's mailbox: its first relay records its certificate at the hub, the sender's
    /// next one wraps the school key for it, the receiver's following one takes it.
    private static func join(
        sender: (node: Node, tls: TLSFiles),
        receiver: (node: Node, tls: TLSFiles),
        url: String
    ) async throws {
        let waiting = try await relayOnce(receiver.node, receiver.tls, url: url)
        let wrapping = try await relayOnce(sender.node, sender.tls, url: url)
        let taking = try await relayOnce(receiver.node, receiver.tls, url: url)
        guard waiting.outcome == .waitingForKey, wrapping.envelopesPosted == 1, taking.installedKey != nil else {
            throw BenchError(
                "B9: the receiver did not join the school's mailbox: its first relay \(waiting.outcome.rawValue), "
                    + "the sender wrapped \(wrapping.envelopesPosted) envelope(s), the receiver's second relay "
                    + "\(taking.outcome.rawValue) \(taking.message ?? "")"
            )
        }
    }

    /// The timed relay: the sender's relay, then the receiver's.
    private static func relay(
        sender: (node: Node, tls: TLSFiles),
        receiver: (node: Node, tls: TLSFiles),
        url: String,
        changes: Int,
        _ result: inout Run
    ) async throws {
        let (posted, sendSeconds) = try await timedRelay(sender.node, sender.tls, url: url)
        let (applied, receiveSeconds) = try await timedRelay(receiver.node, receiver.tls, url: url)
        guard posted.outcome == .relayed, applied.outcome == .relayed, posted.changesPosted == changes,
            applied.changesApplied == changes
        else {
            throw BenchError(
                "B9: the relay did not deliver the \(changes) changes: the sender posted \(posted.changesPosted) "
                    + "(\(posted.outcome.rawValue) \(posted.message ?? "")), the receiver applied "
                    + "\(applied.changesApplied) (\(applied.outcome.rawValue) \(applied.message ?? ""))"
            )
        }
        result.sendSeconds = sendSeconds
        result.receiveSeconds = receiveSeconds
        result.relaySeconds = sendSeconds + receiveSeconds
        result.blobs = posted.blobsPosted
    }

    /// The timed direct sync: the direct receiver syncs with the sender, which serves its school's nodes.
    private static func direct(
        sender: (node: Node, tls: TLSFiles),
        receiver: (node: Node, tls: TLSFiles),
        changes: Int,
        _ result: inout Run
    ) async throws {
        let (report, seconds) = try await NodeServer.withListening(
            store: sender.node.store,
            tls: sender.tls,
            listen: ListenAddress(host: "127.0.0.1", port: 0),
            dataDirectory: sender.node.directory,
            logger: District.logger
        ) { port in
            try await NodeSynchronizer.withPeer(
                store: receiver.node.store,
                dataDirectory: receiver.node.directory,
                peer: NodeSynchronizer.PeerSettings(url: "https://127.0.0.1:\(port)", tls: receiver.tls),
                logger: District.logger
            ) { synchronizer in
                let start = Measure.now()
                let report = try await synchronizer.sync()
                return (report, Measure.now() - start)
            }
        }
        guard report.appliedHere == changes else {
            throw BenchError(
                "B9: the direct sync applied \(report.appliedHere) of the \(changes) changes "
                    + "(\(report.pulledChanges) pulled)"
            )
        }
        result.directSeconds = seconds
        result.directBatches = report.pullBatches
    }

    /// The receiver's next relay with a snapshot due (as after a purge), and the hub's bytes before and after.
    private static func compact(
        receiver: (node: Node, tls: TLSFiles),
        url: String,
        hub: Store,
        _ result: inout Run
    ) async throws {
        result.storedAfterRelay = try hub.mailboxState(school: school.name).storedBytes
        var cursors = try receiver.node.store.mailboxCursors()
        cursors.snapshotDue = true
        try receiver.node.store.setMailboxCursors(cursors)
        let report = try await relayOnce(receiver.node, receiver.tls, url: url)
        guard report.outcome == .relayed, report.snapshotPosted else {
            throw BenchError(
                "B9: the receiver's relay posted no snapshot: \(report.outcome.rawValue) \(report.message ?? "")"
            )
        }
        result.echoed = report.changesPosted
        result.storedAfterCompaction = try hub.mailboxState(school: school.name).storedBytes
        let entries = try hub.mailboxEntries(school: school.name, since: 0, limit: 10_000)
        result.blobsAfterCompaction = entries.count
        result.snapshotBytes = entries.filter { $0.header.kind == .snapshot }.map { Int64($0.bytes.count) }.reduce(0, +)
        result.changesBytesLeft = entries.filter { $0.header.kind == .changes }.map { Int64($0.bytes.count) }
            .reduce(0, +)
        result.stateJSONBytes = try ChangeSetCodec.encode(try receiver.node.store.exportChanges(since: 0)).count
        result.databaseBytes = [receiver.node.database, receiver.node.database + "-wal"].map { path in
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
        }.reduce(0, +)
    }

    private static func timedRelay(
        _ node: Node,
        _ tls: TLSFiles,
        url: String
    ) async throws -> (MailboxReport, Double) {
        try await withRelay(node, tls, url: url) { relay in
            let start = Measure.now()
            let report = await relay.run() ?? MailboxReport()
            return (report, Measure.now() - start)
        }
    }

    private static func relayOnce(_ node: Node, _ tls: TLSFiles, url: String) async throws -> MailboxReport {
        try await withRelay(node, tls, url: url) { await $0.run() ?? MailboxReport() }
    }

    /// A relay of `node` through its school's mailbox at the hub at `url`, on an HTTP client of its own.
    private static func withRelay<T>(
        _ node: Node,
        _ tls: TLSFiles,
        url: String,
        _ body: (MailboxRelay) async throws -> T
    ) async throws -> T {
        try await HTTPSyncTransport.withTransport(
            configuration: HTTPSyncTransport.Configuration(hubURL: url),
            tls: try tls.clientConfiguration(verifyHostname: true),
            logger: District.logger
        ) { transport in
            try await body(
                MailboxRelay(
                    store: node.store,
                    transport: transport,
                    settings: MailboxRelay.Settings(dataDirectory: node.directory, tls: tls),
                    logger: District.logger
                )
            )
        }
    }
}
