import Foundation
import SSTCore
import SSTPrivacy
import Testing

/// Calendar dates for consent validity, and instants as ISO 8601 text.
@Suite struct CivilDateTests {
    private static let millisecondsPerDay: UInt64 = 86_400_000
    /// 2100-12-31 is day 47 846 after 1970-01-01.
    private static let lastDay: UInt64 = 47_846

    @Test(arguments: ["1970-01-01", "2024-02-29", "2025-12-31", "2000-02-29", "2100-02-28", "0999-01-01"])
    func printsWhatItParses(text: String) throws {
        let date = try #require(CivilDate(text))
        #expect(date.description == text)
    }

    @Test(arguments: [
        "2025-02-29", "2100-02-29", "1900-02-29", "2025-04-31", "2025-13-01", "2025-00-10", "2025-01-00",
        "2025-1-01", "25-01-01", "2025-01-01T00:00:00Z", "2025/01/01", "", "abcd-01-01", "2025-01-01-",
    ])
    func refusesWhatIsNotADate(text: String) {
        #expect(CivilDate(text) == nil)
    }

    @Test(arguments: ["+025-01-01", "2025-+1-01", "2025-01-+1", " 025-01-01"])
    func acceptsOnlyDigitsSoEveryParsedDatePrintsAsGiven(text: String) {
        // YYYY-MM-DD means digits: what parses must print back as the same text.
        #expect(CivilDate(text) == nil, "\(text) parsed as \(CivilDate(text).map(String.init(describing:)) ?? "")")
    }

    @Test func componentsAreChecked() {
        #expect(CivilDate(year: 2024, month: 2, day: 29) != nil)
        #expect(CivilDate(year: 2023, month: 2, day: 29) == nil)
        #expect(CivilDate(year: 2023, month: 6, day: 31) == nil)
        #expect(CivilDate(year: 2023, month: 0, day: 1) == nil)
        #expect(CivilDate(year: 2023, month: 12, day: 32) == nil)
    }

    @Test func datesOrderByYearThenMonthThenDay() {
        let sorted = ["2024-12-31", "2025-01-01", "2025-01-02", "2025-02-01", "2026-01-01"].map(civilDate)
        for (earlier, later) in zip(sorted, sorted.dropFirst()) {
            #expect(earlier < later)
            #expect(!(later < earlier))
        }
        #expect(sorted.shuffled().sorted() == sorted)
        #expect(civilDate("2025-03-01") == CivilDate(year: 2025, month: 3, day: 1))
    }

    @Test func millisecondsRoundTripOverManyDaysFrom1970To2100() throws {
        var generator = SplitMix64(seed: 0x5757_2025)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        let days =
            [0, 1, 58, 59, 60, 365, 10_957, 11_016, Self.lastDay]
            + (0..<2000).map { _ in UInt64.random(in: 0...Self.lastDay, using: &generator) }
        for day in days {
            let midnight = day * Self.millisecondsPerDay
            let within = UInt64.random(in: 0..<Self.millisecondsPerDay, using: &generator)
            let date = CivilDate(millisecondsSinceEpoch: midnight + within)
            #expect(date.millisecondsSinceEpoch == midnight, "day \(day)")
            #expect(CivilDate(date.description) == date, "day \(day)")
            // Foundation's Gregorian calendar is the independent oracle.
            let instant = Date(timeIntervalSince1970: TimeInterval(midnight / 1000))
            let parts = calendar.dateComponents([.year, .month, .day], from: instant)
            #expect([date.year, date.month, date.day] == [parts.year, parts.month, parts.day], "day \(day)")
        }
    }

    @Test func consecutiveDaysAreConsecutiveDates() {
        var previous = CivilDate(millisecondsSinceEpoch: 0)
        #expect(previous == civilDate("1970-01-01"))
        for day in stride(from: UInt64(1), through: 365 + 365 + 366, by: 1) {
            let date = CivilDate(millisecondsSinceEpoch: day * Self.millisecondsPerDay)
            #expect(previous < date)
            #expect(date.millisecondsSinceEpoch - previous.millisecondsSinceEpoch == Self.millisecondsPerDay)
            previous = date
        }
        #expect(previous == civilDate("1973-01-01"))
    }

    @Test func theLastMillisecondOfADayIsStillThatDay() {
        #expect(CivilDate(millisecondsSinceEpoch: 951_782_399_999) == civilDate("2000-02-28"))
        #expect(CivilDate(millisecondsSinceEpoch: 951_782_400_000) == civilDate("2000-02-29"))
        #expect(civilDate("2000-02-29").millisecondsSinceEpoch == 951_782_400_000)
    }

    @Test(arguments: [
        ("2024-03-14", 11), ("2024-03-15", 12), ("2024-03-16", 12), ("2025-03-14", 12), ("2012-03-15", 0),
        ("2027-03-15", 15), ("2027-03-14", 14), ("2024-01-01", 11), ("2024-12-31", 12),
    ])
    func yearsTurnOnTheBirthday(on day: String, years: Int) {
        #expect(civilDate("2012-03-15").years(until: civilDate(day)) == years)
    }

    @Test func yearsAcrossTheTurnOfTheYear() {
        let born = civilDate("2010-12-31")
        #expect(born.years(until: civilDate("2022-12-30")) == 11)
        #expect(born.years(until: civilDate("2022-12-31")) == 12)
        #expect(born.years(until: civilDate("2023-01-01")) == 12)
    }

    @Test(arguments: [
        (UInt64(0), "1970-01-01T00:00:00Z"), (1_800_000_000_000, "2027-01-15T08:00:00Z"),
        (86_399_999, "1970-01-01T23:59:59Z"), (86_400_000, "1970-01-02T00:00:00Z"),
        (951_782_400_000, "2000-02-29T00:00:00Z"), (4_133_980_799_999, "2100-12-31T23:59:59Z"),
        (1_750_000_000_123, "2025-06-15T15:06:40Z"),
    ])
    func instantsPrintAsISO8601InUTC(milliseconds: UInt64, text: String) {
        #expect(InstantText.iso8601(millisecondsSinceEpoch: milliseconds) == text)
    }
}
