import Testing

@testable import SSTCore

/// Personnummer and samordningsnummer: a real date and the Luhn check digit over `YYMMDDNNN`. All numbers here are
/// synthetic (serial 000 or 123).
@Suite struct PersonnummerTests {
    @Test(arguments: [
        "20130101-0003",
        "20131231-1234",
        "20120229-0001",  // 29 February of a leap year
        "20000229-0005",  // 2000 is a leap year (divisible by 400)
        "20130371-0006",  // samordningsnummer: 11 March 2013, day + 60
        "20130161-0000",  // samordningsnummer on 1 January
        "20120289-0008",  // samordningsnummer on 29 February of a leap year
    ])
    func validNumbersAreAccepted(_ text: String) {
        #expect(Personnummer.problem(text) == nil)
        #expect(FieldType.personnummer.problem(with: .string(text)) == nil)
    }

    @Test(arguments: ["20130101-0004", "20130101-0000", "20130371-0005", "20120229-0009"])
    func aWrongCheckDigitIsRefusedWithoutSayingTheRightOne(_ text: String) throws {
        let problem = try #require(Personnummer.problem(text))
        #expect(problem.contains("check digit") && problem.contains("does not match"))
        #expect(!problem.contains("date"))
        let digits = problem.filter(\.isNumber)
        #expect(digits.isEmpty, "the message gives digits away: \(problem)")
    }

    /// Each has the check digit its ten digits would give, so only the date is wrong.
    @Test(arguments: [
        "20130231-0006",  // 31 February
        "20130229-0000",  // 29 February of a common year
        "19000229-0005",  // 1900 is not a leap year
        "20130291-0003",  // samordningsnummer for 31 February
        "20130160-0001",  // day 60 is neither a day nor a samordningsnummer's
        "20130132-0006",  // 32 January
        "20131301-0004",  // month 13
    ])
    func anImpossibleDateIsRefusedNamingTheDate(_ text: String) throws {
        let problem = try #require(Personnummer.problem(text))
        #expect(problem.contains("date \(text.prefix(8))"))
        #expect(!problem.contains("check digit"))
    }

    @Test(arguments: ["201301010003", "130101-0003", "20130101-003", "20130101-00x3", "2013O101-0003", ""])
    func anotherFormIsRefusedNamingTheForm(_ text: String) throws {
        let problem = try #require(Personnummer.problem(text))
        #expect(problem.contains("YYYYMMDD-NNNN"))
    }

    @Test func theCheckDigitIsTheLuhnDigitOfTheTenDigitsBeforeIt() {
        // 1·2 + 3 + 0·2 + 1 + 0·2 + 1 + 0·2 + 0 + 0·2 = 7, and 7 + 3 is a multiple of ten.
        #expect(Personnummer.luhnDigit([1, 3, 0, 1, 0, 1, 0, 0, 0]) == 3)
        // 1·2 + 3 + 0·2 + 3 + 7·2 (1 + 4) + 1 + 0·2 + 0 + 0·2 = 14, and 14 + 6 is a multiple of ten.
        #expect(Personnummer.luhnDigit([1, 3, 0, 3, 7, 1, 0, 0, 0]) == 6)
        #expect(Personnummer.luhnDigit([0, 0, 0, 0, 0, 0, 0, 0, 0]) == 0)
    }

    @Test func numbersAreMadeWithTheirCheckDigit() {
        #expect(Personnummer.number(year: 2013, month: 1, day: 1, serial: 0) == "20130101-0003")
        #expect(Personnummer.number(year: 2013, month: 3, day: 11, serial: 0, coordination: true) == "20130371-0006")
        #expect(Personnummer.number(year: 2013, month: 12, day: 31, serial: 123) == "20131231-1234")
        #expect(Personnummer.number(year: 2013, month: 2, day: 29, serial: 0) == nil)
        #expect(Personnummer.number(year: 2013, month: 1, day: 1, serial: 1000) == nil)
        for day in 1...29 {
            for serial in [0, 7, 98, 999] {
                for coordination in [false, true] {
                    let text = Personnummer.number(
                        year: 2012,
                        month: 2,
                        day: day,
                        serial: serial,
                        coordination: coordination
                    )
                    #expect(text.map(Personnummer.isValid) == true, "\(day) \(serial) \(coordination)")
                }
            }
        }
    }

    @Test func everyOtherLastDigitIsRefused() throws {
        let valid = try #require(Personnummer.number(year: 2014, month: 6, day: 6, serial: 42))
        for digit in 0...9 where Character(String(digit)) != valid.last {
            #expect(!Personnummer.isValid(valid.dropLast() + String(digit)))
        }
    }
}
