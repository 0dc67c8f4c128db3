import Testing

@testable import SSTCore

@Suite struct TextRegisterTests {
    private func write(_ text: String, _ stamp: Stamp, context: CausalContext? = nil) -> FieldState {
        FieldState(value: .string(text), stamp: stamp, context: context)
    }

    private let planA = FieldState(value: .string("Plan från skolan"), stamp: stampAt(1_000, node: "skola-a"))
    private let planB = FieldState(value: .string("Plan från socialtjänsten"), stamp: stampAt(2_000, node: "hub"))

    @Test func textContextAlwaysCoversItsOwnStamp() {
        #expect(planA.context == nil)
        #expect(planA.textContext.covers(planA.stamp))
        #expect(!planA.textContext.covers(planB.stamp))
        #expect(!planA.textContext.covers(stampAt(1_000, 1, node: "skola-a")))
    }

    @Test func concurrentWritesAreBothKeptWithGreatestStampAsWinner() {
        for order in [[planA, planB], [planB, planA]] {
            var register = TextRegister()
            for value in order {
                let changed = register.merge(value)
                #expect(changed)
            }
            #expect(register.values.map(\.stamp) == [planB.stamp, planA.stamp])
            #expect(register.winner?.value == planB.value)
            #expect(register.losers.map(\.value) == [planA.value])
        }
    }

    @Test func writeWhoseContextCoversCurrentValueReplacesItWithoutConflict() {
        var register = TextRegister(values: [planA])
        let edit = write("Plan, reviderad av Örjan", stampAt(3_000, node: "hub"), context: planA.textContext)
        let changed = register.merge(edit)
        #expect(changed)
        #expect(register.values.map(\.value) == [.string("Plan, reviderad av Örjan")])
        #expect(register.losers.isEmpty)
    }

    @Test func oldValueArrivingAfterNewerValueThatCoversItIsIgnored() {
        let edit = write("Plan, reviderad", stampAt(3_000, node: "hub"), context: planA.textContext)
        var register = TextRegister(values: [edit])
        let changed = register.merge(planA)
        #expect(!changed)
        #expect(register.values.map(\.stamp) == [edit.stamp])
    }

    @Test func olderWriteThatCoversNothingNewIsKeptEvenIfItsStampIsSmaller() {
        // A value is dropped only when covered, never for having a smaller stamp.
        let edit = write("Plan, reviderad", stampAt(3_000, node: "hub"), context: planB.textContext)
        var register = TextRegister(values: [edit])
        let changed = register.merge(planA)
        #expect(changed)
        #expect(register.values.map(\.stamp) == [edit.stamp, planA.stamp])
    }

    @Test func mergingTheSameValueTwiceIsIdempotent() {
        var register = TextRegister()
        let addedA = register.merge(planA)
        let addedB = register.merge(planB)
        #expect(addedA && addedB)
        let once = register
        let againA = register.merge(planA)
        let againB = register.merge(planB)
        #expect(!againA && !againB)
        #expect(register == once)
    }

    @Test func initWithValuesEqualsMergingThemOneByOne() {
        var merged = TextRegister()
        merged.merge(planB)
        merged.merge(planA)
        #expect(TextRegister(values: [planA, planB, planA]) == merged)
    }

    @Test func resolvingWriteCoversEveryConcurrentValueAndLeavesExactlyOne() {
        var register = TextRegister(values: [planA, planB])
        let third = write("Plan från skola B", stampAt(1_500, node: "skola-b"))
        register.merge(third)
        #expect(register.values.count == 3)
        let stamp = stampAt(4_000, node: "skola-a")
        let context = register.contextForResolving(with: stamp)
        for value in register.values { #expect(context.covers(value.stamp), "\(value.stamp) not covered") }
        let changed = register.merge(write("Gemensam plan", stamp, context: context))
        #expect(changed)
        #expect(register.values.count == 1)
        #expect(register.winner?.value == .string("Gemensam plan"))
        #expect(register.losers.isEmpty)
    }

    @Test func overwritingWinnerLeavesOtherConcurrentValuesInConflict() {
        var register = TextRegister(values: [planA, planB])
        let stamp = stampAt(4_000, node: "hub")
        let context = register.contextForOverwritingWinner(with: stamp)
        #expect(context.covers(planB.stamp))
        #expect(!context.covers(planA.stamp))
        register.merge(write("Plan B, reviderad", stamp, context: context))
        #expect(register.values.map(\.value) == [.string("Plan B, reviderad"), planA.value])
        #expect(register.losers.map(\.stamp) == [planA.stamp])
    }

    @Test func overwritingWinnerAbsorbsContextOfOwnEarlierWrites() {
        // skola-a wrote over a skola-b value; that write is now a loser to the hub. A new skola-a write covers
        // its own earlier write and must also cover what that write covered.
        let base = write("Första versionen", stampAt(1_000, node: "skola-b"))
        let earlier = write("Skolans version", stampAt(2_500, node: "skola-a"), context: base.textContext)
        let later = write("Hubbens version", stampAt(3_000, node: "hub"))
        let register = TextRegister(values: [base, earlier, later])
        #expect(register.values.map(\.stamp) == [later.stamp, earlier.stamp])
        let context = register.contextForOverwritingWinner(with: stampAt(3_500, node: "skola-a"))
        #expect(context.covers(later.stamp))
        #expect(context.covers(earlier.stamp))
        #expect(context.covers(base.stamp))
    }

    @Test func contextsWithoutAnyValueCoverOnlyTheNewStamp() {
        let register = TextRegister()
        let stamp = stampAt(1_000, 4, node: "skola-b")
        #expect(register.contextForResolving(with: stamp) == CausalContext(stamp: stamp))
        #expect(register.contextForOverwritingWinner(with: stamp) == CausalContext(stamp: stamp))
    }

    @Test func causalContextUnionKeepsGreatestTimestampPerNode() {
        let left = CausalContext([nodeID("a"): Timestamp(milliseconds: 5, counter: 0), nodeID("b"): .zero])
        let right = CausalContext([nodeID("b"): Timestamp(milliseconds: 7, counter: 1)])
        let union = left.union(right)
        #expect(
            union.entries == [
                nodeID("a"): Timestamp(milliseconds: 5, counter: 0),
                nodeID("b"): Timestamp(milliseconds: 7, counter: 1),
            ]
        )
        #expect(union.sortedEntries.map(\.node) == [nodeID("a"), nodeID("b")])
        #expect(union.covers(stampAt(7, 1, node: "b")))
        #expect(!union.covers(stampAt(7, 2, node: "b")))
        #expect(!union.covers(stampAt(0, 0, node: "c")))
    }
}
