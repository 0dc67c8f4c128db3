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
        // Most strings need no escape: copy them whole.
        guard needsEscape(string) else {
            output += "\""
            output += string
            output += "\""
            return
        }
        var bytes: [UInt8] = []
        renderString(string, into: &bytes)
        output += String(decoding: bytes, as: UTF8.self)
    }

    /// ``renderString(_:into:)`` appending UTF-8 bytes (the store writes its stamps' text as bytes): `"`, `\` and
    /// the control characters escaped, every other byte copied as it is.
    public static func renderString(_ string: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        let utf8 = string.utf8
        if needsEscape(string) {
            for byte in utf8 { escape(byte, into: &bytes) }
        } else {
            bytes.append(contentsOf: utf8)
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Whether `string` has a byte to escape. A scalar below U+0020, `"` or `\` is one UTF-8 byte of the same
    /// value, and no byte of a longer scalar is below 0x80, so the bytes can be looked at one by one.
    private static func needsEscape(_ string: String) -> Bool {
        string.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
    }

    private static func escape(_ byte: UInt8, into bytes: inout [UInt8]) {
        let backslash = UInt8(ascii: "\\")
        switch byte {
        case UInt8(ascii: "\""), backslash: bytes.append(contentsOf: [backslash, byte])
        case UInt8(ascii: "\n"): bytes.append(contentsOf: [backslash, UInt8(ascii: "n")])
        case UInt8(ascii: "\r"): bytes.append(contentsOf: [backslash, UInt8(ascii: "r")])
        case UInt8(ascii: "\t"): bytes.append(contentsOf: [backslash, UInt8(ascii: "t")])
        case 0..<0x20:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [backslash, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            bytes.append(contentsOf: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        default: bytes.append(byte)
        }
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
