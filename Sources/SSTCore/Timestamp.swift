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

    /// Parses the text form `"<milliseconds>:<counter>"`; returns nil for anything else.
    public init?(text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2,
            parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }),
            let milliseconds = UInt64(parts[0]), milliseconds <= Self.maxMilliseconds,
            let counter = UInt16(parts[1])
        else { return nil }
        self.init(milliseconds: milliseconds, counter: counter)
    }

    public var description: String { "\(milliseconds):\(counter)" }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
