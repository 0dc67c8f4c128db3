/// A calendar date (UTC), for consent validity: `YYYY-MM-DD`, ordered, with whole months added.
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), (1...Self.days(inMonth: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The UTC date of an instant given in milliseconds since the Unix epoch.
    public init(millisecondsSinceEpoch milliseconds: UInt64) {
        // Howard Hinnant's civil_from_days.
        let days = Int(milliseconds / 86_400_000) + 719_468
        let era = days / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        self.year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.month = month
        self.day = day
    }

    /// Midnight UTC at the start of this day, in milliseconds since the Unix epoch (0 before 1970).
    public var millisecondsSinceEpoch: UInt64 {
        // Howard Hinnant's days_from_civil.
        let shifted = month <= 2 ? year - 1 : year
        let era = shifted / 400
        let yearOfEra = shifted - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return UInt64(max(0, days)) * 86_400_000
    }

    /// The same day `months` later; the last day of the month when that day does not exist.
    public func adding(months: Int) -> CivilDate {
        let total = year * 12 + (month - 1) + months
        let year = total / 12
        let month = total % 12 + 1
        return CivilDate(year: year, month: month, day: min(day, Self.days(inMonth: month, year: year)))!
    }

    /// Whole years from `self` (a birth date) to `date`.
    public func years(until date: CivilDate) -> Int {
        var years = date.year - year
        if (date.month, date.day) < (month, day) { years -= 1 }
        return years
    }

    public var description: String {
        func pad(_ number: Int, _ width: Int) -> String {
            let text = String(number)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// Instants as ISO 8601 text in UTC, without Foundation's formatters.
public enum InstantText {
    /// `YYYY-MM-DDTHH:MM:SSZ` for milliseconds since the Unix epoch.
    public static func iso8601(millisecondsSinceEpoch milliseconds: UInt64) -> String {
        let date = CivilDate(millisecondsSinceEpoch: milliseconds)
        let seconds = Int((milliseconds / 1000) % 86_400)
        func pad(_ number: Int) -> String { number < 10 ? "0\(number)" : String(number) }
        return "\(date)T\(pad(seconds / 3600)):\(pad(seconds / 60 % 60)):\(pad(seconds % 60))Z"
    }
}
