import ArgumentParser
import Foundation
import SSTSync

/// `sst-bench`: the performance figures of issue 5, each as a ratio against a baseline measured in the
/// same run (the machines are shared and noisy), reported as medians of several runs.
@main
struct SSTBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sst-bench",
        abstract: "Measure SST Sync against baselines run in the same process, and print medians.",
        discussion: """
            Run it from a release build: swift run -c release sst-bench (B4 and B7 also need the release `sst`: \
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

    @Option(help: "Only these figures, comma-separated (B1,B2,B3,B4,B5,B6,B7,B8,B9,B10,X2; B1 includes X1).")
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

    @Option(help: "B2: field changes pending on the node that catches up with the hub. (default: 100000)")
    var catchUpChanges: Int?

    @Option(help: "B2, B4, X2: field changes per pushed batch. (default: sst sync's, \(SyncProtocol.defaultBatchSize))")
    var syncBatch: Int?

    @Option(help: "B3: school nodes pushing at once. (default: 200)")
    var fanInNodes: Int?

    @Option(help: "B3: field changes each node pushes. (default: 500)")
    var fanInChanges: Int?

    @Flag(
        help: """
            B3: run the hub as sst hub serve, a process of its own (see --sst), and report its peak memory \
            during the fan-in.
            """
    )
    var fanInHubProcess = false

    @Flag(
        help: """
            B3: after the pushes, every node pulls once, all at once (one request of up to the hub's batch, from \
            where the pushes began in the hub's log), and the hub's peak memory during the pulls is reported too \
            (with --fan-in-hub-process).
            """
    )
    var fanInPull = false

    @Option(help: "B9: field changes relayed through the hub's sealed mailbox, and sent directly. (default: 100000)")
    var relayChanges: Int?

    @Option(
        help: """
            B10: field values the hub holds when its whole-store consent sweep runs; a tenth of the pupils' \
            consents have lapsed. (default: 10000000)
            """
    )
    var sweepValues: Int?

    @Option(help: "B8: schools of the district-sized hub, one node each in the fan-in. (default: 150)")
    var districtSchools: Int?

    @Option(help: "B8: pupils at each school, 100 field values each in the hub's history. (default: 2000)")
    var districtPupils: Int?

    @Option(help: "B8: field changes each school's node has pending after the week's outage. (default: 3000)")
    var districtWeekChanges: Int?

    @Option(help: "B8: runs (each but the last on a copy of the hub). (default: 1)")
    var districtRuns: Int?

    @Option(help: "B4: field changes of the catch-up whose peak memory is measured. (default: 1000000)")
    var memoryChanges: Int?

    @Option(help: "B4: runs of the catch-up (each also runs a tenth of it). (default: --runs, at most 3)")
    var memoryRuns: Int?

    @Flag(
        help: """
            B2–B4: send the pupils' consents in the catch-up, each just before its pupil's data, instead of \
            having them at the hub beforehand.
            """
    )
    var consentsPending = false

    @Option(help: ArgumentHelp("B4, B7: the sst executable. (default: beside sst-bench)", valueName: "path"))
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

    @Flag(
        help: """
            Only make B4's hub and node (with --memory-changes pending) under --scratch, keep them, and print \
            the sst commands that run the catch-up, for a profiler.
            """
    )
    var prepareOnly = false

    func validate() throws {
        for (name, value) in [
            ("--runs", runs), ("--changes", changes), ("--growth-changes", growthChanges),
            ("--command-rows", commandRows), ("--wire-changes", wireChanges), ("--wire-batch", wireBatch),
            ("--max-rows", maxRows), ("--catch-up-changes", catchUpChanges), ("--sync-batch", syncBatch),
            ("--fan-in-nodes", fanInNodes), ("--fan-in-changes", fanInChanges), ("--memory-changes", memoryChanges),
            ("--memory-runs", memoryRuns), ("--relay-changes", relayChanges), ("--sweep-values", sweepValues),
            ("--district-schools", districtSchools), ("--district-pupils", districtPupils),
            ("--district-week-changes", districtWeekChanges), ("--district-runs", districtRuns),
        ]
        where value.map({ $0 < 1 }) ?? false {
            throw ValidationError("\(name) must be at least 1.")
        }
        if let growthRows, parsedGrowthRows(growthRows) == nil {
            throw ValidationError("--growth-rows takes positive numbers separated by commas, like 10000,100000.")
        }
    }

    func run() async throws {
        let sizes = resolvedSizes()
        let runs = self.runs ?? 5
        let selected = Set(
            (only ?? "B1,B2,X2,B3,B4,B5,B6,B7,B8,B9,B10").uppercased().split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }
        )
        let scratch = try Scratch(under: self.scratch, keep: keep || prepareOnly)
        if prepareOnly {
            print(
                try MemoryFigure(
                    district: try District(scratch: scratch),
                    scratch: scratch,
                    runs: 1,
                    changes: sizes.memoryChanges,
                    batch: sizes.syncBatch,
                    sst: sst ?? CommandFigures.defaultBinary(),
                    consentsPending: consentsPending
                ).prepareOnly(),
                terminator: ""
            )
            return
        }
        var figures: [Figure] = []
        var runsOfFigures: [String: Int] = [:]
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
        let needsDistrict = !selected.isDisjoint(with: ["B2", "X2", "B3", "B4", "B8", "B9"])
        let district = try needsDistrict ? District(scratch: scratch) : nil
        if let district, selected.contains("B2") {
            progress("B2: catch-up of \(sizes.catchUpChanges) changes over HTTPS, \(runs) runs")
            figures += try await CatchUpFigure(
                district: district,
                scratch: scratch,
                runs: runs,
                changes: sizes.catchUpChanges,
                batch: sizes.syncBatch,
                consentsPending: consentsPending
            ).measure()
        }
        if let district, selected.contains("X2") {
            progress("X2: the same catch-up in process, without HTTP, \(runs) runs")
            figures += try PipelineFigure(
                district: district,
                scratch: scratch,
                runs: runs,
                changes: sizes.catchUpChanges,
                batch: sizes.syncBatch,
                consentsPending: consentsPending
            ).measure()
        }
        if let district, selected.contains("B3") {
            progress("B3: \(sizes.fanInNodes) nodes × \(sizes.fanInChanges) changes pushed at once, \(runs) runs")
            var fanIn = FanInFigure(
                district: district,
                scratch: scratch,
                runs: runs,
                nodes: sizes.fanInNodes,
                changes: sizes.fanInChanges,
                pullAfter: fanInPull
            )
            if fanInHubProcess {
                let sst = self.sst ?? CommandFigures.defaultBinary()
                guard FileManager.default.isExecutableFile(atPath: sst), let reporter = ChildProcess.Reporter.find()
                else {
                    throw ValidationError(
                        "--fan-in-hub-process needs the release sst at \(sst) (swift build -c release --product sst, "
                            + "or --sst PATH) and /usr/bin/time or python3 to report its memory."
                    )
                }
                fanIn.hubProcess = (sst, reporter)
            }
            figures += try await fanIn.measure()
        }
        if let district, selected.contains("B4") {
            let memoryRuns = self.memoryRuns ?? min(runs, 3)
            runsOfFigures["B4"] = memoryRuns
            progress(
                "B4: peak memory of sst hub serve and sst sync, \(sizes.memoryChanges) changes, \(memoryRuns) runs"
            )
            figures += try MemoryFigure(
                district: district,
                scratch: scratch,
                runs: memoryRuns,
                changes: sizes.memoryChanges,
                batch: sizes.syncBatch,
                sst: sst ?? CommandFigures.defaultBinary(),
                consentsPending: consentsPending
            ).measure()
        }
        if let district, selected.contains("B8") {
            let values = sizes.districtSchools * sizes.districtPupils * DistrictFigure.valuesPerPupil
            let runs = districtRuns ?? 1
            runsOfFigures["B8"] = runs
            progress(
                "B8: a hub of \(values) values, \(sizes.districtSchools) schools catching up at once, \(runs) runs"
            )
            let sst = self.sst ?? CommandFigures.defaultBinary()
            guard FileManager.default.isExecutableFile(atPath: sst), let reporter = ChildProcess.Reporter.find() else {
                throw ValidationError(
                    "B8 needs the release sst at \(sst) (swift build -c release --product sst, or --sst PATH) and "
                        + "/usr/bin/time or python3 to report the hub's memory."
                )
            }
            figures += try await DistrictFigure(
                district: district,
                scratch: scratch,
                runs: runs,
                schools: sizes.districtSchools,
                pupils: sizes.districtPupils,
                weekChanges: sizes.districtWeekChanges,
                sst: sst,
                reporter: reporter
            ).measure()
        }
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
        if let district, selected.contains("B9") {
            progress("B9: \(sizes.relayChanges) changes through the hub's sealed mailbox and directly, \(runs) runs")
            figures += try await RelayFigure(
                district: district,
                scratch: scratch,
                runs: runs,
                changes: sizes.relayChanges
            ).measure()
        }
        if selected.contains("B10") {
            progress(
                "B10: pushes during the hub's whole-store consent sweep of \(sizes.sweepValues) values, \(runs) runs"
            )
            figures += try SweepFigure(
                scratch: scratch,
                runs: runs,
                values: sizes.sweepValues,
                baselinePushes: sizes.sweepBaselinePushes
            ).measure()
        }
        let ordered = figures.enumerated().sorted {
            Self.order($0.element.id) < Self.order($1.element.id)
                || (Self.order($0.element.id) == Self.order($1.element.id) && $0.offset < $1.offset)
        }
        let report = Report(
            figures: ordered.map(\.element),
            runs: runs,
            runsOfFigures: runsOfFigures,
            sizes: sizes,
            settings: settings
        )
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
        if let catchUpChanges { sizes.catchUpChanges = catchUpChanges }
        if let syncBatch { sizes.syncBatch = syncBatch }
        if let fanInNodes { sizes.fanInNodes = fanInNodes }
        if let fanInChanges { sizes.fanInChanges = fanInChanges }
        if let memoryChanges { sizes.memoryChanges = memoryChanges }
        if let relayChanges { sizes.relayChanges = relayChanges }
        if let sweepValues { sizes.sweepValues = sweepValues }
        if let districtSchools { sizes.districtSchools = districtSchools }
        if let districtPupils { sizes.districtPupils = districtPupils }
        if let districtWeekChanges { sizes.districtWeekChanges = districtWeekChanges }
        return sizes.capped(maxRows: maxRows)
    }

    /// Where a figure's id sorts: by its letter, then its number, then the rest (B1, B1j, B1r, B2, …, B9, B10).
    static func order(_ id: String) -> (String, Int, String) {
        let letter = id.prefix { $0.isLetter }
        let digits = id.dropFirst(letter.count).prefix { $0.isNumber }
        return (String(letter), Int(digits) ?? 0, String(id.dropFirst(letter.count + digits.count)))
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
