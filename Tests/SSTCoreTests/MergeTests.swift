import Testing

@testable import SSTCore

@Suite struct MergeTests {
    private func state(
        _ value: Value,
        _ milliseconds: UInt64,
        _ counter: UInt16 = 0,
        node: String = "skola-a"
    )
        -> FieldState
    {
        FieldState(value: value, stamp: stampAt(milliseconds, counter, node: node))
    }

    private func phase(_ generation: Int, _ step: Phase.Step) -> Value {
        .phase(Phase(generation: generation, step: step))
    }

    // MARK: lww, text, purge

    @Test(arguments: [MergeKind.lww, .text, .purge])
    func greaterStampWins(kind: MergeKind) {
        let older = state(.string("Åsa"), 1_000, 1)
        let newer = state(.string("Örjan"), 1_000, 2)
        #expect(Merge.wins(newer, over: older, kind: kind))
        #expect(!Merge.wins(older, over: newer, kind: kind))
        let otherNode = state(.string("Änglas"), 1_000, 2, node: "skola-b")
        #expect(Merge.wins(otherNode, over: newer, kind: kind))
    }

    @Test(arguments: MergeKind.allCases)
    func equalStampDoesNotReplace(kind: MergeKind) {
        let current = state(.string("active"), 1_000, 1)
        #expect(!Merge.wins(current, over: current, kind: kind))
    }

    // MARK: phase

    @Test func greaterPhaseWinsEvenWithSmallerStamp() {
        let planning = state(phase(1, .planning), 5_000)
        let earlierButFurther = state(phase(1, .followUp), 1_000)
        #expect(Merge.wins(earlierButFurther, over: planning, kind: .phase))
        #expect(!Merge.wins(planning, over: earlierButFurther, kind: .phase))
        let reopened = state(phase(2, .opened), 500)
        let closed = state(phase(1, .closed), 9_000)
        #expect(Merge.wins(reopened, over: closed, kind: .phase))
        #expect(!Merge.wins(closed, over: reopened, kind: .phase))
    }

    @Test func equalPhasesFallBackToGreaterStamp() {
        let first = state(phase(1, .inProgress), 1_000)
        let second = state(phase(1, .inProgress), 2_000)
        #expect(Merge.wins(second, over: first, kind: .phase))
        #expect(!Merge.wins(first, over: second, kind: .phase))
    }

    @Test func nullPhaseLosesToAnyPhaseWhateverTheStamps() {
        let noticed = state(phase(1, .noticed), 1_000)
        let cleared = state(.null, 9_000)
        #expect(!Merge.wins(cleared, over: noticed, kind: .phase))
        #expect(Merge.wins(noticed, over: cleared, kind: .phase))
        #expect(Merge.wins(state(.null, 9_001), over: cleared, kind: .phase))
    }

    // MARK: withdrawWins

    @Test(arguments: ["active", "pending", "refused"])
    func withdrawnBeatsOtherStatusEvenWithSmallerStamp(status: String) {
        let withdrawn = state(.string("withdrawn"), 1_000)
        let other = state(.string(status), 9_000, node: "skola-b")
        #expect(Merge.wins(withdrawn, over: other, kind: .withdrawWins))
        #expect(!Merge.wins(other, over: withdrawn, kind: .withdrawWins))
    }

    @Test func withdrawnBeatsNull() {
        #expect(Merge.wins(state(.string("withdrawn"), 1), over: state(.null, 9), kind: .withdrawWins))
        #expect(!Merge.wins(state(.null, 9), over: state(.string("withdrawn"), 1), kind: .withdrawWins))
    }

    @Test func twoNonWithdrawnStatusesFallBackToStamp() {
        let pending = state(.string("pending"), 1_000)
        let active = state(.string("active"), 2_000)
        #expect(Merge.wins(active, over: pending, kind: .withdrawWins))
        #expect(!Merge.wins(pending, over: active, kind: .withdrawWins))
        let laterPending = state(.string("pending"), 3_000)
        #expect(Merge.wins(laterPending, over: active, kind: .withdrawWins))
    }

    @Test func twoWithdrawnFallBackToStamp() {
        let first = state(.string("withdrawn"), 1_000)
        let second = state(.string("withdrawn"), 2_000, node: "hub")
        #expect(Merge.wins(second, over: first, kind: .withdrawWins))
        #expect(!Merge.wins(first, over: second, kind: .withdrawWins))
    }

    // MARK: properties

    private static func randomState(kind: MergeKind, using generator: inout SplitMix64) -> FieldState {
        let values: [Value] =
            switch kind {
            case .lww, .text: [.null, .string("Åsa"), .string("Björn"), .integer(7), .boolean(false)]
            case .purge: [.boolean(true)]
            case .phase:
                [.null]
                    + [1, 2].flatMap { generation in
                        Phase.Step.allCases.map { .phase(Phase(generation: generation, step: $0)) }
                    }
            case .withdrawWins: [.null] + Schema.consentStatuses.map(Value.string)
            }
        let node = ["hub", "skola-a", "skola-b"].randomElement(using: &generator)!
        return FieldState(
            value: values.randomElement(using: &generator)!,
            stamp: stampAt(.random(in: 0...3, using: &generator), .random(in: 0...2, using: &generator), node: node)
        )
    }

    /// Distinct writes carry distinct stamps; for those, `wins` is a strict total order.
    @Test(arguments: MergeKind.allCases)
    func winsIsAntisymmetricTotalAndTransitiveForDistinctStamps(kind: MergeKind) {
        for seed in UInt64(1)...300 {
            var generator = SplitMix64(seed: seed)
            let states = (0..<3).map { _ in Self.randomState(kind: kind, using: &generator) }
            guard Set(states.map(\.stamp)).count == states.count else { continue }
            let (a, b, c) = (states[0], states[1], states[2])
            let exactlyOne = Merge.wins(a, over: b, kind: kind) != Merge.wins(b, over: a, kind: kind)
            #expect(exactlyOne, "seed \(seed): \(a) vs \(b)")
            if Merge.wins(a, over: b, kind: kind) && Merge.wins(b, over: c, kind: kind) {
                #expect(Merge.wins(a, over: c, kind: kind), "seed \(seed): not transitive \(a) > \(b) > \(c)")
            }
            if !exactlyOne { return }
        }
    }

    @Test(arguments: MergeKind.allCases)
    func winnerIsIndependentOfArrivalOrder(kind: MergeKind) {
        func fold(_ states: [FieldState]) -> FieldState {
            states.dropFirst().reduce(states[0]) { Merge.wins($1, over: $0, kind: kind) ? $1 : $0 }
        }
        for seed in UInt64(1)...200 {
            var generator = SplitMix64(seed: seed)
            var states: [FieldState] = []
            for _ in 0..<6 {
                let next = Self.randomState(kind: kind, using: &generator)
                if !states.contains(where: { $0.stamp == next.stamp }) { states.append(next) }
            }
            let expected = fold(states)
            for _ in 0..<10 {
                let shuffled = (states + states.prefix(2)).shuffled(using: &generator)
                #expect(fold(shuffled) == expected, "seed \(seed)")
            }
        }
    }
}
