/// What a writer of a `text` field had seen of that field: for each node, the greatest timestamp of
/// that node's writes to the field (a version vector).
///
/// A text value `a` is an ancestor of `b` when `b`'s context covers `a`'s stamp; two values neither of
/// which covers the other are concurrent, and both are kept until a person resolves the conflict.
public struct CausalContext: Hashable, Sendable {
    public private(set) var entries: [NodeID: Timestamp]

    public init(_ entries: [NodeID: Timestamp] = [:]) {
        self.entries = entries
    }

    /// The context of a value written with no knowledge of any other value.
    public init(stamp: Stamp) {
        self.entries = [stamp.node: stamp.timestamp]
    }

    public func covers(_ stamp: Stamp) -> Bool {
        guard let seen = entries[stamp.node] else { return false }
        return stamp.timestamp <= seen
    }

    /// Adds one stamp to the context.
    public mutating func include(_ stamp: Stamp) {
        entries[stamp.node] = max(entries[stamp.node] ?? .zero, stamp.timestamp)
    }

    public func union(_ other: CausalContext) -> CausalContext {
        CausalContext(entries.merging(other.entries, uniquingKeysWith: max))
    }

    /// Entries sorted by node id: the canonical order for encoding.
    public var sortedEntries: [(node: NodeID, timestamp: Timestamp)] {
        entries.sorted { $0.key < $1.key }.map { (node: $0.key, timestamp: $0.value) }
    }
}
