import Foundation
import SSTCore
import SSTSealing
import SSTStore
import SSTSync

/// B3's probe (run once, untimed, after the fan-in of the first run): a second node of a school — new and empty, a
/// kurator's laptop — joins the school the way an administrator sets one up (issue 18) and pulls the school's case
/// work from the hub.
///
/// Before issue 18 a node of a school that had not written the consents itself was refused at its pull after the
/// fan-in (`policyViolation`: the hub sent it case fields of pupils whose consents only the other nodes of its school
/// held) — the limitation "one node per school". Now the consents reach it through the school's sealed mailbox at
/// the hub:
/// 1. the school's first node in the fan-in made the school key (as `sst init --role school` does);
/// 2. the laptop syncs for the first time: the hub records its certificate as a member of the school's mailbox, it
///    has no key yet (`waitingForKey`); so do the school's other nodes of the fan-in, at their relay;
/// 3. the first node relays (what every `sst sync` runs after its boundary push and pull): it wraps the key for
///    every member without an envelope and posts its changes sealed; then each of the school's other nodes relays:
///    takes its envelope, posts its changes sealed (consents included) and applies the others';
/// 4. the laptop syncs again: it takes its envelope, applies every sealed blob and pulls the school's case work.
extension FanInFigure {
    /// The laptop, and the data directory (school key file) of each node of its school in the fan-in.
    struct Probe: Sendable {
        let laptop: Member
        let directory: String
        let database: String
        /// Beside each member of the fan-in: the data directory that holds its school key file, for the nodes of
        /// the laptop's school; nil for the other schools' nodes.
        let keyDirectories: [String?]
    }

    /// What the probe showed.
    struct ProbeResult: Sendable {
        var text: String
        var succeeded: Bool
        /// The laptop's second sync (the one that takes the key and pulls the case work), in seconds.
        var seconds: Double?
    }

    /// Makes the laptop of the first member's school (its certificate from the district CA) and the key files.
    func makeProbe(_ members: [Member]) throws -> Probe {
        guard let first = members.first, let school = first.identity.school else {
            throw BenchError("B3: the probe needs a school node in the fan-in")
        }
        let slug = first.identity.node.rawValue.split(separator: "-").first.map(String.init) ?? "school"
        let identity = NodeIdentity(
            node: NodeID("\(slug)-laptop")!,
            role: .school,
            school: school,
            stadsdel: first.identity.stadsdel
        )
        let paths = try scratch.dataDirectory("b3-probe")
        var keyDirectories: [String?] = []
        for member in members {
            guard member.identity.school == school else {
                keyDirectories.append(nil)
                continue
            }
            keyDirectories.append(try scratch.dataDirectory("b3-\(member.identity.node)").directory)
        }
        // The school's first node made the school key, as `sst init --role school` does.
        try SchoolKeyFile.save(
            SchoolKey.generate(school: school, epoch: 1, now: UInt64(Date().timeIntervalSince1970 * 1000)),
            directory: keyDirectories[0]!
        )
        return Probe(
            laptop: Member(identity: identity, writer: identity.node, tls: try district.issue(identity)),
            directory: paths.directory,
            database: paths.database,
            keyDirectories: keyDirectories
        )
    }

    /// Runs the probe against the hub at `url`, after the fan-in of `members` (whose stores are `stores`).
    static func runProbe(_ probe: Probe, url: String, members: [Member], stores: [Store]) async -> ProbeResult {
        do {
            return try await probeSteps(probe, url: url, members: members, stores: stores)
        } catch {
            return ProbeResult(text: "the probe FAILED to run: \(error)", succeeded: false)
        }
    }

