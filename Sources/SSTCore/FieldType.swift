/// The type of a field's values: what the store accepts and how it is kept in SQL.
public enum FieldType: Hashable, Sendable {
    /// A short single-line string.
    case string
    /// Free text (notes, plans). Merged with ``MergeKind/text`` in the SST schema.
    case text
    case integer(minimum: Int64?, maximum: Int64?)
    case boolean
    /// A calendar date, `YYYY-MM-DD`.
    case date
    /// An instant, ISO 8601 in UTC: `YYYY-MM-DDTHH:MM:SSZ` (fractions of a second allowed).
    case instant
    /// A Swedish personal identity number, `YYYYMMDD-NNNN`. A field, never a key.
    case personnummer
    /// The id (UUID) of a record of the named entity.
    case reference(String)
    /// One of a fixed set of strings.
    case enumeration([String])
    /// A list of strings from a fixed set (empty allowed, no duplicates).
    case enumerationList([String])
    /// A list of free strings.
    case stringList
    /// A list of record ids (UUIDs) of the named entity.
    case referenceList(String)
    /// A case phase `(generation, step)`.
    case phase

    /// Checks that `value` is acceptable for this type; `nil` (SQL NULL) is always accepted.
    ///
    /// Returns a description of what was wrong, or nil when the value is fine.
    public func problem(with value: Value) -> String? {
        switch (self, value) {
        case (_, .null):
            return nil
        case (.string, .string(let text)):
            return text.contains(where: \.isNewline) ? "a single line is expected, the value has a line break" : nil
        case (.text, .string):
            return nil
        case (.integer(let minimum, let maximum), .integer(let number)):
            if let minimum, number < minimum { return "the value \(number) is below the minimum \(minimum)" }
            if let maximum, number > maximum { return "the value \(number) is above the maximum \(maximum)" }
            return nil
        case (.boolean, .boolean):
            return nil
        case (.date, .string(let text)):
            return CalendarText.isDate(text) ? nil : "\"\(text)\" is not a date of the form YYYY-MM-DD"
        case (.instant, .string(let text)):
            return CalendarText.isInstant(text) ? nil : "\"\(text)\" is not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ"
        case (.personnummer, .string(let text)):
            return CalendarText.isPersonnummer(text)
                ? nil : "\"\(text)\" is not a personnummer of the form YYYYMMDD-NNNN"
        case (.reference, .string(let text)):
            return RecordID(text) == nil ? "\"\(text)\" is not a record id (a lower-case UUID)" : nil
        case (.enumeration(let allowed), .string(let text)):
            return allowed.contains(text) ? nil : "\"\(text)\" is not one of \(allowed.joined(separator: ", "))"
        case (.enumerationList(let allowed), .list(let items)):
            if let unknown = items.first(where: { !allowed.contains($0) }) {
                return "\"\(unknown)\" is not one of \(allowed.joined(separator: ", "))"
            }
            return Set(items).count == items.count ? nil : "the list has a duplicate"
        case (.stringList, .list):
            return nil
        case (.referenceList, .list(let items)):
            if let bad = items.first(where: { RecordID($0) == nil }) {
                return "\"\(bad)\" is not a record id (a lower-case UUID)"
            }
            return nil
        case (.phase, .phase):
            return nil
        default:
            return "expected \(expectation), got \(value.kindName)"
        }
    }

    /// What this type expects, in words, for error messages and `--help`.
    public var expectation: String {
        switch self {
        case .string: "a single-line string"
        case .text: "a text"
        case .integer(let minimum?, let maximum?): "an integer from \(minimum) to \(maximum)"
        case .integer(let minimum?, nil): "an integer of at least \(minimum)"
        case .integer: "an integer"
        case .boolean: "a boolean (true or false)"
        case .date: "a date YYYY-MM-DD"
        case .instant: "a UTC time YYYY-MM-DDTHH:MM:SSZ"
        case .personnummer: "a personnummer YYYYMMDD-NNNN"
        case .reference(let entity): "the id of a \(entity) record"
        case .enumeration(let allowed): "one of \(allowed.joined(separator: ", "))"
        case .enumerationList(let allowed): "a list of \(allowed.joined(separator: ", "))"
        case .stringList: "a list of strings"
        case .referenceList(let entity): "a list of \(entity) ids"
        case .phase: "a phase <generation>:<step>"
        }
    }
}
