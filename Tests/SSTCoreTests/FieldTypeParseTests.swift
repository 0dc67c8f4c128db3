import Testing

@testable import SSTCore

@Suite struct FieldTypeParseTests {
    @Test(arguments: [
        FieldType.string, .text, .integer(minimum: 0, maximum: 10), .boolean, .date, .instant, .personnummer,
        .reference("pupil"), .enumeration(["oral"]), .enumerationList(["identity"]), .stringList,
        .referenceList("guardian"), .phase,
    ])
    func emptyTextIsNull(type: FieldType) {
        #expect(type.parse("") == .null)
    }

    @Test(arguments: [
        ("ja", true), ("JA", true), ("Ja", true), ("yes", true), ("true", true), ("1", true),
        ("nej", false), ("NEJ", false), ("no", false), ("false", false), ("0", false),
    ])
    func booleansTakeSwedishAndEnglishWords(text: String, expected: Bool) {
        #expect(FieldType.boolean.parse(text) == .boolean(expected))
    }

    @Test(arguments: ["kanske", "2", "sant", " ja"])
    func unknownBooleanWordsAreRefused(text: String) {
        #expect(FieldType.boolean.parse(text) == nil)
    }

    @Test func integersParseAndNonIntegersAreRefused() {
        let type = FieldType.integer(minimum: nil, maximum: nil)
        #expect(type.parse("42") == .integer(42))
        #expect(type.parse("-7") == .integer(-7))
        #expect(type.parse("1.5") == nil)
        #expect(type.parse("tolv") == nil)
        #expect(type.parse("99999999999999999999") == nil)
    }

    @Test(arguments: [FieldType.enumerationList(Schema.consentScopes), .stringList, .referenceList("guardian")])
    func listsAreCommaSeparatedWithSpacesTrimmed(type: FieldType) {
        #expect(type.parse("identity, absence ,sst_case") == .list(["identity", "absence", "sst_case"]))
        #expect(type.parse("Åsa Öberg") == .list(["Åsa Öberg"]))
    }

    @Test func phaseTakesGenerationColonStep() {
        #expect(FieldType.phase.parse("1:planning") == .phase(Phase(generation: 1, step: .planning)))
        #expect(FieldType.phase.parse("2:in_progress") == .phase(Phase(generation: 2, step: .inProgress)))
        #expect(FieldType.phase.parse("planning") == nil)
        #expect(FieldType.phase.parse("0:planning") == nil)
    }

    @Test(arguments: [
        FieldType.string, .text, .date, .instant, .personnummer, .reference("pupil"), .enumeration(["oral"]),
    ])
    func textualTypesKeepTheTextAsGiven(type: FieldType) {
        #expect(type.parse("Åsa, 2025-03-14") == .string("Åsa, 2025-03-14"))
    }

    @Test func parsedValuesOfValidTextPassTheTypeCheck() throws {
        let cases: [(FieldType, String)] = [
            (.date, "2024-02-29"), (.personnummer, "20130101-0003"), (.boolean, "nej"),
            (.enumerationList(Schema.consentScopes), "identity,absence"), (.phase, "3:closed"),
            (.integer(minimum: 0, maximum: 10), "9"),
        ]
        for (type, text) in cases {
            let value = try #require(type.parse(text), "\(text) as \(type)")
            #expect(type.problem(with: value) == nil, "\(text) as \(type)")
        }
    }
}
