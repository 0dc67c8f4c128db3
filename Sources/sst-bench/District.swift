import Foundation
import GRDB
import Logging
import SSTCore
import SSTPKI
import SSTStore
import SSTSync

/// The district of the sync figures (B2–B4), in the scratch directory: a CA made with SSTPKI (as
/// `sst pki init` makes it), the hub's certificate and school nodes' certificates issued by it, and the hub
/// and school stores (as `sst init` makes them). Everything talks HTTPS with mutual TLS on 127.0.0.1.
struct District {
    static let hub = NodeIdentity(node: NodeID("hub-stockholm")!, role: .hub)
    static let hubPeer = PeerIdentity(node: hub.node, role: .hub)

    /// The schools of the fan-in (B3), in four stadsdelar.
    static let schools: [(school: String, stadsdel: String, slug: String)] = [
        ("Ekbackens skola", "Södermalm", "ekbacken"), ("Rosendalsskolan", "Södermalm", "rosendal"),
        ("Vasaskolan", "Kungsholmen", "vasa"), ("Fridhemsskolan", "Kungsholmen", "fridhem"),
        ("Björkhagens skola", "Skarpnäck", "bjorkhagen"), ("Årstaskolan", "Enskede-Årsta-Vantör", "arsta"),
        ("Hägerstensåsens skola", "Hägersten-Älvsjö", "hagerstensasen"),
        ("Solbergaskolan", "Hägersten-Älvsjö", "solberga"),
        ("Östermalmsskolan", "Östermalm", "ostermalm"), ("Engelbrektsskolan", "Östermalm", "engelbrekt"),
    ]

    /// Logs nothing: the figures are the output (and `--json` owns standard output).
    static let logger = Logger(label: "sst-bench") { _ in SwiftLogNoOpLogHandler() }

    let directory: String
    let ca: DistrictCA
    let hubTLS: TLSFiles
    private let scratch: Scratch

    init(scratch: Scratch) throws {
        self.scratch = scratch
        directory = try scratch.dataDirectory("district").directory
        ca = try DistrictCA.create(in: "\(directory)/ca")
        hubTLS = try Self.issue(ca, Self.hub, into: "\(directory)/certificates/\(Self.hub.node)")
    }

    /// A certificate for `identity` issued by the district CA (`sst pki issue`), and its files.
    func issue(_ identity: NodeIdentity) throws -> TLSFiles {
        try Self.issue(ca, identity, into: "\(directory)/certificates/\(identity.node)")
    }

    private static func issue(_ ca: DistrictCA, _ identity: NodeIdentity, into folder: String) throws -> TLSFiles {
        try ca.issue(
            for: CertificateIdentity(
                node: identity.node,
                role: identity.role.rawValue,
                school: identity.school,
                stadsdel: identity.stadsdel
            ),
            into: folder
        )
        return TLSFiles(
            certificate: "\(folder)/\(NodeCertificate.certificateFileName)",
            key: "\(folder)/\(NodeCertificate.keyFileName)",
            ca: "\(folder)/\(DistrictCA.certificateFileName)"
        )
    }

    /// A new, empty durable hub store (`sst init --role hub`).
    func newHub() throws -> (store: Store, directory: String, database: String) {
        let paths = try scratch.dataDirectory("hub")
        return (try Store.create(at: paths.database, identity: Self.hub), paths.directory, paths.database)
    }

    /// A new, empty durable school node store (`sst init --role school`).
    func newSchoolNode(_ identity: NodeIdentity) throws -> (store: Store, directory: String, database: String) {
        let paths = try scratch.dataDirectory(identity.node.rawValue)
        return (try Store.create(at: paths.database, identity: identity), paths.directory, paths.database)
    }

