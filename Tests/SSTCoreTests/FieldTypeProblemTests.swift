import Testing

@testable import SSTCore

@Suite struct FieldTypeProblemTests {
    private static let pupilID = "123e4567-e89b-42d3-a456-426614174000"
    private static let scopes = FieldType.enumerationList(Schema.consentScopes)

    @Test(arguments: [
        FieldType.string, .text, .integer(minimum: 0, maximum: 10), .boolean, .date, .instant, .personnummer,
        .reference("pupil"), .enumeration(["written", "oral"]), scopes, .stringList, .referenceList("guardian"), .phase,
    ])
    func nullIsAcceptedByEveryType(type: FieldType) {
        #expect(type.problem(with: .null) == nil)
    }

    @Test(arguments: [
        (FieldType.string, Value.string("Åsa Öberg")),
        (.text, .string("Rad ett\nRad två")),
        (.integer(minimum: 0, maximum: 10), .integer(0)),
        (.integer(minimum: 0, maximum: 10), .integer(10)),
        (.integer(minimum: nil, maximum: nil), .integer(.min)),
        (.boolean, .boolean(false)),
        (.date, .string("2024-02-29")),
        (.date, .string("2025-12-31")),
        (.date, .string("2000-02-29")),
        (.instant, .string("2025-03-14T08:30:00Z")),
        (.instant, .string("2025-03-14T08:30:00.123Z")),
        (.personnummer, .string("20130101-0003")),
        (.personnummer, .string("20120229-0001")),
        (.personnummer, .string("20130161-0000")),  // samordningsnummer: day + 60
        (.reference("pupil"), .string(pupilID)),
        (.enumeration(["written", "oral"]), .string("oral")),
        (scopes, .list([])),
        (scopes, .list(["identity", "sst_case"])),
        (.stringList, .list(["Åsa", "Åsa", ""])),
        (.referenceList("guardian"), .list([pupilID])),
        (.phase, .phase(Phase(generation: 2, step: .opened))),
    ])
    func acceptsWellFormedValues(type: FieldType, value: Value) {
        #expect(type.problem(with: value) == nil)
    }

    @Test(arguments: [
        (FieldType.string, Value.string("Rad ett\nRad två"), "line break"),
        (.string, .string("Rad ett\r\nRad två"), "line break"),
        (.string, .string("Rad ett\u{2028}Rad två"), "line break"),
        (.string, .string("Rad ett\u{2029}Rad två"), "line break"),
        (.integer(minimum: 0, maximum: 10), .integer(-1), "below the minimum 0"),
        (.integer(minimum: 0, maximum: 10), .integer(11), "above the maximum 10"),
        (.date, .string("2025-02-29"), "2025-02-29"),
        (.date, .string("1900-02-29"), "YYYY-MM-DD"),
        (.date, .string("2025-04-31"), "YYYY-MM-DD"),
        (.date, .string("2025-13-01"), "YYYY-MM-DD"),
        (.date, .string("2025-00-10"), "YYYY-MM-DD"),
        (.date, .string("2025-1-01"), "YYYY-MM-DD"),
        (.date, .string("2025/01/01"), "YYYY-MM-DD"),
        (.date, .string("1899-12-31"), "YYYY-MM-DD"),
        (.date, .string("2025-03-14T08:30:00Z"), "YYYY-MM-DD"),
        (.instant, .string("2025-03-14"), "UTC time"),
        (.instant, .string("2025-03-14T08:30:00"), "UTC time"),
        (.instant, .string("2025-03-14 08:30:00Z"), "UTC time"),
        (.instant, .string("2025-03-14T08:30:00+01:00"), "UTC time"),
        (.instant, .string("2025-03-14T08:30:00.Z"), "UTC time"),
        (.instant, .string("2025-03-14T08:30:00.12aZ"), "UTC time"),
        (.instant, .string("2025-03-14T24:00:00Z"), "UTC time"),
        (.instant, .string("2025-03-14T08:60:00Z"), "UTC time"),
        (.instant, .string("2025-02-29T08:30:00Z"), "UTC time"),
        (.personnummer, .string("201301010000"), "personnummer"),
        (.personnummer, .string("130101-0000"), "personnummer"),
        (.personnummer, .string("20130230-0007"), "personnummer"),
        (.personnummer, .string("20130101-000"), "personnummer"),
        (.personnummer, .string("20130101-00x0"), "personnummer"),
        (.personnummer, .string("20130101+0000"), "personnummer"),
        (.reference("pupil"), .string("123E4567-E89B-42D3-A456-426614174000"), "lower-case UUID"),
        (.reference("pupil"), .string("20130101-0003"), "lower-case UUID"),
        (.enumeration(["written", "oral"]), .string("Written"), "not one of written, oral"),
        (scopes, .list(["identity", "identity"]), "duplicate"),
        (scopes, .list(["identity", "health"]), "\"health\""),
        (.referenceList("guardian"), .list([pupilID, "nej"]), "\"nej\""),
    ])
    func refusesMalformedValuesNamingTheProblem(type: FieldType, value: Value, expected: String) throws {
        let problem = try #require(type.problem(with: value), "accepted \(value) as \(type)")
        #expect(problem.contains(expected), "\(problem)")
    }

    @Test(arguments: [
        (FieldType.string, Value.integer(1)),
        (.text, .list(["Rad"])),
        (.integer(minimum: nil, maximum: nil), .string("12")),
        (.boolean, .string("ja")),
        (.boolean, .integer(1)),
        (.date, .integer(20_250_101)),
        (.personnummer, .integer(201_301_010_000)),
        (.reference("pupil"), .list([pupilID])),
        (.enumeration(["oral"]), .list(["oral"])),
        (scopes, .string("identity")),
        (.stringList, .string("Åsa")),
        (.referenceList("guardian"), .string(pupilID)),
        (.phase, .string("1:planning")),
    ])
    func refusesWrongValueKindNamingExpectation(type: FieldType, value: Value) throws {
        let problem = try #require(type.problem(with: value), "accepted \(value) as \(type)")
        #expect(problem == "expected \(type.expectation), got \(value.kindName)")
    }

    @Test func calendarTextChecksLeapYearsByGregorianRules() {
        #expect(CalendarText.isDate("2024-02-29"))
        #expect(CalendarText.isDate("2000-02-29"))
        #expect(!CalendarText.isDate("2100-02-29"))
        #expect(!CalendarText.isDate("2025-02-29"))
        #expect(CalendarText.isPersonnummer("20240289-0004"))  // samordningsnummer on 29 February 2024
        #expect(!CalendarText.isPersonnummer("20250289-0003"))
    }
}
