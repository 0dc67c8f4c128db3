import Foundation
import GRDB
import SSTCore

/// How a field's values are kept in its SQL column, so the tables read naturally with plain SQL:
/// text as TEXT, integers as INTEGER, booleans as 0/1, lists as JSON arrays, phases as `"1:planning"`.
enum ColumnCoding {
    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
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

    static func value(_ databaseValue: DatabaseValue, type: FieldType) -> Value {
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
        (try? JSONDecoder().decode(Value.self, from: Data(jsonText.utf8))) ?? .null
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
        guard let text, let entries = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) else {
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
}
