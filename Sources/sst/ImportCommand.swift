import ArgumentParser
import Foundation
import SSTCore
import SSTServices
import SSTStore
import SSTWeb

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import data from the school's other systems.",
        subcommands: [Absence.self]
    )

    struct Absence: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import absence from an attendance system's CSV export.",
            discussion: """
                The file has a header row naming the columns, in Swedish or English: personnummer; datum (or från \
                and till); schemalagd tid; giltig frånvaro; ogiltig frånvaro (personnummer, date or from and to, \
                scheduled, excused, unexcused), in minutes. Separated by semicolons or commas, in UTF-8 or \
                Windows-1252 (as Swedish spreadsheets save it).

                Each row becomes the absence record of its pupil and period; a row whose period the node holds \
                with the same figures changes nothing, so importing a file twice changes nothing. Rows that \
                cannot be imported (a bad personnummer, no such pupil here, a bad date or number) are listed \
                with their line and reason, and the others are imported; a file whose header is not understood \
                imports nothing.

                Example:
                  sst import absence --data ./ekbacken-1 franvaro-oktober.csv
                """
        )

        @OptionGroup var options: DataOptions
        @Argument(help: ArgumentHelp("The CSV file.", valueName: "FILE")) var file: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                throw ValidationError("cannot read \(file): \(error.localizedDescription)")
            }
            let parsed: AbsenceCSV.Parsed
            do {
                parsed = try AbsenceCSV.parse(data)
            } catch let error as AbsenceCSV.HeaderError {
                throw ValidationError("\(file): \(error.message)")
            }
            let report = try options.openStore().importAbsence(parsed.rows, problems: parsed.problems)
            if json {
                printJSON(
                    .object([
                        "written": .integer(Int64(report.written)), "unchanged": .integer(Int64(report.unchanged)),
                        "problems": .array(
                            report.problems.map {
                                .object(["line": .integer(Int64($0.line)), "message": .string($0.message)])
                            }
                        ),
                    ])
                )
            } else {
                print(
                    "Imported \(report.written) row(s); \(report.unchanged) unchanged; \(report.problems.count) not imported."
                )
                for problem in report.problems { print("  line \(problem.line): \(problem.message)") }
            }
            if !report.problems.isEmpty { throw ExitCode(1) }
        }
    }
}
