import Foundation
import SSTCore
import SSTPrivacy
import SSTStore
import SSTSync

/// B3: fan-in. N school nodes of ten schools, each with its own certificate from the district CA and M field
/// changes pending, push at once to one hub over HTTPS on 127.0.0.1 (mutual TLS). Each node does what a sync does
/// before its pulls: a handshake, then its changes exported for the hub (`exportChanges(for:since:limit:)`, one
/// batch of M) and pushed. Reported: the wall time from the moment every node has its HTTP client ready to the
/// last answer, the push latencies (p50, p99), the errors, and whether the hub applied all N × M changes.
///
/// With `pullAfter`, once every push is answered every node also pulls once, all at once (one request of up
/// to the hub's batch, from where the pushes began in the hub's log: the first push applied is read by every
/// pull, and its school's nodes receive it): the fan-out of many schools syncing at the same time.
///
/// Hub and nodes run in this process: the hub on a durable store, the nodes on stores in memory (their side
/// is not what is measured), each with its own HTTP client and connection. With `hubProcess` the hub is
/// `sst hub serve` in a process of its own instead, and its peak memory is reported too.
struct FanInFigure {
    let district: District
    let scratch: Scratch
    let runs: Int
    let nodes: Int
    let changes: Int
    /// Whether every node pulls once, all at once, after the pushes.
    var pullAfter = false
    /// The `sst` executable and the peak-memory reporter, to run the hub as its own process.
    var hubProcess: (sst: String, reporter: ChildProcess.Reporter)? = nil
    /// The figure's id in the report: B3, or B8 when ``DistrictFigure`` runs the fan-in on a district-sized hub.
    var id = "B3"
    /// The schools of the nodes, taken in turn.
    var schools = District.schools
    /// Makes the hub of each run (given the run's index); by default a new, empty one.
    var makeHub: ((Int) throws -> (store: Store, directory: String, database: String))? = nil
    /// Field values the hub had received from the school side before the run (a district-sized hub's history).
    var heldBefore = 0
    /// Whether the first run ends with the probe (a second node of a school joining through the relay).
    var probes = true
    /// Called with each run's hub data directory once its fan-in is over and checked, before it is removed.
    var afterRun: ((String) throws -> Void)? = nil

    static let target = "all applied, 0 errors"

    struct Member: Sendable {
        let identity: NodeIdentity
        let writer: NodeID
        let tls: TLSFiles
    }

    /// What one node's push did.
    struct Outcome: Sendable {
        var handshakeSeconds = 0.0
        var exportSeconds = 0.0
        var pushSeconds = 0.0
        var end = 0.0
        var received = 0
        var applied = 0
        var error: String?
        /// The pull after the pushes (`pullAfter`): its latency, the changes it brought, or its error.
        var pullSeconds: Double?
        var pulled = 0
        var pullError: String?
        var pullEnd = 0.0
    }

    /// What the hub did in one run.
    struct HubRun {
        var outcomes: [Outcome]
        var total: Double
        /// What the probe after the fan-in showed (``FanInFigure/runProbe(_:url:members:stores:)``).
        var probe: ProbeResult?
        /// Each node's last sequence number after the fan-in, before the probe (whose relays add to the logs of the
        /// probe's school's nodes).
        var lastSequences: [Int64] = []
        /// The hub process's peak memory in MB: during the pushes, and during the pulls that followed.
        var pushPeak: Double?
        var pullPeak: Double?
        /// The wall time from the moment every push was answered to the last pull's answer.
        var pullTotal: Double?
    }

