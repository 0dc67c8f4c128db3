import Foundation
import SSTSync

/// B3's fan-out (`pullAfter`): the pulls of every node after the fan-in, gathered over the runs, and their rows.
extension FanInFigure {
    /// The pulls after the pushes (`pullAfter`), gathered over the runs.
    struct PullRuns {
        var peaks: [Double] = []
        var totals: [Double] = []
        var p50s: [Double] = []
        var p99s: [Double] = []
        var pulled: [Int] = []
        var errors: [String] = []

        mutating func add(_ run: HubRun) {
            if let peak = run.pullPeak { peaks.append(peak) }
            guard let total = run.pullTotal else { return }
            totals.append(total)
            let latencies = run.outcomes.compactMap(\.pullSeconds)
            if !latencies.isEmpty {
                p50s.append(FanInFigure.percentile(latencies, 0.50))
                p99s.append(FanInFigure.percentile(latencies, 0.99))
            }
            pulled.append(run.outcomes.map(\.pulled).reduce(0, +))
            errors += run.outcomes.compactMap(\.pullError)
        }
    }

    /// The rows of the pulls after the pushes (`pullAfter`).
    func pullFigures(_ pulls: PullRuns) -> [Figure] {
        var figures: [Figure] = []
        if hubProcess != nil {
            figures.append(
                Figure(
                    id: "B3",
                    title: "fan-out: peak RSS of the hub (sst hub serve) while \(nodes) nodes pull at once",
                    value: pulls.peaks.isEmpty ? nil : Measure.median(pulls.peaks),
                    unit: "MB",
                    baselineTitle: "—",
                    target: "report (B4's limit: 256 MB)",
                    verdict: .info,
                    note: "VmHWM from the moment every push was answered (reset then with /proc/PID/clear_refs) to the "
                        + "last pull's answer"
                )
            )
        }
        var note = String(
            format: "each node pulls once from where the pushes began in the hub's log (up to %d fields of it); %d "
                + "changes pulled in all (median of runs); errors: %d",
            SyncProtocol.defaultBatchSize,
            pulls.pulled.isEmpty ? 0 : pulls.pulled.sorted()[pulls.pulled.count / 2],
            pulls.errors.count
        )
        if let first = pulls.errors.first { note += " (first: \(first))" }
        if !pulls.p50s.isEmpty {
            note += String(
                format: "; pull latency p50 %.0f ms, p99 %.0f ms",
                Measure.median(pulls.p50s) * 1000,
                Measure.median(pulls.p99s) * 1000
            )
        }
        figures.append(
            Figure(
                id: "B3",
                title: "fan-out: \(nodes) nodes pull at once after the fan-in, total wall time",
                value: pulls.totals.isEmpty ? nil : Measure.median(pulls.totals),
                unit: "s",
                baselineTitle: "—",
                target: "report",
                verdict: pulls.errors.isEmpty ? .info : .missed,
                note: note
            )
        )
        return figures
    }
}
