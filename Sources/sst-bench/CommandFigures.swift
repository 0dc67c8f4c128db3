import Foundation
import SSTCore
import SSTStore

/// B7: the real `sst` binary's `status` (wall time, process start included) and `dump` (peak resident
/// set size of the process) on a store of N rows with some conflicts, against the same on a smaller
/// store: status against a node just made by `sst init`, dump against a store of a tenth of the rows.
struct CommandFigures {
    let scratch: Scratch
    let runs: Int
    let rows: Int
    let sst: String

    /// Where the `sst` binary is expected: beside this benchmark's own executable.
    static func defaultBinary() -> String {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return executable.deletingLastPathComponent().appendingPathComponent("sst").path
    }

    static let statusTarget = "< 100 ms"
    static let dumpTarget = "≤ 1.2× (flat)"

    func measure() throws -> [Figure] {
        guard FileManager.default.isExecutableFile(atPath: sst) else {
            let reason =
                "no sst binary at \(sst); build it (swift build -c release --product sst) or pass --sst PATH"
            return [
                .notMeasured("B7", "sst status on a \(rows)-row store", target: Self.statusTarget, because: reason),
                .notMeasured("B7", "sst dump peak memory", target: Self.dumpTarget, because: reason),
            ]
        }
        let empty = try scratch.newStore("b7-empty").directory
        let small = try populated(rows: max(1, rows / 10), seed: 71)
        let large = try populated(rows: rows, seed: 72)
        // A status takes milliseconds: it runs 4 × runs times, in blocks alternating with the empty node's,
        // so that the load of a shared machine falls on both alike.
        var emptyStatus: [Double] = []
        var largeStatus: [Double] = []
        for _ in 0..<4 {
            emptyStatus += try repeated(["status", "--data", empty]).map(\.seconds)
            largeStatus += try repeated(["status", "--data", large]).map(\.seconds)
        }
        let statusMilliseconds = Measure.median(largeStatus) * 1000
        let statusFigure = Figure(
            id: "B7",
            title: "sst status on a \(rows)-row store (process start included)",
            value: statusMilliseconds,
            unit: "ms",
            baseline: Measure.median(emptyStatus) * 1000,
            baselineUnit: "ms",
            baselineTitle: "sst status on an empty node",
            ratio: Measure.median(largeStatus) / Measure.median(emptyStatus),
            target: Self.statusTarget,
            verdict: statusMilliseconds < 100 ? .met : .missed,
            note: "the target is on the time itself; the ratio shows how status grows with the store"
        )
        let dumpTitle = "sst dump peak memory on a \(rows)-row store"
        guard let reporter = ChildProcess.Reporter.find() else {
            let reason = "neither /usr/bin/time nor python3 is there to report the peak memory of sst dump"
            return [statusFigure, .notMeasured("B7", dumpTitle, target: Self.dumpTarget, because: reason)]
        }
        let smallDump = try repeated(["dump", "--data", small], reporter: reporter)
        let largeDump = try repeated(["dump", "--data", large], reporter: reporter)
        let megabytes = { (results: [ChildProcess.Result]) in
            Measure.median(results.map { Double($0.peakResidentBytes ?? 0) / 1_048_576 })
        }
        let dumpRatio = megabytes(largeDump) / megabytes(smallDump)
        let dumpSeconds = Measure.median(largeDump.map(\.seconds))
        let dumpFigure = Figure(
            id: "B7",
            title: dumpTitle,
            value: megabytes(largeDump),
            unit: "MB",
            baseline: megabytes(smallDump),
            baselineUnit: "MB",
            baselineTitle: "the same on \(max(1, rows / 10)) rows",
            ratio: dumpRatio,
            target: Self.dumpTarget,
            verdict: dumpRatio <= 1.2 ? .met : .missed,
            note: String(
                format: "peak RSS reported by %@; dump of %d rows took %.2f s (%.0f rows/s), %.2f s on %d rows",
                reporter.name,
                rows,
                dumpSeconds,
                Double(rows) / dumpSeconds,
                Measure.median(smallDump.map(\.seconds)),
                max(1, rows / 10)
            )
        )
        return [statusFigure, dumpFigure]
    }

    /// A node data directory whose store holds `rows` field rows, every tenth case concern in conflict.
    private func populated(rows: Int, seed: UInt64) throws -> String {
        let node = try scratch.newStore("b7-\(rows)")
        var workload = Workload(seed: seed, startMilliseconds: Workload.defaultStart())
        var upTo: Int64 = 0
        var held = 0
        while held < rows {
            let batch = workload.newChanges(min(100_000, rows - held))
            upTo = try node.store.applyInChunks(batch, since: upTo)
            held += batch.count
            let conflicts = workload.concurrentTextWrites(of: batch, every: 10)
            if !conflicts.isEmpty {
                let set = ChangeSet(origin: Workload.otherWriter, side: .school, since: 0, upTo: 0, changes: conflicts)
                try node.store.apply(set)
            }
        }
        return node.directory
    }

    /// Runs `sst arguments` once to warm up, then `runs` times; every run must succeed. With a reporter,
    /// the output goes to a file that must not be empty, and each run's peak memory is measured.
    private func repeated(_ arguments: [String], reporter: ChildProcess.Reporter? = nil) throws -> [ChildProcess.Result]
    {
        let outputPath = scratch.root.appendingPathComponent("b7-output").path
        let reportPath = scratch.root.appendingPathComponent("b7-peak").path
        var results: [ChildProcess.Result] = []
        for run in 0...runs {
            let result =
                if let reporter {
                    try ChildProcess.measured(
                        sst,
                        arguments,
                        outputPath: outputPath,
                        reporter: reporter,
                        reportPath: reportPath
                    )
                } else {
                    try ChildProcess.run(sst, arguments)
                }
            guard result.succeeded, reporter == nil || result.peakResidentBytes != nil else {
                throw BenchError("sst \(arguments.joined(separator: " ")) failed (wait status \(result.status))")
            }
            if run > 0 { results.append(result) }
        }
        if reporter != nil {
            let size = (try? FileManager.default.attributesOfItem(atPath: outputPath)[.size] as? Int) ?? 0
            guard size > 0 else { throw BenchError("sst \(arguments.joined(separator: " ")) printed nothing") }
        }
        return results
    }
}