    func measure() async throws -> [Figure] {
        let members = try (0..<nodes).map { index in
            let school = schools[index % schools.count]
            let number = index / schools.count + 1
            let identity = NodeIdentity(
                node: NodeID("\(school.slug)-fanin-\(number)")!,
                role: .school,
                school: school.school,
                stadsdel: school.stadsdel
            )
            return Member(
                identity: identity,
                writer: NodeID("\(school.slug)-staff-\(number)")!,
                tls: try district.issue(identity)
            )
        }
        var totals: [Double] = []
        var p50s: [Double] = []
        var p99s: [Double] = []
        var handshakes: [Double] = []
        var exports: [Double] = []
        var errors: [String] = []
        var probeResult: ProbeResult?
        var hubPeaks: [Double] = []
        var pulls = PullRuns()
        for run in 0..<runs {
            let hub = try makeHub?(run) ?? district.newHub()
            var stores: [Store] = []
            var expected = heldBefore
            // A district-sized hub's history of each node's school is taken to be on the node already.
            let hubSince = try hub.store.lastSequence()
            for (index, member) in members.enumerated() {
                let store = try Store.inMemory(identity: member.identity)
                let prepared = try CatchUp.prepare(
                    node: store,
                    identity: member.identity,
                    hub: hub.store,
                    workload: Workload(
                        consentedSeed: 3_000 + UInt64(index),
                        startMilliseconds: Workload.defaultStart(),
                        school: member.identity.school!,
                        stadsdel: member.identity.stadsdel!,
                        writer: member.writer
                    ),
                    changes: changes,
                    hubSince: hubSince
                )
                expected += prepared.pending + prepared.consentsAtHub
                stores.append(store)
            }
            let probe = run == 0 && !pullAfter && probes ? try makeProbe(members) : nil
            let hubRun = try await fanIn(hub: hub, members: members, stores: stores, probe: probe)
            let (outcomes, total) = (hubRun.outcomes, hubRun.total)
            if let probe = hubRun.probe { probeResult = probe }
            if let hubPeak = hubRun.pushPeak { hubPeaks.append(hubPeak) }
            pulls.add(hubRun)
            let failed = outcomes.compactMap(\.error)
            errors += failed
            let applied = outcomes.map(\.applied).reduce(0, +)
            var behind: [String] = []
            for (member, last) in zip(members, hubRun.lastSequences) {
                let cursor = try hub.store.cursor(for: member.identity.node)
                if cursor != last { behind.append(member.identity.node.rawValue) }
            }
            let held = try HubCount.schoolFields(database: hub.database)
            if failed.isEmpty && (applied != nodes * changes || !behind.isEmpty || held != expected) {
                throw BenchError(
                    "\(id): no push failed, but the hub applied \(applied) of \(nodes * changes) changes and holds \(held) "
                        + "of \(expected) fields; cursors behind for \(behind.count) nodes"
                        + (behind.isEmpty ? "" : " (\(behind.prefix(3).joined(separator: ", "))…)")
                )
            }
            let succeeded = outcomes.filter { $0.error == nil }
            let latencies = succeeded.map(\.pushSeconds)
            if !succeeded.isEmpty {
                handshakes.append(Measure.median(succeeded.map(\.handshakeSeconds)))
                exports.append(Measure.median(succeeded.map(\.exportSeconds)))
            }
            totals.append(total)
            if !latencies.isEmpty {
                p50s.append(Self.percentile(latencies, 0.50))
                p99s.append(Self.percentile(latencies, 0.99))
            }
            try afterRun?(hub.directory)
            scratch.remove(hub.directory)
        }
        let total = Measure.median(totals)
        let ok = errors.isEmpty
        if !ok {
            FileHandle.standardError.write(Data("sst-bench: \(id): \(errors.count) pushes failed: \(errors[0])\n".utf8))
        }
        var note = String(
            format: "%d nodes of %d schools, %@ (nodes' stores in memory); %.0f changes/s into the hub; errors: %d",
            nodes,
            Set(members.compactMap(\.identity.school)).count,
            hubProcess == nil ? "hub and nodes in one process" : "the hub as sst hub serve, the nodes in this process",
            Double(nodes * changes) / total,
            errors.count
        )
        if let first = errors.first { note += " (first: \(first))" }
        if !handshakes.isEmpty {
            note += String(
                format: "; per node (medians): handshake %.2f s, export %.3f s before its push",
                Measure.median(handshakes),
                Measure.median(exports)
            )
        }
        if let probeResult { note += "; \(probeResult.text)" }
        let latency = { (values: [Double]) in values.isEmpty ? nil : Measure.median(values) * 1000 }
        var hubMemory: [Figure] = []
        if let hubProcess {
            hubMemory.append(
                Figure(
                    id: id,
                    title: "fan-in: peak RSS of the hub (sst hub serve, its own process)",
                    value: hubPeaks.isEmpty ? nil : Measure.median(hubPeaks),
                    unit: "MB",
                    baselineTitle: "—",
                    target: "report (B4's limit: 256 MB)",
                    verdict: .info,
                    note: (pullAfter
                        ? "peak RSS of sst hub serve (VmHWM, its start included) until every push was answered, "
                        : "peak RSS of sst hub serve as reported by \(hubProcess.reporter.name) (as in B4), its start "
                            + "included, ")
                        + "while \(nodes) pushes of \(changes) changes arrive at once"
                )
            )
        }
        if pullAfter {
            hubMemory += pullFigures(pulls)
        }
        if let probeResult {
            hubMemory.append(
                Figure(
                    id: id,
                    title: "after the fan-in, a second node of a school (new) joins through the relay and pulls",
                    value: probeResult.seconds,
                    unit: "s",
                    baselineTitle: "—",
                    target: "succeeds (issue 18)",
                    verdict: probeResult.succeeded ? .met : .missed,
                    note: "the time is its second sync's (key, sealed blobs, then the school's case work); the "
                        + "probe's steps are in the note of the fan-in's row"
                )
            )
        }
        return hubMemory + [
            Figure(
                id: id,
                title: "fan-in: \(nodes) nodes × \(changes) changes pushed at once, total wall time",
                value: total,
                unit: "s",
                baselineTitle: "—",
                target: Self.target,
                verdict: ok ? .met : .missed,
                note: note
            ),
            Figure(
                id: id,
                title: "fan-in push latency p50 (request sent → answer read)",
                value: latency(p50s),
                unit: "ms",
                baselineTitle: "—",
                target: "report",
                verdict: .info
            ),
            Figure(
                id: id,
                title: "fan-in push latency p99",
                value: latency(p99s),
                unit: "ms",
                baselineTitle: "—",
                target: "report",
                verdict: .info
            ),
        ]
    }

