/// The stamp every field value carries: the hybrid logical time it was written and the node that wrote it.
///
/// Stamps order by timestamp, then node id, so every replica picks the same winner. The text form is
/// `"<milliseconds>:<counter>@<node>"`.
public struct Stamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let timestamp: Timestamp
    public let node: NodeID

    public init(timestamp: Timestamp, node: NodeID) {
        self.timestamp = timestamp
        self.node = node
    }

    public init?(text: String) {
        guard let at = text.firstIndex(of: "@"),
            let timestamp = Timestamp(text: text[..<at]),
            let node = NodeID(String(text[text.index(after: at)...]))
        else { return nil }
        self.init(timestamp: timestamp, node: node)
    }

    public var description: String { "\(timestamp)@\(node)" }

    public static func < (lhs: Stamp, rhs: Stamp) -> Bool {
        if lhs.timestamp != rhs.timestamp { return lhs.timestamp < rhs.timestamp }
        return lhs.node < rhs.node
    }
}