    private static func probeSteps(
        _ probe: Probe,
        url: String,
        members: [Member],
        stores: [Store]
    ) async throws -> ProbeResult {
        let laptop = probe.laptop
        let school = laptop.identity.school ?? "?"
        let store = try Store.create(at: probe.database, identity: laptop.identity)
        let schoolNodes = zip(zip(members, stores), probe.keyDirectories).compactMap { pair, directory in
            directory.map { (member: pair.0, store: pair.1, directory: $0) }
        }
        let sync = { () async throws -> Result<SyncReport, SyncFailure> in
            try await NodeSynchronizer.withHTTP(
                store: store,
                dataDirectory: probe.directory,
                settings: SyncSettings(hubURL: url, tls: laptop.tls),
                logger: District.logger
            ) { await $0.syncResult() }
        }
        // 2. The laptop's first sync, and the first relay of the school's other nodes: members without a key.
        let first = try await sync()
        var waiting: [MailboxReport] = []
        for node in schoolNodes.dropFirst() {
            waiting.append(try await relay(node.member, node.store, directory: node.directory, url: url))
        }
        // 3. The key's holder wraps the key for them and posts its changes; then each of the others relays.
        var relays: [MailboxReport] = []
        for node in schoolNodes {
            relays.append(try await relay(node.member, node.store, directory: node.directory, url: url))
        }
        // 4. The laptop's second sync.
        let start = Measure.now()
        let second = try await sync()
        let seconds = Measure.now() - start

        let firstText =
            switch first {
            case .success(let report): "succeeded (mailbox: \(report.mailbox?.outcome.rawValue ?? "none"))"
            case .failure(let failure): "was refused in its pull (\(failure.message.prefix(160))…)"
            }
        let holder = schoolNodes[0].member.identity.node
        let wrapped = relays.first?.envelopesPosted ?? 0
        let posted = relays.map(\.changesPosted).reduce(0, +)
        let failedRelays = (waiting + relays).filter { $0.outcome == .failed }
        let stillWaiting = relays.filter { $0.outcome == .waitingForKey }
        var text = String(
            format: "afterwards %@, a second node of %@ (new, empty), joined through the relay: its first sync %@; "
                + "%@, which made the school key, wrapped it for %d node(s) at its next relay, and the school's %d "
                + "node(s) of the fan-in posted %d changes sealed",
            laptop.identity.node.rawValue,
            school,
            firstText,
            holder.rawValue,
            wrapped,
            schoolNodes.count,
            posted
        )
        if let failed = failedRelays.first {
            text += " (\(failedRelays.count) relay(s) FAILED: \(failed.message ?? "?"))"
        }
        if !stillWaiting.isEmpty { text += " (\(stillWaiting.count) node(s) still waiting for the key)" }
        switch second {
        case .success(let report):
            let mailbox = report.mailbox
            let tookKey = mailbox?.installedKey != nil
            text += String(
                format: "; its second sync (%.2f s) %@, applied %d sealed blob(s) (%d changes: the school's "
                    + "records, consents included) and pulled %d changes of the school's case work from the hub in %d "
                    + "batch(es)",
                seconds,
                tookKey ? "took the school key" : "did NOT take the school key",
                mailbox?.blobsApplied ?? 0,
                mailbox?.changesApplied ?? 0,
                report.pulledChanges,
                report.pullBatches
            )
            let ok = tookKey && mailbox?.outcome == .relayed && failedRelays.isEmpty && report.pulledChanges > 0
            return ProbeResult(text: text, succeeded: ok, seconds: seconds)
        case .failure(let failure):
            text += "; its second sync FAILED: \(failure.message)"
            if let mailbox = try? store.mailboxCursors() {
                text += " (mailbox pulled up to \(mailbox.pulledUpTo))"
            }
            return ProbeResult(text: text, succeeded: false, seconds: seconds)
        }
    }

    /// One relay through the school's mailbox, what every `sst sync` of `member` runs after its boundary sync.
    private static func relay(
        _ member: Member,
        _ store: Store,
        directory: String,
        url: String
    ) async throws -> MailboxReport {
        try await HTTPSyncTransport.withTransport(
            configuration: HTTPSyncTransport.Configuration(hubURL: url),
            tls: try member.tls.clientConfiguration(verifyHostname: true),
            logger: District.logger
        ) { transport in
            await MailboxRelay(
                store: store,
                transport: transport,
                settings: MailboxRelay.Settings(dataDirectory: directory, tls: member.tls),
                logger: District.logger
            ).run() ?? MailboxReport()
        }
    }
}
