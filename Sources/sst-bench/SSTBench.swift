import ArgumentParser
import Foundation

/// `sst-bench`: the performance figures of issue 5, each as a ratio against a baseline measured in the
/// same run (the machines are shared and noisy), reported as medians of several runs.
@main
struct SSTBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sst-bench",
        abstract: "Measure SST Sync against baselines run in the same process, and print medians.",
        discussion: """
            Run it from a release build: swift run -c release sst-bench (B7 also needs the release `sst`: \
            swift build -c release --product sst). B5 runs Tools/bench-pycrdt.py with python3 (pip install \
            pycrdt). A row is one field value with its stamp. See BENCHMARKS.md.
            """
    )

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Runs of each figure; the report gives medians. (default: 5)")
    var runs: Int?

    @Flag(help: "Tiny sizes, for CI: checks that every figure runs, in seconds even in a debug build.")
    var tiny = false

    @Option(help: "Only these figures, comma-separated (B1,B5,B6,B7).")
    var only: String?

    @Option(help: "B1: field changes in the applied change set. (default: 100000)")
    var changes: Int?

    @Option(
        help: "B6: store sizes in rows, comma-separated; the first is the baseline. (default: 10000,100000,1000000)"
    )
    var growthRows: String?

    @Option(help: "B6: leave out store sizes above this many rows.")
    var maxRows: Int?

    @Option(help: "B6: field changes applied at each size. (default: 10000)")
    var growthChanges: Int?

    @Option(help: "B7: rows of the store sst status and sst dump run on. (default: 100000)")
    var commandRows: Int?

    @Option(help: "B5: field changes sent. (default: 100000)")
    var wireChanges: Int?

    @Option(help: "B5: field changes per pushed change set. (default: 500)")
    var wireBatch: Int?

    @Option(help: ArgumentHelp("B7: the sst executable. (default: beside sst-bench)", valueName: "path"))
    var sst: String?

    @Option(help: "B5: the Python interpreter that runs Tools/bench-pycrdt.py.")
    var python = "python3"

    @Option(help: ArgumentHelp("B5: the pycrdt script. (default: Tools/bench-pycrdt.py)", valueName: "path"))
    var pycrdtScript: String?

    @Option(
        help: ArgumentHelp("Where to make the benchmark's stores. (default: the temporary directory)", valueName: "dir")
    )
    var scratch: String?

    @Flag(help: "Keep the benchmark's stores afterwards.")
    var keep = false

    func validate() throws {
        for (name, value) in [
            ("--runs", runs), ("--changes", changes), ("--growth-changes", growthChanges),
            ("--command-rows", commandRows), ("--wire-changes", wireChanges), ("--wire-batch", wireBatch),
            ("--max-rows", maxRows),
        ]
        where value.map({ $0 < 1 }) ?? false {
            throw ValidationError("\(name) must be at least 1.")
        }
        if let growthRows, parsedGrowthRows(growthRows) == nil {
            throw ValidationError("--growth-rows takes positive numbers separated by commas, like 10000,100000.")
        }
    }

    func run() throws {
        let sizes = resolvedSizes()
        let runs = self.runs ?? 5
        let selected = Set((only ?? "B1,B5,B6,B7").uppercased().split(separator: ",").map(String.init))
        let scratch = try Scratch(under: self.scratch, keep: keep)
        var figures: [Figure] = []
        var settings = "baselines: raw SQLite C API on databases made by Store.create (same schema)"
        #if DEBUG
        settings += "; DEBUG BUILD: the figures mean nothing, build with -c release"
        #endif

        if selected.contains("B1") {
            progress("B1: applying \(sizes.applyChanges) changes, \(runs) runs")
            let apply = try ApplyFigures(scratch: scratch, runs: runs, changes: sizes.applyChanges).measure()
            figures += apply.figures
            settings += "; baseline connection: \(apply.settings)"
        }
        let needsSync = "not measured: needs sync (issue 4)"
        figures += [
            .notMeasured("B2", "catch-up over HTTPS loopback, 100k changes", target: "≥ 0.5 of B1", because: needsSync),
            .notMeasured("B3", "fan-in: 200 nodes × 500 changes", target: "all applied, 0 errors", because: needsSync),
            .notMeasured("B4", "peak RSS in a 1M-change catch-up", target: "≤ 256 MB", because: needsSync),
        ]
        if selected.contains("B5") {
            progress("B5: \(sizes.wireChanges) changes on the wire, and pycrdt")
            figures += try WireFigure(
                changes: sizes.wireChanges,
                batch: sizes.wireBatch,
                python: python,
                script: pycrdtScript ?? WireFigure.defaultScript()
            ).measure(scratch: scratch)
        }
        if selected.contains("B6") {
            progress(
                "B6: \(sizes.growthChanges) changes at \(sizes.growthRows.map(String.init).joined(separator: ", ")) rows"
            )
            figures += try GrowthFigure(
                scratch: scratch,
                runs: runs,
                sizes: sizes.growthRows,
                changes: sizes.growthChanges
            ).measure()
        }
        if selected.contains("B7") {
            progress("B7: sst status and sst dump on \(sizes.commandRows) rows")
            figures += try CommandFigures(
                scratch: scratch,
                runs: runs,
                rows: sizes.commandRows,
                sst: sst ?? CommandFigures.defaultBinary()
            ).measure()
        }
        let ordered = figures.enumerated().sorted { ($0.element.id, $0.offset) < ($1.element.id, $1.offset) }
        let report = Report(figures: ordered.map(\.element), runs: runs, sizes: sizes, settings: settings)
        print(json ? try report.json() : report.table(), terminator: "")
    }

    private func resolvedSizes() -> Sizes {
        var sizes = tiny ? Sizes.tiny : Sizes.standard
        if let changes { sizes.applyChanges = changes }
        if let growthRows, let parsed = parsedGrowthRows(growthRows) { sizes.growthRows = parsed }
        if let growthChanges { sizes.growthChanges = growthChanges }
        if let commandRows { sizes.commandRows = commandRows }
        if let wireChanges { sizes.wireChanges = wireChanges }
        if let wireBatch { sizes.wireBatch = wireBatch }
        return sizes.capped(maxRows: maxRows)
    }

    private func parsedGrowthRows(_ text: String) -> [Int]? {
        let sizes = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return sizes.compactMap { $0 }
    }

    private func progress(_ message: String) {
        FileHandle.standardError.write(Data("sst-bench: \(message)\n".utf8))
    }
}
