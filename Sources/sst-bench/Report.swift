import Foundation

/// One line of the report: a measured figure, its baseline from the same run, and the ratio that the
/// target is about.
struct Figure {
    enum Verdict: String {
        case met
        case missed
        /// Measured, but the figure has no target (context for other figures).
        case info
        /// Not measured; ``Figure/note`` says why.
        case notMeasured = "not measured"
    }

    let id: String
    let title: String
    /// The median of the measured quantity, in ``unit``.
    var value: Double?
    var unit = ""
    /// The median of the baseline, in ``baselineUnit``, and what the baseline is.
    var baseline: Double?
    var baselineUnit = ""
    var baselineTitle = ""
    /// The ratio the target constrains (median of the per-run ratios unless the note says otherwise).
    var ratio: Double?
    /// The target, in words (`ratio ≥ 0.5`), and whether it was met.
    var target = ""
    var verdict = Verdict.info
    var note = ""

    static func notMeasured(_ id: String, _ title: String, target: String, because reason: String) -> Figure {
        Figure(id: id, title: title, target: target, verdict: .notMeasured, note: reason)
    }

    var record: Record {
        Record(
            id: id,
            title: title,
            value: value,
            unit: unit,
            baseline: baseline,
            baselineUnit: baselineUnit,
            baselineTitle: baselineTitle,
            ratio: ratio,
            target: target,
            verdict: verdict.rawValue,
            note: note
        )
    }

    /// The figure as JSON (numbers as JSON numbers, missing ones as null).
    struct Record: Encodable {
        let id: String
        let title: String
        let value: Double?
        let unit: String
        let baseline: Double?
        let baselineUnit: String
        let baselineTitle: String
        let ratio: Double?
        let target: String
        let verdict: String
        let note: String

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(title, forKey: .title)
            try container.encode(value, forKey: .value)
            try container.encode(unit, forKey: .unit)
            try container.encode(baseline, forKey: .baseline)
            try container.encode(baselineUnit, forKey: .baselineUnit)
            try container.encode(baselineTitle, forKey: .baselineTitle)
            try container.encode(ratio, forKey: .ratio)
            try container.encode(target, forKey: .target)
            try container.encode(verdict, forKey: .verdict)
            try container.encode(note, forKey: .note)
        }

        enum CodingKeys: String, CodingKey {
            case id, title, value, unit, baseline, ratio, target, verdict, note
            case baselineUnit = "baseline_unit"
            case baselineTitle = "baseline_title"
        }
    }
}

/// The whole report: the machine, the settings and every figure, as a table or as JSON.
struct Report {
    var figures: [Figure] = []
    let runs: Int
    /// Figures measured a number of times of their own (B4's `--memory-runs`, B8's `--district-runs`).
    var runsOfFigures: [String: Int] = [:]
    let sizes: Sizes
    let settings: String

    func table() -> String {
        let header = ["id", "figure", "median", "baseline (median)", "ratio", "target", "verdict"]
        var rows = [header]
        for figure in figures {
            rows.append([
                figure.id, figure.title, Self.format(figure.value, figure.unit),
                figure.baseline == nil
                    ? figure.baselineTitle
                    : "\(Self.format(figure.baseline, figure.baselineUnit)) \(figure.baselineTitle)",
                figure.ratio.map { String(format: "%.2f", $0) } ?? "—", figure.target, figure.verdict.rawValue,
            ])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ")
                .trimmingTrailingSpaces()
        }
        let own = runsOfFigures.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        let counts = own.isEmpty ? "" : " (\(own.joined(separator: ", ")))"
        var output = "SST Sync benchmarks: medians of \(runs) run(s)\(counts)\n\(Self.machine())\n\(settings)\n\n"
        output += line(rows[0]) + "\n"
        output += line(widths.map { String(repeating: "-", count: $0) }) + "\n"
        for row in rows.dropFirst() { output += line(row) + "\n" }
        let notes = figures.filter { !$0.note.isEmpty }
        if !notes.isEmpty {
            output += "\n"
            for figure in notes { output += "\(figure.id): \(figure.note)\n" }
        }
        return output
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let document = Document(
            format: "sst-bench",
            version: 1,
            runs: runs,
            runsOfFigures: runsOfFigures,
            machine: Self.machine(),
            settings: settings,
            sizes: sizes,
            figures: figures.map(\.record)
        )
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }

    private struct Document: Encodable {
        let format: String
        let version: Int
        let runs: Int
        let runsOfFigures: [String: Int]
        let machine: String
        let settings: String
        let sizes: Sizes
        let figures: [Figure.Record]
    }

    static func format(_ value: Double?, _ unit: String) -> String {
        guard let value else { return "—" }
        let text =
            switch abs(value) {
            case 100...: String(format: "%.0f", value)
            case 10..<100: String(format: "%.1f", value)
            default: String(format: "%.3g", value)
            }
        return unit.isEmpty ? text : "\(text) \(unit)"
    }

    /// `2 cores, AMD EPYC …`, from nproc and /proc/cpuinfo.
    static func machine() -> String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        return "machine: \(cores) cores, \(model)"
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
