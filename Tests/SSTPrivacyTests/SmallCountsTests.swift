import SSTCore
import SSTPrivacy
import Testing

@Suite struct SmallCountsTests {
    let suppression = SmallCountSuppression()

    @Test func aCountUnderFiveIsNeverShownZeroIncluded() {
        for count in 0..<5 {
            #expect(suppression.shown(count) == .small(threshold: 5))
            #expect(suppression.shown(count).description == "<5")
        }
        #expect(suppression.shown(5) == .count(5))
        #expect(suppression.shown(1_234).description == "1234")
        #expect(SmallCountSuppression(threshold: 10).shown(9).description == "<10")
    }

    @Test func oneSmallCountInAPartitionHidesTheSmallestOtherOne() {
        // 12 + 3 + 7 = 22: with 12 and 7 shown, a reader who knows the 22 would find the 3.
        #expect(suppression.shown(partition: [12, 3, 7]) == [.count(12), .small(threshold: 5), .hidden])
        // Ties: the first of the smallest.
        #expect(suppression.shown(partition: [6, 6, 2]).map(\.description) == ["..", "6", "<5"])
        // Two categories, one with a single case: the other one and the total would give it away.
        #expect(suppression.shown(partition: [7, 1]).map(\.description) == ["..", "<5"])
        // A lone zero may be worked out: no pupil is counted there.
        #expect(suppression.shown(partition: [7, 0]).map(\.description) == ["7", "<5"])
    }

    @Test func twoOrMoreSmallCountsOrNoneHideNothingMore() {
        #expect(suppression.shown(partition: [3, 0, 9]) == [.small(threshold: 5), .small(threshold: 5), .count(9)])
        #expect(suppression.shown(partition: [5, 9, 40]) == [.count(5), .count(9), .count(40)])
        #expect(suppression.shown(partition: [2]) == [.small(threshold: 5)])
        #expect(suppression.shown(partition: [8]) == [.count(8)])
        #expect(suppression.shown(partition: []) == [])
    }

    /// Over random partitions: no count under five is shown, every shown count is the true one, and a partition
    /// of two or more never leaves exactly one count other than zero unshown (its total and the others would
    /// give it away).
    @Test func randomPartitionsNeverGiveASmallCountAway() {
        var random = SplitMix64(seed: 0x534D_414C_4C)
        for _ in 0..<2_000 {
            let size = Int.random(in: 1...8, using: &random)
            let counts = (0..<size).map { _ in
                Bool.random(using: &random)
                    ? Int.random(in: 0..<5, using: &random) : Int.random(in: 5..<60, using: &random)
            }
            let shown = suppression.shown(partition: counts)
            #expect(shown.count == counts.count)
            var unshown = 0
            var hidden: [Int] = []
            for (index, (count, cell)) in zip(counts, shown).enumerated() {
                switch cell {
                case .count(let value):
                    #expect(value == count && value >= 5, "\(counts) shown as \(shown)")
                case .small:
                    #expect(count < 5, "\(counts) shown as \(shown)")
                    unshown += 1
                case .hidden:
                    #expect(count >= 5, "\(counts) shown as \(shown)")
                    unshown += 1
                    hidden.append(index)
                }
            }
            let small = counts.filter { $0 < 5 }.count
            #expect(small == unshown - hidden.count, "every count under five, and only those, is small")
            if counts.count > 1, unshown == 1 {
                #expect(counts.contains(0), "only a zero may be left alone: \(counts) shown as \(shown)")
            }
            // Hiding goes no further than it must: one count, and only beside a lone small one that is not zero.
            let loneNonzero = small == 1 && counts.contains { $0 > 0 && $0 < 5 } && counts.count > 1
            #expect(hidden.count == (loneNonzero ? 1 : 0), "\(counts) shown as \(shown)")
            if let index = hidden.first {
                #expect(counts[index] == counts.filter { $0 >= 5 }.min(), "the smallest other count is hidden")
            }
        }
    }
}
