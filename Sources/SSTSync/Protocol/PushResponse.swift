/// The hub's answer to a push it applied (or had already applied: a replay answers the same way).
public struct PushResponse: Codable, Hashable, Sendable {
    /// Field changes in the pushed set.
    public var received: Int
    /// Changes that altered the hub's state; a replay applies none.
    public var applied: Int
    /// The node's sequence number the hub now has everything up to: the next push starts after it.
    public var cursor: Int64

    public init(received: Int, applied: Int, cursor: Int64) {
        self.received = received
        self.applied = applied
        self.cursor = cursor
    }
}
