import ArgumentParser
import Foundation
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print the district's group-level follow-up per stadsdel (at the hub): counts, never identities.",
        discussion: """
            Per stadsdel: the schools the hub holds records of, the pupils with a case, the cases by phase \
            and by category, the interventions by kind, the reports of concern received and those after \
            which an investigation was opened. Deleted and purged records are left out. A count under 5 \
            (zero included) is shown as <5; where counts add up to a total (the cases by phase and by \
            category, the interventions by kind, the reports with and without an investigation) and only \
            one of them is under 5 and not zero, the smallest other one is shown as .. so that the small \
            one cannot be worked out by subtraction. Run it with the hub's data directory; a school node \
            has no district view.
            """
    )

    @OptionGroup var options: DataOptions

    @Flag(help: "Print JSON: each count a number, or the string \"<5\" or \"..\" when it is not shown.")
    var json = false

    func run() throws {
        let report = try options.openStore().followUpReport()
        if json {
            printJSON(report.json)
            return
        }
        print(
            "Follow-up per stadsdel at \(report.hub) (counts under \(report.threshold) shown as <\(report.threshold);"
        )
        print(".. hides a count that would let a small one be worked out)")
        guard !report.stadsdelar.isEmpty else {
            print("\nNo records from any school yet.")
            return
        }
        let names = report.stadsdelar.map(\.name)
        func table(_ title: String, _ rows: [(String, [String])]) {
            let labelWidth = max(title.count, rows.map(\.0.count).max() ?? 0)
            let widths = names.indices.map { column in
                max(names[column].count, rows.map { $0.1[column].count }.max() ?? 0)
            }
            func line(_ label: String, _ cells: [String]) -> String {
                let padded = zip(cells, widths).map { cell, width in
                    String(repeating: " ", count: width - cell.count) + cell
                }
                return ([label.padding(toLength: labelWidth, withPad: " ", startingAt: 0)] + padded)
                    .joined(separator: "  ")
            }
            print("")
            print(line(title, names))
            for (label, cells) in rows { print(line(label, cells)) }
        }
        let stadsdelar = report.stadsdelar
        table(
            "per stadsdel",
            [
                ("schools", stadsdelar.map { String($0.schools) }),
                ("pupils with a case", stadsdelar.map(\.pupilsWithCase.description)),
                ("reports of concern", stadsdelar.map(\.reportsOfConcern.description)),
                ("investigations opened", stadsdelar.map(\.investigationsOpened.description)),
            ]
        )
        table("cases by phase", Self.rows(stadsdelar.map(\.casesByPhase), label: Self.phaseLabel))
        table("cases by category", Self.rows(stadsdelar.map(\.casesByCategory), label: { $0 }))
        table("interventions by kind", Self.rows(stadsdelar.map(\.interventionsByKind), label: { $0 }))
    }

    /// One row per item label (the same labels in every stadsdel), one cell per stadsdel.
    private static func rows(_ columns: [[FollowUpReport.Item]], label: (String) -> String) -> [(String, [String])] {
        guard let first = columns.first else { return [] }
        return first.indices.map { index in
            (label(first[index].label), columns.map { $0[index].count.description })
        }
    }

    private static func phaseLabel(_ step: String) -> String {
        Phase.Step(rawValue: step).map { "\(step) (\($0.swedishLabel))" } ?? step
    }
}

extension ShownCount {
    var json: CanonicalJSON {
        switch self {
        case .count(let count): .integer(Int64(count))
        case .small, .hidden: .string(description)
        }
    }
}

extension FollowUpReport {
    var json: CanonicalJSON {
        func items(_ items: [Item]) -> CanonicalJSON {
            .object(Dictionary(uniqueKeysWithValues: items.map { ($0.label, $0.count.json) }))
        }
        return .object([
            "hub": .string(hub.rawValue),
            "threshold": .integer(Int64(threshold)),
            "stadsdelar": .array(
                stadsdelar.map { stadsdel in
                    .object([
                        "stadsdel": .string(stadsdel.name),
                        "schools": .integer(Int64(stadsdel.schools)),
                        "pupilsWithCase": stadsdel.pupilsWithCase.json,
                        "casesByPhase": items(stadsdel.casesByPhase),
                        "casesByCategory": items(stadsdel.casesByCategory),
                        "interventionsByKind": items(stadsdel.interventionsByKind),
                        "reportsOfConcern": stadsdel.reportsOfConcern.json,
                        "investigationsOpened": stadsdel.investigationsOpened.json,
                    ])
                }
            ),
        ])
    }
}
