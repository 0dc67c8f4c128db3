/// Parsing values typed by a person (`sst record set … field=value`).
extension FieldType {
    /// The value `text` stands for in a field of this type, or nil when it cannot be one.
    ///
    /// An empty text is null. Booleans take `true/false`, `yes/no`, `ja/nej`, `1/0`; lists take
    /// comma-separated items; a phase takes `<generation>:<step>`.
    public func parse(_ text: String) -> Value? {
        if text.isEmpty { return .null }
        switch self {
        case .integer:
            return Int64(text).map(Value.integer)
        case .boolean:
            switch text.lowercased() {
            case "true", "yes", "ja", "1": return .boolean(true)
            case "false", "no", "nej", "0": return .boolean(false)
            default: return nil
            }
        case .enumerationList, .stringList, .referenceList:
            return .list(text.split(separator: ",").map { String($0).trimmingSpaces() })
        case .phase:
            return Phase(text: text).map(Value.phase)
        case .string, .text, .date, .instant, .personnummer, .reference, .enumeration:
            return .string(text)
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
