import Foundation
import SSTCore
import SSTStore
import SSTSync

/// B2: a school node's catch-up with the hub over HTTPS on 127.0.0.1 (mutual TLS, certificates of a district CA
/// made for the run): N field changes pending on the node, pushed by ``NodeSynchronizer`` in batches (handshake,
/// then pushes until the hub's cursor reaches the node's log), against plain SQLite in the same run on the same
/// changes: the records' values upserted one statement per record, no replication metadata (``PlainBaseline``).
///
/// Hub and node run in this process (one `HubServer`, one `NodeSynchronizer` with its HTTP client), each on its
/// own durable store. The changes are pupils' data under an active consent, which the hub already holds (see
/// ``CatchUp/prepare(node:identity:hub:workload:changes:consentsPending:chunk:)``); the figure fails unless the
/// hub holds every one of them at the end.
struct CatchUpFigure {
    let district: District
    let scratch: Scratch
    let runs: Int
    let changes: Int
    let batch: Int
    let consentsPending: Bool

    static let node = NodeIdentity(
        node: NodeID("ekbacken-2")!,
        role: .school,
        school: "Ekbackens skola",
        stadsdel: "Södermalm"
    )
    static let target = "≥ 0.25 of plain SQLite"

    func measure() async throws -> [Figure] {
        let tls = try district.issue(Self.node)
        var catchUpTimes: [Double] = []
        var sessionTimes: [Double] = []
        var baselineTimes: [Double] = []
        var ratios: [Double] = []
        var lastSession: Session?
        for run in 0..<runs {
            let (hub, node, workload, prepared) = try district.newCatchUp(
                node: Self.node,
                seed: 2,
                changes: changes,
                consentsPending: consentsPending
            )
            var baselineTime = 0.0
            var session: Session?
            // Alternate the order, so that neither side always runs on a warmer machine.
            for side in run % 2 == 0 ? [0, 1] : [1, 0] {
                if side == 0 {
                    baselineTime = try Self.applyBaseline(
                        workload,
                        changes: changes,
                        consentsPending: consentsPending,
                        scratch: scratch
                    )
                } else {
                    session = try await catchUp(hub: hub.store, node: node, tls: tls)
                }
            }
            guard let session else { throw BenchError("B2: the catch-up did not run") }
            try Self.verify(hub: hub, node: node.store, identity: Self.node, prepared: prepared, figure: "B2")
            catchUpTimes.append(session.pushSeconds)
            sessionTimes.append(session.totalSeconds)
            baselineTimes.append(baselineTime)
            ratios.append(baselineTime / session.pushSeconds)
            lastSession = session
            scratch.remove(hub.directory)
            scratch.remove(node.directory)
        }
        let perSecond = { (times: [Double]) in Double(changes) / Measure.median(times) }
        let ratio = Measure.median(ratios)
        var note = String(
            format: "hub and node in one process (HubServer, NodeSynchronizer over HTTPS, mutual TLS, 127.0.0.1), "
                + "batches of %d; the whole session with the pull that follows took %.2f s (median)",
            batch,
            Measure.median(sessionTimes)
        )
        if let report = lastSession?.report {
            note +=
                "; last run: \(report.pushedChanges) changes pushed in \(report.pushBatches) batches, "
                + "\(report.pulledChanges) pulled back in \(report.pullBatches)"
        }
        if consentsPending { note += "; the pupils' consents travel in the catch-up (--consents-pending)" }
        return [
            Figure(
                id: "B2",
                title: "catch-up over HTTPS loopback, \(changes) field changes, node → hub",
                value: perSecond(catchUpTimes),
                unit: "changes/s",
                baseline: perSecond(baselineTimes),
                baselineUnit: "changes/s",
                baselineTitle: CatchUpFigure.baselineTitle,
                ratio: ratio,
                target: Self.target,
                verdict: ratio >= 0.25 ? .met : .missed,
                note: note
            )
        ]
    }

    /// One timed catch-up: the start, the end of the last push (the first pull's start), the end.
    struct Session: Sendable {
        let report: SyncReport
        let pushSeconds: Double
        let totalSeconds: Double
    }

    /// Runs the hub on port 0 and one sync of the node against it; times the sync from its handshake on.
    private func catchUp(
        hub: Store,
        node: (store: Store, directory: String, database: String),
        tls: TLSFiles
    ) async throws -> Session {
        let batch = self.batch
        return try await HubServer.withRunning(
            store: hub,
            configuration: HubServer.Configuration(
                listen: ListenAddress(host: "127.0.0.1", port: 0),
                tls: district.hubTLS
            ),
            logger: District.logger
        ) { port in
            try await NodeSynchronizer.withHTTP(
                store: node.store,
                dataDirectory: node.directory,
                settings: SyncSettings(hubURL: "https://127.0.0.1:\(port)", tls: tls, batchSize: batch),
                logger: District.logger
            ) { synchronizer in
                let pullStarted = Mark()
                let start = Measure.now()
                let report = try await synchronizer.sync(progress: { progress in
                    if progress.phase == .pull { pullStarted.set(Measure.now()) }
                })
                let end = Measure.now()
                return Session(
                    report: report,
                    pushSeconds: (pullStarted.value ?? end) - start,
                    totalSeconds: end - start
                )
            }
        }
    }

    static let baselineTitle = "plain SQLite: the same records upserted, one statement per record"

    /// The floor on the same changes: their records' values upserted into plain tables, one statement per
    /// record, in one durable transaction (``PlainBaseline``).
    static func applyBaseline(
        _ workload: Workload,
        changes: Int,
        consentsPending: Bool,
        scratch: Scratch
    ) throws -> Double {
        var workload = workload
        workload.inlineConsents = consentsPending
        let data = consentsPending ? workload.newChanges(changes) : workload.consentedChanges(changes).data
        let path = try scratch.newBaselineDatabase("b2-plain")
        defer { scratch.remove(URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        let plain = try PlainBaseline(path: path, schema: Schema.sst)
        let rows = PlainBaseline.rows(data)
        return try Measure.seconds { try plain.upsert(rows) }
    }

    /// Fails the figure unless the hub holds every field the node had for it, and its cursor reached the node's
    /// log.
    static func verify(
        hub: (store: Store, directory: String, database: String),
        node: Store,
        identity: NodeIdentity,
        prepared: CatchUp.Prepared,
        figure: String
    ) throws {
        let cursor = try hub.store.cursor(for: identity.node)
        let last = try node.lastSequence()
        let held = try HubCount.schoolFields(database: hub.database)
        let expected = prepared.pending + prepared.consentsAtHub
        guard cursor == last, held == expected else {
            throw BenchError(
                "\(figure): the hub holds \(held) of the \(expected) fields \(identity.node) had for it (its cursor "
                    + "\(cursor), the node's log \(last)): the catch-up did not deliver everything"
            )
        }
    }
}

/// A time set once from a `@Sendable` callback (the first call wins).
final class Mark: @unchecked Sendable {
    private let lock = NSLock()
    private var time: Double?

    func set(_ now: Double) {
        lock.lock()
        defer { lock.unlock() }
        if time == nil { time = now }
    }

    var value: Double? {
        lock.lock()
        defer { lock.unlock() }
        return time
    }
}
