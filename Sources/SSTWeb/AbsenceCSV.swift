import Foundation
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SwiftCSV

/// The CSV an attendance system exports, read for `sst import absence` and the page's upload form: separated by
/// semicolons (Swedish spreadsheets) or commas, in UTF-8 or Windows-1252, with a header row naming the columns in
/// Swedish or English. Parsed with SwiftCSV.
public enum AbsenceCSV {
    /// A file that cannot be imported at all: nothing is.
    public struct HeaderError: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    /// What the file holds: the rows that parsed, and the rows that did not, with why.
    public struct Parsed: Sendable {
        public let rows: [AbsenceImportRow]
        public let problems: [AbsenceImportProblem]
    }

    enum Column: String, CaseIterable {
        case personnummer, date, periodStart, periodEnd, scheduled, excused, unexcused
    }

    /// Header names, lower-case, with `_` and `-` as spaces, by column.
    static let names: [Column: Set<String>] = [
        .personnummer: ["personnummer", "personnr", "pnr", "personal identity number", "personal number", "ssn"],
        .date: ["datum", "dag", "date", "day"],
        .periodStart: ["från", "fr o m", "from", "start", "period start", "periodens början", "startdatum"],
        .periodEnd: ["till", "t o m", "to", "end", "period end", "periodens slut", "slutdatum"],
        .scheduled: [
            "schemalagd tid", "schemalagda minuter", "schemalagt", "lektionstid", "scheduled", "scheduled minutes",
            "scheduled time",
        ],
        .excused: [
            "giltig frånvaro", "anmäld frånvaro", "giltig", "excused", "excused minutes", "excused absence",
        ],
        .unexcused: [
            "ogiltig frånvaro", "oanmäld frånvaro", "ogiltig", "unexcused", "unexcused minutes", "unexcused absence",
        ],
    ]

