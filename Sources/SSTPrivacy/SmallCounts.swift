/// A count as the district may see it (DESIGN §6): group-level figures with small counts suppressed, so
/// that no figure points at a few pupils.
public enum ShownCount: Hashable, Sendable, CustomStringConvertible {
    /// The count, at or above the threshold.
    case count(Int)
    /// Under the threshold: shown as `<5`.
    case small(threshold: Int)
    /// At or above the threshold, hidden with a small count beside it so that the small one cannot be worked
    /// out from a total: shown as `..` (as in Swedish official statistics, "cannot be shown").
    case hidden

    public var description: String {
        switch self {
        case .count(let count): String(count)
        case .small(let threshold): "<\(threshold)"
        case .hidden: ".."
        }
    }
}

/// Which counts of a group-level report are shown. A count under the threshold (default 5, zero included)
/// is never shown. Counts that add up to a total the reader may know (the cases of a district by phase and by
/// category add up to the same number) are a *partition*: when exactly one of them is suppressed and it is not
/// zero, the smallest of the others is hidden too, so that the suppressed one cannot be worked out by
/// subtraction.
public struct SmallCountSuppression: Hashable, Sendable {
    public let threshold: Int

    public init(threshold: Int = 5) {
        self.threshold = threshold
    }

    /// One count that is part of no partition.
    public func shown(_ count: Int) -> ShownCount {
        count < threshold ? .small(threshold: threshold) : .count(count)
    }

    /// The counts of one partition, in the same order.
    public func shown(partition counts: [Int]) -> [ShownCount] {
        var shown = counts.map(shown)
        let small = shown.indices.filter { if case .small = shown[$0] { true } else { false } }
        // A lone zero may be worked out: that no pupil is counted there says nothing about anyone.
        if small.count == 1, counts[small[0]] > 0, counts.count > 1 {
            let others = shown.indices.filter { $0 != small[0] }
            if let smallest = others.min(by: { (counts[$0], $0) < (counts[$1], $1) }) {
                shown[smallest] = .hidden
            }
        }
        return shown
    }
}
