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
    /// A Swedish personal identity number or samordningsnummer, `YYYYMMDD-NNNN`, with a real date and a matching
    /// check digit (``Personnummer``). A field, never a key.
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
    /// Returns a description of what was wrong, or nil when the value is fine. No string, nor item of a list,
    /// may hold a C0 control character (U+0000–U+001F) or U+007F, except tab, line feed and carriage return in a
    /// ``text``: stores and readers may cut a string at U+0000, and the others are invisible in a staff member's
    /// view of it.
    public func problem(with value: Value) -> String? {
        if let problem = controlCharacterProblem(with: value) { return problem }
        switch (self, value) {
        case (_, .null):
            return nil
        case (.string, .string(let text)):
            // The control characters are refused above, line feed and carriage return among them: an ASCII text has
            // no other line break, and only a text with other characters needs the (slower) look at each one.
            if text.utf8.allSatisfy({ $0 < 0x80 }) { return nil }
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
            return Personnummer.problem(text)
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
        case .personnummer: "a personnummer YYYYMMDD-NNNN with a real date and a matching check digit"
        case .reference(let entity): "the id of a \(entity) record"
        case .enumeration(let allowed): "one of \(allowed.joined(separator: ", "))"
        case .enumerationList(let allowed): "a list of \(allowed.joined(separator: ", "))"
        case .stringList: "a list of strings"
        case .referenceList(let entity): "a list of \(entity) ids"
        case .phase: "a phase <generation>:<step>"
        }
    }

    /// The control character a string of `value` holds that this type does not allow, named as `U+XXXX`.
    private func controlCharacterProblem(with value: Value) -> String? {
        switch (self, value) {
        case (.text, .string(let text)):
            guard let control = Self.firstControl(in: text, allowingLayout: true) else { return nil }
            return "the value contains the control character \(control); a text allows only tab (U+0009), "
                + "line feed (U+000A) and carriage return (U+000D)"
        case (.string, .string(let text)):
            guard let control = Self.firstControl(in: text, allowingLayout: false) else { return nil }
            if control == "U+000A" || control == "U+000D" {
                return "a single line is expected, the value has a line break (\(control))"
            }
            return "the value contains the control character \(control), which is not allowed"
        case (.date, .string(let text)), (.instant, .string(let text)),
            (.personnummer, .string(let text)), (.reference, .string(let text)), (.enumeration, .string(let text)):
            guard let control = Self.firstControl(in: text, allowingLayout: false) else { return nil }
            return "the value contains the control character \(control), which is not allowed"
        case (.enumerationList, .list(let items)), (.stringList, .list(let items)), (.referenceList, .list(let items)):
            for (index, item) in items.enumerated() {
                guard let control = Self.firstControl(in: item, allowingLayout: false) else { continue }
                return "item \(index) of the list contains the control character \(control), which is not allowed"
            }
            return nil
        default:
            return nil
        }
    }

    /// The first C0 control character or U+007F in `text`, as `U+XXXX`; tab, line feed and carriage return
    /// allowed when `allowingLayout`. All of them are ASCII, so the UTF-8 bytes tell.
    private static func firstControl(in text: String, allowingLayout: Bool) -> String? {
        for byte in text.utf8 where byte < 0x20 || byte == 0x7F {
            if allowingLayout && (byte == 0x09 || byte == 0x0A || byte == 0x0D) { continue }
            let hex = String(byte, radix: 16, uppercase: true)
            return "U+" + String(repeating: "0", count: 4 - hex.count) + hex
        }
        return nil
    }
}
