import SSTCore

/// Exponential backoff with jitter: attempt n waits between half and all of `min(maximum, initial · multiplierⁿ)`,
/// so that many nodes coming back after an outage do not hit the hub in step.
public struct Backoff: Hashable, Sendable {
    public var initial: Duration
    public var maximum: Duration
    public var multiplier: Double

    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30), multiplier: Double = 2) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
    }

    /// The wait before retry number `attempt` (0 for the first retry); `jitter` is a random number in `0..<1`.
    public func delay(attempt: Int, jitter: Double) -> Duration {
        let initialSeconds = initial.inSeconds
        let maximumSeconds = maximum.inSeconds
        var ceiling = initialSeconds
        for _ in 0..<max(0, min(attempt, 64)) where ceiling < maximumSeconds {
            ceiling *= multiplier
        }
        ceiling = min(ceiling, maximumSeconds)
        let fraction = 0.5 + 0.5 * min(max(jitter, 0), 1)
        return .milliseconds(Int64((ceiling * fraction * 1000).rounded()))
    }
}