    /// A new hub and a new school node `identity`, the node holding `changes` pending changes of consented
    /// pupils (``CatchUp/prepare(node:identity:hub:workload:changes:consentsPending:chunk:)``) from the workload of
    /// `seed`, which is returned too so that a baseline can generate the same changes.
    func newCatchUp(
        node identity: NodeIdentity,
        seed: UInt64,
        changes: Int,
        consentsPending: Bool
    ) throws -> (
        hub: (store: Store, directory: String, database: String),
        node: (store: Store, directory: String, database: String),
        workload: Workload,
        prepared: CatchUp.Prepared
    ) {
        let workload = Workload(
            consentedSeed: seed,
            startMilliseconds: Workload.defaultStart(),
            school: identity.school!,
            stadsdel: identity.stadsdel!,
            writer: Workload.origin
        )
        let hub = try newHub()
        let node = try newSchoolNode(identity)
        let prepared = try CatchUp.prepare(
            node: node.store,
            identity: identity,
            hub: hub.store,
            workload: workload,
            changes: changes,
            consentsPending: consentsPending
        )
        return (hub, node, workload, prepared)
    }

    static func peer(_ identity: NodeIdentity) -> PeerIdentity {
        PeerIdentity(node: identity.node, role: identity.role, school: identity.school, stadsdel: identity.stadsdel)
    }
}

/// Puts a catch-up on a school node: field changes of pupils whose guardians consented, pending for the hub.
enum CatchUp {
    /// What a node holds for the hub once prepared.
    struct Prepared {
        /// Field changes waiting for the hub: the pupils' data (and their consents with `consentsPending`).
        let pending: Int
        /// Consent fields the hub received before the catch-up.
        let consentsAtHub: Int
    }

    /// Gives `node` `changes` pending field changes of consented pupils, written by the workload's writer (a
    /// second node of the same school, applied as a same-side change set: the node's own sequence numbers).
    ///
    /// By default the pupils' consents were granted earlier and have already reached the hub: they are
    /// applied to the node first and sent to the hub in process (export for the hub, `apply(_:from:)` at the
    /// hub, and the hub's answer applied back, so both cursors are where a sync would leave them), untimed.
    /// The hub's answer starts after `hubSince`, the end of the hub's log the node is taken to have already (a
    /// district-sized hub's history of the node's school, B8). With `consentsPending`, each consent stays in the node's log just before its pupil's data and travels
    /// in the catch-up. The workload is generated in chunks (twice: once for the consents), so a 1M-change
    /// node is made without holding the million changes in memory.
    static func prepare(
        node: Store,
        identity: NodeIdentity,
        hub: Store,
        workload: Workload,
        changes: Int,
        consentsPending: Bool = false,
        hubSince: Int64 = 0,
        chunk: Int = 100_000
    ) throws -> Prepared {
        var workload = workload
        var upTo: Int64 = 0
        var consentsAtHub = 0
        if consentsPending {
            workload.inlineConsents = true
        } else {
            var first = workload
            var consents: [FieldChange] = []
            var generated = 0
            while generated < changes {
                let count = min(chunk, changes - generated)
                consents += first.consentedChanges(count).consents
                generated += count
            }
            upTo = try node.applyInChunks(consents, since: 0, origin: workload.writer)
            let sent = try node.exportChanges(for: District.hubPeer, since: 0)
            guard sent.changes.count == consents.count else {
                throw BenchError("the node let \(sent.changes.count) of \(consents.count) consent fields go to the hub")
            }
            try hub.apply(sent, from: District.peer(identity))
            try node.apply(try hub.exportChanges(for: District.peer(identity), since: hubSince), from: District.hubPeer)
            consentsAtHub = consents.count
        }
        var pending = 0
        while pending < changes {
            let batch =
                consentsPending
                ? workload.newChanges(min(chunk, changes - pending))
                : workload.consentedChanges(min(chunk, changes - pending)).data
            upTo = try node.applyInChunks(batch, since: upTo, origin: workload.writer)
            pending += batch.count
        }
        return Prepared(pending: pending, consentsAtHub: consentsAtHub)
    }
}

/// Counts in a hub's database, read on a connection of its own.
enum HubCount {
    /// The field values the hub received from the school side (stamps marked with the school side).
    static func schoolFields(database: String) throws -> Int {
        var configuration = GRDB.Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: database, configuration: configuration)
        return try queue.read { db in
            try Int.fetchOne(
                db,
                sql: "WITH \(StampLayout.all(.sst)) SELECT count(*) FROM sst_stamps WHERE source_side = 'school'"
            ) ?? 0
        }
    }
}
