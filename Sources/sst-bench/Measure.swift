import SSTCore

/// Wall-clock timing on the monotonic clock, and medians.
enum Measure {
    private static let origin = ContinuousClock.now

    /// Seconds since an arbitrary fixed point, from the monotonic clock.
    static func now() -> Double {
        (ContinuousClock.now - origin).inSeconds
    }

    /// The seconds `body` took.
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = now()
        try body()
        return now() - start
    }

    /// The median: the middle value, or the mean of the two middle values.
    static func median(_ values: [Double]) -> Double {
        precondition(!values.isEmpty, "the median of nothing")
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
