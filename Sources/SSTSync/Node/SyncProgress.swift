/// Where a running sync is, for a progress bar: the phase, and how far through it.
public struct SyncProgress: Hashable, Sendable {
    public enum Phase: String, Hashable, Sendable {
        case handshake, push, pull, waiting
    }

    public var phase: Phase
    /// Sequence numbers covered so far in this phase, out of ``total`` (0 when unknown).
    public var done: Int64
    public var total: Int64

    public init(phase: Phase, done: Int64 = 0, total: Int64 = 0) {
        self.phase = phase
        self.done = done
        self.total = total
    }

    /// `done / total` in `0...1`, or `nil` when the total is unknown.
    public var fraction: Double? {
        total > 0 ? min(1, max(0, Double(done) / Double(total))) : nil
    }
}
