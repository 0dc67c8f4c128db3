import Foundation
import SSTCore
import SSTStore

/// X2 (context for B2, no target): B2's catch-up without HTTP, in this process, step by step: the node's export
/// for the hub (`exportChanges(for:since:limit:)`, privacy filter and audit included), `ChangeSetCodec.encode`,
/// `ChangeSetCodec.decode` and the hub's `apply(_:from:)` (receiver checks, audit, homes, consent work), batch by
/// batch as the session sends them. What B2 spends beyond this is HTTP, TLS and the session.
struct PipelineFigure {
    let district: District
    let scratch: Scratch
    let runs: Int
    let changes: Int
    let batch: Int
    let consentsPending: Bool

    static let node = NodeIdentity(
        node: NodeID("ekbacken-5")!,
        role: .school,
        school: "Ekbackens skola",
        stadsdel: "Södermalm"
    )

    /// Seconds spent in each step of one catch-up.
    struct Steps {
        var export = 0.0
        var encode = 0.0
        var decode = 0.0
        var apply = 0.0
        var batches = 0

        var total: Double { export + encode + decode + apply }
    }

    func measure() throws -> [Figure] {
        var steps: [Steps] = []
        var baselineTimes: [Double] = []
        var ratios: [Double] = []
        for run in 0..<runs {
            let (hub, node, workload, prepared) = try district.newCatchUp(
                node: Self.node,
                seed: 2,
                changes: changes,
                consentsPending: consentsPending
            )
            var baselineTime = 0.0
            var measured = Steps()
            for side in run % 2 == 0 ? [0, 1] : [1, 0] {
                if side == 0 {
                    baselineTime = try CatchUpFigure.applyBaseline(
                        workload,
                        changes: changes,
                        consentsPending: consentsPending,
                        scratch: scratch
                    )
                } else {
                    measured = try catchUp(hub: hub.store, node: node.store)
                }
            }
            try CatchUpFigure.verify(hub: hub, node: node.store, identity: Self.node, prepared: prepared, figure: "X2")
            steps.append(measured)
            baselineTimes.append(baselineTime)
            ratios.append(baselineTime / measured.total)
            scratch.remove(hub.directory)
            scratch.remove(node.directory)
        }
        let median = { (value: (Steps) -> Double) in Measure.median(steps.map(value)) }
        let total = median(\.total)
        return [
            Figure(
                id: "X2",
                title: "B2's catch-up in process without HTTP: export, encode, decode, hub apply",
                value: Double(changes) / total,
                unit: "changes/s",
                baseline: Double(changes) / Measure.median(baselineTimes),
                baselineUnit: "changes/s",
                baselineTitle: CatchUpFigure.baselineTitle,
                ratio: Measure.median(ratios),
                target: "none (context for B2)",
                note: String(
                    format: "medians, in %d batches: node export for the hub %.2f s, encode %.2f s, decode %.2f s, "
                        + "hub apply(_:from:) %.2f s",
                    steps.last?.batches ?? 0,
                    median(\.export),
                    median(\.encode),
                    median(\.decode),
                    median(\.apply)
                )
            )
        ]
    }

    /// The batches a sync would push, each step timed.
    private func catchUp(hub: Store, node: Store) throws -> Steps {
        let peer = District.peer(Self.node)
        var steps = Steps()
        var since = try hub.cursor(for: Self.node.node)
        while since < (try node.lastSequence()) {
            var set = ChangeSet(origin: Self.node.node, side: .school, since: since, upTo: since, changes: [])
            steps.export += try Measure.seconds {
                set = try node.exportChanges(for: District.hubPeer, since: since, limit: batch)
            }
            var data = Data()
            steps.encode += try Measure.seconds { data = try ChangeSetCodec.encode(set) }
            var decoded = set
            steps.decode += try Measure.seconds { decoded = try ChangeSetCodec.decode(data) }
            var cursor = since
            steps.apply += try Measure.seconds { cursor = try hub.apply(decoded, from: peer).cursor }
            steps.batches += 1
            guard cursor > since else { throw BenchError("X2: the hub's cursor stayed at \(since)") }
            since = cursor
        }
        return steps
    }
}