    /// Parses a file's bytes. Throws ``HeaderError`` (nothing is imported) for a file that is not text, has no
    /// header row, or a header without the personnummer, the date or period, and the three minute columns.
    public static func parse(_ data: Data) throws -> Parsed {
        guard var text = decode(data) else {
            throw HeaderError(message: "the file is neither UTF-8 nor Windows-1252 text")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        text = text.replacingOccurrences(of: "\r\n", with: "\n")
        guard let headerLine = text.split(separator: "\n", omittingEmptySubsequences: true).first else {
            throw HeaderError(message: "the file is empty: it needs a header row and a row per pupil and period")
        }
        let delimiter: CSVDelimiter =
            headerLine.filter { $0 == ";" }.count >= headerLine.filter { $0 == "," }.count ? .semicolon : .comma
        let csv: EnumeratedCSV
        do {
            csv = try EnumeratedCSV(string: text, delimiter: delimiter, loadColumns: false)
        } catch {
            throw HeaderError(message: "the file is not CSV: \(error)")
        }
        let columns = try columns(csv.header)
        var rows: [AbsenceImportRow] = []
        var problems: [AbsenceImportProblem] = []
        for (index, fields) in csv.rows.enumerated() {
            let line = index + 2
            if fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            switch row(fields, columns: columns, line: line) {
            case .success(let row): rows.append(row)
            case .failure(let problem): problems.append(problem)
            }
        }
        return Parsed(rows: rows, problems: problems)
    }

    static func decode(_ data: Data) -> String? {
        if let text = String(data: data, encoding: .utf8) { return text }
        return String(data: data, encoding: .windowsCP1252)
    }

    static func normalised(_ name: String) -> String {
        var text = name.precomposedStringWithCanonicalMapping.lowercased()
            .replacingOccurrences(of: "_", with: " ").replacingOccurrences(of: "-", with: " ")
            .replacingOccurrences(of: ".", with: " ")
        for unit in ["(minuter)", "(min)", "(minutes)", " minuter", " min"] where text.hasSuffix(unit) {
            text = String(text.dropLast(unit.count))
        }
        return text.split(separator: " ").joined(separator: " ")
    }

    static func columns(_ header: [String]) throws -> [Column: Int] {
        var found: [Column: Int] = [:]
        var unknown: [String] = []
        for (index, name) in header.enumerated() {
            let key = normalised(name)
            if let column = Column.allCases.first(where: { names[$0]!.contains(key) }) {
                guard found[column] == nil else {
                    throw HeaderError(message: "the header names the column \"\(name)\" twice")
                }
                found[column] = index
            } else if !key.isEmpty {
                unknown.append(name)
            }
        }
        var missing: [String] = []
        if found[.personnummer] == nil { missing.append("personnummer") }
        if found[.date] == nil && (found[.periodStart] == nil || found[.periodEnd] == nil) {
            missing.append("datum (or från and till)")
        }
        if found[.scheduled] == nil { missing.append("schemalagd tid") }
        if found[.excused] == nil { missing.append("giltig frånvaro") }
        if found[.unexcused] == nil { missing.append("ogiltig frånvaro") }
        guard missing.isEmpty else {
            throw HeaderError(
                message: "the header row \"\(header.joined(separator: ";"))\" lacks \(missing.joined(separator: ", "))"
                    + (unknown.isEmpty ? "" : " (not understood: \(unknown.joined(separator: ", ")))")
                    + "; nothing was imported. Name the columns personnummer; datum (or från; till); schemalagd tid; "
                    + "giltig frånvaro; ogiltig frånvaro (or in English: personnummer, date or from and to, "
                    + "scheduled, excused, unexcused), in minutes"
            )
        }
        return found
    }

    static func row(
        _ fields: [String],
        columns: [Column: Int],
        line: Int
    ) -> Result<
        AbsenceImportRow, AbsenceImportProblem
    > {
        func field(_ column: Column) -> String? {
            guard let index = columns[column], index < fields.count else { return nil }
            let value = fields[index].trimmingCharacters(in: .whitespaces)
            return value.isEmpty ? nil : value
        }
        func problem(_ message: String) -> Result<AbsenceImportRow, AbsenceImportProblem> {
            .failure(AbsenceImportProblem(line: line, message: message))
        }
        guard let given = field(.personnummer) else { return problem("no personnummer") }
        // Exports write 201301010003 or 20130101-0003; the store keeps YYYYMMDD-NNNN.
        let digits = given.filter(\.isNumber)
        let personnummer = digits.count == 12 ? "\(digits.prefix(8))-\(digits.suffix(4))" : given
        guard Personnummer.isValid(personnummer) else {
            return problem("\"\(given)\" is not a personnummer (YYYYMMDD-NNNN with a real date and check digit)")
        }
        let startText = field(.date) ?? field(.periodStart)
        let endText = field(.date) ?? field(.periodEnd)
        guard let startText, let start = CivilDate(startText) else {
            return problem("\"\(startText ?? "")\" is not a date (YYYY-MM-DD)")
        }
        guard let endText, let end = CivilDate(endText) else {
            return problem("\"\(endText ?? "")\" is not a date (YYYY-MM-DD)")
        }
        guard start <= end else { return problem("the period ends (\(end)) before it begins (\(start))") }
        var minutes: [Int64] = []
        for (column, label) in [(Column.scheduled, "scheduled"), (.excused, "excused"), (.unexcused, "unexcused")] {
            let text = field(column) ?? "0"
            guard let number = Int64(text), number >= 0 else {
                return problem("\(label) minutes \"\(text)\" is not a whole number of minutes (0 or more)")
            }
            minutes.append(number)
        }
        guard minutes[1] + minutes[2] <= minutes[0] else {
            return problem("more minutes absent (\(minutes[1] + minutes[2])) than scheduled (\(minutes[0]))")
        }
        return .success(
            AbsenceImportRow(
                line: line,
                personnummer: personnummer,
                periodStart: start,
                periodEnd: end,
                scheduledMinutes: minutes[0],
                excusedMinutes: minutes[1],
                unexcusedMinutes: minutes[2]
            )
        )
    }
}
