import Foundation
import SSTCore
import SSTStore
import SSTSync

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// B4: the peak resident set size of the hub and of the node during a catch-up of N field changes, each its own
/// process: the real `sst hub serve` on 127.0.0.1 and `sst sync` against it, over HTTPS with mutual TLS. The
/// baseline is the same catch-up of a tenth of the changes (memory that grows with the catch-up shows in the
/// ratio); the target is on the peak itself.
///
/// The peaks come from the same reporter as B7's (GNU `time -f %M`, or python3 `os.wait4`), which starts each
/// program; the hub's `VmHWM` from /proc, read just before it is stopped (SIGTERM, a graceful shutdown), is
/// given beside it. The stores are made in this process beforehand, as in B2, and the hub's is checked
/// afterwards: the figure fails unless it holds every change.
struct MemoryFigure {
    let district: District
    let scratch: Scratch
    let runs: Int
    let changes: Int
    let batch: Int
    let sst: String
    let consentsPending: Bool

    static let node = NodeIdentity(
        node: NodeID("ekbacken-4")!,
        role: .school,
        school: "Ekbackens skola",
        stadsdel: "Södermalm"
    )
    static let limitMegabytes = 256.0
    static let target = "≤ 256 MB"

    /// One catch-up between two processes.
    struct Outcome {
        let hubPeak: Double
        let nodePeak: Double
        let hubHighWater: Double?
        let seconds: Double
        /// What `sst sync --json` said it did: pushed, pulled, retries.
        let summary: String
    }

    func measure() throws -> [Figure] {
        let titles = (
            hub: "hub peak RSS (sst hub serve), catch-up of \(changes) changes",
            node: "node peak RSS (sst sync), catch-up of \(changes) changes"
        )
        func notMeasured(_ reason: String) -> [Figure] {
            [
                .notMeasured("B4", titles.hub, target: Self.target, because: reason),
                .notMeasured("B4", titles.node, target: Self.target, because: reason),
            ]
        }
        guard FileManager.default.isExecutableFile(atPath: sst) else {
            return notMeasured(
                "no sst binary at \(sst); build it (swift build -c release --product sst) or pass --sst PATH"
            )
        }
        guard let reporter = ChildProcess.Reporter.find() else {
            return notMeasured("neither /usr/bin/time nor python3 is there to report the peak memory")
        }
        let tls = try district.issue(Self.node)
        let small = max(1, changes / 10)
        var large: [Outcome] = []
        var baseline: [Outcome] = []
        for run in 0..<runs {
            for size in run % 2 == 0 ? [small, changes] : [changes, small] {
                let outcome = try catchUp(changes: size, tls: tls, reporter: reporter)
                if size == changes { large.append(outcome) } else { baseline.append(outcome) }
            }
        }
        func median(_ outcomes: [Outcome], _ value: (Outcome) -> Double) -> Double {
            Measure.median(outcomes.map(value))
        }
        let hub = median(large, \.hubPeak)
        let node = median(large, \.nodePeak)
        let seconds = median(large, \.seconds)
        let highWater = large.compactMap(\.hubHighWater)
        var common = String(
            format: "separate processes over HTTPS (mutual TLS, 127.0.0.1), batches of %d; peak RSS reported by %@; "
                + "sst sync took %.1f s (%.0f changes/s, process start included), %.1f s for %d",
            batch,
            reporter.name,
            seconds,
            Double(changes) / seconds,
            median(baseline, \.seconds),
            small
        )
        if let last = large.last { common += "; sst sync (last run): \(last.summary)" }
        if consentsPending { common += "; the pupils' consents travel in the catch-up (--consents-pending)" }
        let hubNote =
            common
            + (highWater.isEmpty
                ? "" : String(format: "; the hub's VmHWM before it stopped: %.1f MB", Measure.median(highWater)))
        return [
            Figure(
                id: "B4",
                title: titles.hub,
                value: hub,
                unit: "MB",
                baseline: median(baseline, \.hubPeak),
                baselineUnit: "MB",
                baselineTitle: "the same for \(small) changes",
                ratio: hub / median(baseline, \.hubPeak),
                target: Self.target,
                verdict: hub <= Self.limitMegabytes ? .met : .missed,
                note: hubNote
            ),
            Figure(
                id: "B4",
                title: titles.node,
                value: node,
                unit: "MB",
                baseline: median(baseline, \.nodePeak),
                baselineUnit: "MB",
                baselineTitle: "the same for \(small) changes",
                ratio: node / median(baseline, \.nodePeak),
                target: Self.target,
                verdict: node <= Self.limitMegabytes ? .met : .missed,
                note: common
            ),
        ]
    }

