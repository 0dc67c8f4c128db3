/// A Swedish personal identity number (*personnummer*) or coordination number (*samordningsnummer*), written
/// `YYYYMMDD-NNNC`: the birth date (a samordningsnummer's day plus 60, 61–91), a three-digit serial number and
/// a check digit, the Luhn digit of the ten digits `YYMMDDNNN`.
public enum Personnummer {
    /// What is wrong with `text` as a personnummer — its form, its date or its check digit — or nil when it is one.
    ///
    /// The message never gives the check digit that would match, so that it cannot be used to make numbers up.
    public static func problem(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.count == 13, bytes[8] == UInt8(ascii: "-"),
            bytes[0..<8].allSatisfy(isDigit), bytes[9..<13].allSatisfy(isDigit)
        else { return "\"\(text)\" is not a personnummer of the form YYYYMMDD-NNNN" }
        let digits = (bytes[0..<8] + bytes[9..<13]).map { Int($0 - UInt8(ascii: "0")) }
        let year = digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3]
        let month = digits[4] * 10 + digits[5]
        let day = digits[6] * 10 + digits[7]
        guard isBirthDate(year: year, month: month, day: day) else {
            return "the personnummer's date \(String(decoding: bytes[0..<8], as: UTF8.self)) is not a date "
                + "(YYYYMMDD from 1900, or a samordningsnummer's with 60 added to the day)"
        }
        guard luhnDigit(Array(digits[2..<11])) == digits[11] else {
            return "the personnummer's check digit (its last digit) does not match the other digits"
        }
        return nil
    }

    /// Whether `text` is a personnummer or samordningsnummer with a real date and a matching check digit.
    public static func isValid(_ text: String) -> Bool { problem(text) == nil }

    /// The number `YYYYMMDD-NNNC` of a birth date and a serial number (0–999), its check digit computed; a
    /// samordningsnummer when `coordination` is true (60 added to the day). Nil for a date that does not exist,
    /// a year before 1900 or after 9999, or a serial out of range.
    public static func number(year: Int, month: Int, day: Int, serial: Int, coordination: Bool = false) -> String? {
        guard (1900...9999).contains(year), (0...999).contains(serial),
            (1...12).contains(month), (1...CalendarText.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        let date = padded(year, 4) + padded(month, 2) + padded(coordination ? day + 60 : day, 2)
        let serialText = padded(serial, 3)
        let check = luhnDigit((date.dropFirst(2) + serialText).utf8.map { Int($0 - UInt8(ascii: "0")) })
        return "\(date)-\(serialText)\(check)"
    }

    /// The Luhn check digit of `digits` (each 0–9): every other digit doubled from the first, the digit sums
    /// added, and the digit that takes the total to a multiple of ten.
    public static func luhnDigit(_ digits: [Int]) -> Int {
        var sum = 0
        for (position, digit) in digits.enumerated() {
            let weighted = position.isMultiple(of: 2) ? digit * 2 : digit
            sum += weighted / 10 + weighted % 10
        }
        return (10 - sum % 10) % 10
    }

    /// A real date from 1900 on, the day as written or, for a samordningsnummer, 60 more than the real one.
    private static func isBirthDate(year: Int, month: Int, day: Int) -> Bool {
        guard year >= 1900, (1...12).contains(month) else { return false }
        let days = CalendarText.daysIn(month: month, year: year)
        return (1...days).contains(day) || (61...(60 + days)).contains(day)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func padded(_ number: Int, _ width: Int) -> String {
        let text = String(number)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