    /// Runs the hub (in this process, or as `sst hub serve`), lets every node push at once (and then, with
    /// `pullAfter`, pull at once), and returns each node's outcome, the wall times, with `probe` what one node's
    /// joining and pulling afterwards did, and the hub process's peak memory in MB.
    private func fanIn(
        hub: (store: Store, directory: String, database: String),
        members: [Member],
        stores: [Store],
        probe: Probe?
    ) async throws -> HubRun {
        let changes = self.changes
        let pullAfter = self.pullAfter
        guard let hubProcess else {
            return try await HubServer.withRunning(
                store: hub.store,
                configuration: HubServer.Configuration(
                    listen: ListenAddress(host: "127.0.0.1", port: 0),
                    tls: district.hubTLS
                ),
                logger: District.logger
            ) { port in
                try await Self.pushAll(
                    url: "https://127.0.0.1:\(port)",
                    hub: hub.store,
                    members,
                    stores,
                    changes: changes,
                    pullStart: pullAfter ? StartGate(expected: members.count) : nil,
                    probe: probe
                )
            }
        }
        let server = try HubProcess(
            sst: hubProcess.sst,
            directory: hub.directory,
            tls: district.hubTLS,
            logPath: scratch.root.appendingPathComponent("\(id.lowercased())-hub.log").path,
            reportPath: scratch.root.appendingPathComponent("\(id.lowercased())-hub-peak").path,
            reporter: hubProcess.reporter,
            figure: id
        )
        defer { server.stop() }
        let program = server.program
        let pullStart =
            pullAfter
            ? StartGate(expected: members.count) { program.flatMap(ChildProcess.peakResidentBytesThenReset) } : nil
        var run = try await Self.pushAll(
            url: "https://127.0.0.1:\(server.port)",
            hub: hub.store,
            members,
            stores,
            changes: changes,
            pullStart: pullStart,
            probe: probe
        )
        let megabytes = { (bytes: Int) in Double(bytes) / 1_048_576 }
        let lifetimePeak = server.stop().peakResidentBytes.map(megabytes)
        if let pullStart {
            run.pushPeak = await pullStart.openedWith.map(megabytes)
            run.pullPeak = server.highWaterBytes.map(megabytes)
        } else {
            run.pushPeak = lifetimePeak
        }
        return run
    }

    /// The nearest-rank percentile (`fraction` in 0…1).
    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        let sorted = values.sorted()
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }
}
