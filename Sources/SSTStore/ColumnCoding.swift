import Foundation
import GRDB
import SSTCore

/// How a field's values are kept in its SQL column, so the tables read naturally with plain SQL:
/// text as TEXT, integers as INTEGER, booleans as 0/1, lists as JSON arrays, phases as `"1:planning"`.
package enum ColumnCoding {
    package static func quoted(_ identifier: String) -> String {
        guard identifier.utf8.contains(UInt8(ascii: "\"")) else { return "\"" + identifier + "\"" }
        return "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The column definition for a field, with the CHECK constraints SQLite enforces for us.
    static func columnDefinition(_ field: FieldSchema) -> String {
        let name = quoted(field.name)
        switch field.type {
        case .integer(let minimum, let maximum):
            var checks = ["typeof(\(name)) = 'integer'"]
            if let minimum { checks.append("\(name) >= \(minimum)") }
            if let maximum { checks.append("\(name) <= \(maximum)") }
            return "\(name) INTEGER CHECK (\(name) IS NULL OR (\(checks.joined(separator: " AND "))))"
        case .boolean:
            return "\(name) INTEGER CHECK (\(name) IS NULL OR \(name) IN (0, 1))"
        case .enumeration(let allowed):
            let list = allowed.map { "'\($0)'" }.joined(separator: ", ")
            return "\(name) TEXT CHECK (\(name) IS NULL OR \(name) IN (\(list)))"
        default:
            return "\(name) TEXT"
        }
    }

    static func databaseValue(_ value: Value) -> DatabaseValue {
        switch value {
        case .null: .null
        case .string(let string): string.databaseValue
        case .integer(let integer): integer.databaseValue
        case .boolean(let bool): (bool ? 1 : 0).databaseValue
        case .list(let items): jsonText(items).databaseValue
        case .phase(let phase): phase.description.databaseValue
        }
    }

    package static func value(_ databaseValue: DatabaseValue, type: FieldType) -> Value {
        switch (type, databaseValue.storage) {
        case (_, .null): .null
        case (.boolean, .int64(let number)): .boolean(number != 0)
        case (.integer, .int64(let number)): .integer(number)
        case (.enumerationList, .string(let text)), (.stringList, .string(let text)),
            (.referenceList, .string(let text)):
            .list((try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? [])
        case (.phase, .string(let text)): Phase(text: text).map(Value.phase) ?? .null
        case (_, .string(let text)): .string(text)
        case (_, .int64(let number)): .integer(number)
        default: .null
        }
    }

    /// A value as JSON text, for the conflicts table where one column holds values of any field.
    static func jsonText(_ value: Value) -> String {
        (try? String(decoding: JSONEncoder().encode(value), as: UTF8.self)) ?? "null"
    }

    static func value(jsonText: String) -> Value {
        // A JSON string with nothing to unescape (what text values mostly are) decodes to its content.
        var utf8 = jsonText.utf8[...]
        if utf8.count >= 2, utf8.popFirst() == UInt8(ascii: "\""), utf8.popLast() == UInt8(ascii: "\""),
            !utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 })
        {
            return .string(String(Substring(utf8)))
        }
        return (try? JSONDecoder().decode(Value.self, from: Data(jsonText.utf8))) ?? .null
    }

    static func jsonText(_ items: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(items), as: UTF8.self)) ?? "[]"
    }

    /// A causal context as JSON text (`{"node": "ms:counter"}`), sorted by node.
    static func contextText(_ context: CausalContext?) -> String? {
        guard let context else { return nil }
        var output = "{"
        for (index, entry) in context.sortedEntries.enumerated() {
            if index > 0 { output += "," }
            CanonicalJSON.renderString(entry.node.rawValue, into: &output)
            output += ":"
            CanonicalJSON.renderString(entry.timestamp.description, into: &output)
        }
        return output + "}"
    }

    static func context(text: String?) -> CausalContext? {
        guard let text else { return nil }
        if let context = contextFromCanonicalText(text) { return context }
        guard let entries = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) else {
            return nil
        }
        var context = CausalContext()
        for (nodeText, timestampText) in entries {
            if let node = NodeID(nodeText), let timestamp = Timestamp(text: timestampText) {
                context.include(Stamp(timestamp: timestamp, node: node))
            }
        }
        return context
    }

    /// Parses the text ``contextText(_:)`` writes — `{"node":"ms:counter",…}` with node ids that need no
    /// escaping — without a JSON decoder. Returns nil for anything else (escapes, spaces, a repeated
    /// node), which the JSON decoder then reads, so the result is always the decoder's.
    private static func contextFromCanonicalText(_ text: String) -> CausalContext? {
        var utf8 = text.utf8[...]
        guard utf8.popFirst() == UInt8(ascii: "{"), utf8.popLast() == UInt8(ascii: "}") else { return nil }
        var entries: [NodeID: Timestamp] = [:]
        var skipped: Set<Substring> = []
        while !utf8.isEmpty {
            guard let node = quotedText(&utf8), utf8.popFirst() == UInt8(ascii: ":"),
                let timestamp = quotedText(&utf8)
            else { return nil }
            if let nodeID = NodeID(String(node)), let stamp = Self.timestamp(timestamp.utf8) {
                guard entries.updateValue(stamp, forKey: nodeID) == nil else { return nil }
            } else {
                guard skipped.insert(node).inserted else { return nil }
            }
            if utf8.isEmpty { break }
            guard utf8.popFirst() == UInt8(ascii: ","), !utf8.isEmpty else { return nil }
        }
        return CausalContext(entries)
    }

    /// `Timestamp(text:)` for `<milliseconds>:<counter>` in ASCII digits, reading bytes instead of characters.
    private static func timestamp(_ utf8: Substring.UTF8View) -> Timestamp? {
        guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")),
            let milliseconds = number(utf8[..<colon], maximum: Timestamp.maxMilliseconds),
            let counter = number(utf8[utf8.index(after: colon)...], maximum: UInt64(Timestamp.maxCounter))
        else { return nil }
        return Timestamp(milliseconds: milliseconds, counter: UInt16(counter))
    }

    /// A non-empty run of ASCII digits no greater than `maximum`.
    private static func number(_ digits: Substring.UTF8View, maximum: UInt64) -> UInt64? {
        guard !digits.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow, !overflow2, sum <= maximum else { return nil }
            value = sum
        }
        return value
    }

    /// A JSON string without escapes at the start of `utf8`, consumed; nil when there is none.
    private static func quotedText(_ utf8: inout Substring.UTF8View) -> Substring? {
        guard utf8.popFirst() == UInt8(ascii: "\""),
            let end = utf8.firstIndex(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }),
            utf8[end] == UInt8(ascii: "\"")
        else { return nil }
        let content = Substring(utf8[..<end])
        utf8 = utf8[utf8.index(after: end)...]
        return content
    }
}