    /// Makes a hub and a node holding `changes` pending changes for it (in this process, then closed), runs the
    /// hub and one `sst sync` of the node, stops the hub, and checks that it holds everything.
    private func catchUp(changes: Int, tls: TLSFiles, reporter: ChildProcess.Reporter) throws -> Outcome {
        let (hub, node, prepared) = try prepare(changes: changes)
        defer {
            scratch.remove(hub.directory)
            scratch.remove(node.directory)
        }
        let files = (
            hubLog: scratch.root.appendingPathComponent("b4-hub.log").path,
            hubReport: scratch.root.appendingPathComponent("b4-hub-peak").path,
            syncOutput: scratch.root.appendingPathComponent("b4-sync.json").path,
            syncLog: scratch.root.appendingPathComponent("b4-sync.log").path,
            syncReport: scratch.root.appendingPathComponent("b4-sync-peak").path
        )
        let server = try HubProcess(
            sst: sst,
            directory: hub.directory,
            tls: district.hubTLS,
            logPath: files.hubLog,
            reportPath: files.hubReport,
            reporter: reporter,
            figure: "B4"
        )
        defer { server.stop() }
        let port = server.port
        let sync = try ChildProcess.startMeasured(
            sst,
            [
                "sync", "--data", node.directory, "--hub", "https://127.0.0.1:\(port)", "--cert", tls.certificate,
                "--key", tls.key, "--ca", tls.ca, "--batch-size", String(batch), "--json",
            ],
            outputPath: files.syncOutput,
            errorPath: files.syncLog,
            reporter: reporter,
            reportPath: files.syncReport
        ).finish()
        let hubResult = server.stop()
        let output = (try? String(contentsOfFile: files.syncOutput, encoding: .utf8)) ?? ""
        guard sync.succeeded else {
            let log = (try? String(contentsOfFile: files.syncLog, encoding: .utf8)) ?? ""
            throw BenchError(
                "B4: sst sync failed (wait status \(sync.status)): \(output.prefix(600)) \(log.suffix(600))"
            )
        }
        guard let hubPeak = hubResult.peakResidentBytes, let nodePeak = sync.peakResidentBytes else {
            throw BenchError("B4: \(reporter.name) reported no peak memory (hub wait status \(hubResult.status))")
        }
        let hubStore = try Store.open(at: hub.database)
        let nodeStore = try Store.open(at: node.database)
        try CatchUpFigure.verify(
            hub: (hubStore, hub.directory, hub.database),
            node: nodeStore,
            identity: Self.node,
            prepared: prepared,
            figure: "B4"
        )
        let megabytes = { (bytes: Int) in Double(bytes) / 1_048_576 }
        return Outcome(
            hubPeak: megabytes(hubPeak),
            nodePeak: megabytes(nodePeak),
            hubHighWater: server.highWaterBytes.map(megabytes),
            seconds: sync.seconds,
            summary: Self.summary(output)
        )
    }

    /// Makes B4's hub and node (the node holding `changes` pending changes) and returns the commands that run the
    /// catch-up between them, for a profiler; measures nothing.
    func prepareOnly() throws -> String {
        let tls = try district.issue(Self.node)
        let (hub, node, prepared) = try prepare(changes: changes)
        let hubTLS = district.hubTLS
        return """
            # \(prepared.pending) changes pending on \(Self.node.node) for the hub (\(prepared.consentsAtHub) consent fields \
            already there)
            \(sst) hub serve --data \(hub.directory) --listen 127.0.0.1:8443 --cert \(hubTLS.certificate) \
            --key \(hubTLS.key) --client-ca \(hubTLS.ca)
            \(sst) sync --data \(node.directory) --hub https://127.0.0.1:8443 --cert \(tls.certificate) --key \(tls.key) \
            --ca \(tls.ca) --batch-size \(batch) --json

            """
    }

    /// The hub's and the node's data directories, the node holding `changes` pending changes; the stores are
    /// closed when this returns.
    private func prepare(
        changes: Int
    ) throws -> (
        hub: (directory: String, database: String), node: (directory: String, database: String), CatchUp.Prepared
    ) {
        let (hub, node, _, prepared) = try district.newCatchUp(
            node: Self.node,
            seed: 4,
            changes: changes,
            consentsPending: consentsPending
        )
        return ((hub.directory, hub.database), (node.directory, node.database), prepared)
    }

    /// What `sst sync --json` says it did.
    private static func summary(_ output: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
            return "sst sync printed no JSON"
        }
        let number = { (key: String) in (object[key] as? NSNumber).map { "\($0.intValue)" } ?? "?" }
        return "pushed \(number("pushed")) in \(number("pushBatches")) batches, pulled \(number("pulled")) back in "
            + "\(number("pullBatches")), \(number("retries")) retries"
    }
}
