/// The hub's answer to `GET /v2/recovery`: whether its recovery window is open, after a restore from a backup
/// and `sst node rejoin`. While it is, a school's pushes may carry the values of social services' fields the hub
/// wrote under one of its previous ids, for the school's own pupils (``SSTStore/Store/hubRecoveryAnswered(by:open:previous:until:)``).
public struct RecoveryAnswer: Codable, Hashable, Sendable {
    /// The hub's node id now.
    public var hub: String
    /// Whether the window is open now.
    public var open: Bool
    /// The hub's previous node ids: a value stamped by one of them may be given back. Empty when closed.
    public var previous: [String]
    /// When the window closes by itself, in milliseconds since the Unix epoch; absent: when the operator closes it.
    public var until: UInt64?

    public init(hub: String, open: Bool, previous: [String], until: UInt64?) {
        self.hub = hub
        self.open = open
        self.previous = previous
        self.until = until
    }
}
