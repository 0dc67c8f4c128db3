/// The identity of one replica: a school node, a second node of the same school, or a hub.
///
/// 1–64 characters from `A–Z a–z 0–9 . _ -`, so that a node id is safe in file names, certificate
/// subjects and stamps (`"<timestamp>@<node>"`).
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init?(_ rawValue: String) {
        guard (1...64).contains(rawValue.utf8.count),
            rawValue.utf8.allSatisfy(Self.isAllowed)
        else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    /// Node ids order by their UTF-8 bytes, the same on every platform and in every language.
    public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
