import Testing

@testable import SSTCore

/// No C0 control character (U+0000–U+001F) nor U+007F in any string of a change, except tab, line feed and carriage
/// return in a text; the message names the character as `U+XXXX`.
@Suite struct ControlCharacterTests {
    @Test(arguments: [
        (FieldType.string, Value.string("Å\u{0}sa"), "U+0000"),
        (.string, .string("7\tB"), "U+0009"),
        (.string, .string("Öberg\u{7F}"), "U+007F"),
        (.string, .string("\u{1B}[31mÅsa"), "U+001B"),
        (.text, .string("Plan\u{0}"), "U+0000"),
        (.text, .string("Rad 1\nRad 2\u{1F}"), "U+001F"),
        (.text, .string("\u{7F}"), "U+007F"),
        (.text, .string("Sida 1\u{0C}Sida 2"), "U+000C"),
        (.enumeration(["absence"]), .string("absence\u{0}"), "U+0000"),
        (.date, .string("2027-01-10\u{0}"), "U+0000"),
        (.instant, .string("\u{8}2027-01-10T08:00:00Z"), "U+0008"),
        (.personnummer, .string("20130101-0003\u{0}"), "U+0000"),
        (.reference("pupil"), .string("10000000-0000-4000-8000-000000000001\u{0}"), "U+0000"),
        (.stringList, .list(["sömnproblem", "otrygghet\u{0}"]), "U+0000"),
        (.stringList, .list(["Rad 1\nRad 2"]), "U+000A"),
        (.enumerationList(["identity", "absence"]), .list(["identity", "absence\u{7F}"]), "U+007F"),
        (.referenceList("pupil"), .list(["\u{1}"]), "U+0001"),
    ])
    func aControlCharacterIsRefusedNamingIt(type: FieldType, value: Value, named: String) throws {
        let problem = try #require(type.problem(with: value), "accepted \(value) as \(type)")
        #expect(problem.contains(named), "\(problem)")
        #expect(problem.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }, "\(problem)")
    }

    @Test func aTextKeepsTabsAndLineBreaks() {
        #expect(FieldType.text.problem(with: .string("Rad 1\r\nRad 2\n\tindrag")) == nil)
    }

    @Test func aSingleLineStringRefusesALineBreakAsOne() throws {
        let problem = try #require(FieldType.string.problem(with: .string("Rad 1\nRad 2")))
        #expect(problem.contains("line break") && problem.contains("U+000A"))
    }

    @Test func otherCharactersAreKept() {
        #expect(FieldType.string.problem(with: .string("Åsa Öberg-Ängström 📚 \u{A0}\u{80}")) == nil)
        #expect(FieldType.stringList.problem(with: .list(["sömnproblem", ""])) == nil)
    }

    @Test func aChangeSetWithAControlCharacterIsRefusedNamingTheField() throws {
        let change = FieldChange(
            entity: "pupil",
            record: recordID("10000000-0000-4000-8000-000000000001"),
            field: "given_name",
            state: FieldState(value: .string("Å\u{0}sa"), stamp: stampAt(1_000))
        )
        let validator = ChangeValidator(schema: .sst)
        let error = try #require(throws: ChangeSetError.self) { try validator.validate(change, at: 0) }
        #expect(error.code == .invalidValue)
        #expect(error.message.contains("given_name") && error.message.contains("U+0000"))
    }
}
