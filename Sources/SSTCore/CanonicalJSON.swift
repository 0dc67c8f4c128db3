/// A JSON value with one canonical text form: object members sorted by the UTF-8 bytes of their keys,
/// two-space indentation, strings escaped minimally (non-ASCII kept as UTF-8), integers only.
///
/// Converged replicas dump byte-identical text, and any other implementation can produce the same bytes.
public indirect enum CanonicalJSON: Hashable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case string(String)
    case array([CanonicalJSON])
    case object([String: CanonicalJSON])

    /// The canonical text of this value, nested `level` indentation steps deep.
    public func rendered(level: Int = 0) -> String {
        var output = ""
        render(into: &output, level: level)
        return output
    }

    public func render(into output: inout String, level: Int) {
        switch self {
        case .null: output += "null"
        case .bool(let bool): output += bool ? "true" : "false"
        case .integer(let integer): output += String(integer)
        case .string(let string): Self.renderString(string, into: &output)
        case .array(let items):
            guard !items.isEmpty else {
                output += "[]"
                return
            }
            output += "[\n"
            for (index, item) in items.enumerated() {
                output += Self.indent(level + 1)
                item.render(into: &output, level: level + 1)
                output += index == items.count - 1 ? "\n" : ",\n"
            }
            output += Self.indent(level) + "]"
        case .object(let members):
            guard !members.isEmpty else {
                output += "{}"
                return
            }
            output += "{\n"
            let keys = Self.sortedKeys(members.keys)
            for (index, key) in keys.enumerated() {
                output += Self.indent(level + 1)
                Self.renderString(key, into: &output)
                output += ": "
                members[key]!.render(into: &output, level: level + 1)
                output += index == keys.count - 1 ? "\n" : ",\n"
            }
            output += Self.indent(level) + "}"
        }
    }

    /// Keys in canonical order: by their UTF-8 bytes.
    public static func sortedKeys(_ keys: some Sequence<String>) -> [String] {
        keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    public static func indent(_ level: Int) -> String {
        String(repeating: "  ", count: level)
    }

    public static func renderString(_ string: String, into output: inout String) {
        output += "\""
        // Most strings need no escape: copy them whole. (A scalar below U+0020, `"` or `\` is one UTF-8 byte
        // of the same value, and no byte of a longer scalar is below 0x80.)
        guard string.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
        else {
            output += string
            output += "\""
            return
        }
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}

extension CanonicalJSON {
    /// The canonical JSON of a field value (phases as `{"generation", "step"}`).
    public init(_ value: Value) {
        switch value {
        case .null: self = .null
        case .string(let string): self = .string(string)
        case .integer(let integer): self = .integer(integer)
        case .boolean(let bool): self = .bool(bool)
        case .list(let items): self = .array(items.map { .string($0) })
        case .phase(let phase):
            self = .object(["generation": .integer(Int64(phase.generation)), "step": .string(phase.step.rawValue)])
        }
    }
}
