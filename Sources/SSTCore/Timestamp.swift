/// A hybrid logical clock value: 48 bits of milliseconds since the Unix epoch and a 16-bit counter.
///
/// Timestamps order by milliseconds, then counter. The text form is `"<milliseconds>:<counter>"`,
/// for example `"1763884800000:3"`; it is what change sets carry on the wire.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The largest millisecond value that fits in 48 bits (year 10889).
    public static let maxMilliseconds: UInt64 = (1 << 48) - 1
    /// The largest counter value that fits in 16 bits.
    public static let maxCounter: UInt16 = .max
    public static let zero = Timestamp(milliseconds: 0, counter: 0)

    /// The packed 64-bit form: milliseconds in the high 48 bits, counter in the low 16.
    public let rawValue: UInt64

    public var milliseconds: UInt64 { rawValue >> 16 }
    public var counter: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    public init(milliseconds: UInt64, counter: UInt16) {
        precondition(milliseconds <= Self.maxMilliseconds, "milliseconds beyond 48 bits")
        self.rawValue = milliseconds << 16 | UInt64(counter)
    }

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Parses the text form `"<milliseconds>:<counter>"` (ASCII digits, one colon); returns nil for anything
    /// else. Reads the UTF-8 bytes directly: change sets carry one or more timestamps per field.
    public init?(text: some StringProtocol) {
        var milliseconds: UInt64 = 0
        var counter: UInt64 = 0
        var digitsBefore = 0
        var digitsAfter = 0
        var afterColon = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let digit = UInt64(byte &- UInt8(ascii: "0"))
                if afterColon {
                    counter = counter * 10 + digit
                    guard counter <= UInt64(Self.maxCounter) else { return nil }
                    digitsAfter += 1
                } else {
                    milliseconds = milliseconds * 10 + digit
                    guard milliseconds <= Self.maxMilliseconds else { return nil }
                    digitsBefore += 1
                }
            case UInt8(ascii: ":") where !afterColon:
                afterColon = true
            default:
                return nil
            }
        }
        guard digitsBefore > 0, digitsAfter > 0 else { return nil }
        self.init(milliseconds: milliseconds, counter: UInt16(counter))
    }

    public var description: String { "\(milliseconds):\(counter)" }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.rawValue < rhs.rawValue }
}
