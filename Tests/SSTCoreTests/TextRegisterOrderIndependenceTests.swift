import Testing

@testable import SSTCore

/// Property test: a text register's content depends only on the set of writes it has merged.
///
/// Each history simulates three nodes editing one text field: every node keeps its own register and
/// clock, writes over the visible value or resolves the conflict, and now and then merges values it
/// receives from another node. All writes are then merged into fresh registers in random orders, with
/// duplicates. A failure prints the seed; replay it with `history(seed:)`.
@Suite struct TextRegisterOrderIndependenceTests {
    private struct SimulatedNode {
        let id: NodeID
        let skew: Int
        var clock = HybridLogicalClock()
        var register = TextRegister()
    }

    private struct History {
        var nodes: [SimulatedNode]
        var writes: [FieldState]
    }

    private static let nodeNames = ["hub", "skola-a", "skola-b"]

    private static func history(seed: UInt64) throws -> History {
        var generator = SplitMix64(seed: seed)
        var nodes = nodeNames.map { SimulatedNode(id: nodeID($0), skew: .random(in: -3...3, using: &generator)) }
        var writes: [FieldState] = []
        var now: UInt64 = 1_763_884_800_000
        for step in 0..<Int.random(in: 4...18, using: &generator) {
            now += .random(in: 0...2, using: &generator)
            let index = Int.random(in: 0..<nodes.count, using: &generator)
            let physical = UInt64(Int64(now) + Int64(nodes[index].skew))
            if writes.isEmpty || Bool.random(using: &generator) {
                let stamp = Stamp(timestamp: nodes[index].clock.tick(physical: physical), node: nodes[index].id)
                let register = nodes[index].register
                let context =
                    Int.random(in: 0..<3, using: &generator) == 0
                    ? register.contextForResolving(with: stamp) : register.contextForOverwritingWinner(with: stamp)
                let write = FieldState(
                    value: .string("text \(step) från \(stamp.node)"),
                    stamp: stamp,
                    context: context
                )
                nodes[index].register.merge(write)
                writes.append(write)
            } else {
                let source = Int.random(in: 0..<nodes.count, using: &generator)
                // Either what another node currently holds, or any earlier write delivered late.
                let delivered =
                    Bool.random(using: &generator)
                    ? Array(nodes[source].register.values)
                    : (0..<Int.random(in: 1...3, using: &generator)).map { _ in writes.randomElement(using: &generator)!
                    }
                for value in delivered {
                    _ = try nodes[index].clock.receive(value.stamp.timestamp, physical: physical)
                    nodes[index].register.merge(value)
                }
            }
        }
        return History(nodes: nodes, writes: writes)
    }

    /// What the register documents: every written value that no other written value covers, greatest stamp first.
    private static func uncovered(_ writes: [FieldState]) -> [FieldState] {
        writes.filter { value in
            !writes.contains { $0.stamp != value.stamp && $0.textContext.covers(value.stamp) }
        }
        .map { FieldState(value: $0.value, stamp: $0.stamp, context: $0.textContext) }
        .sorted { $0.stamp > $1.stamp }
    }

    @Test func everyNodeStampsItsWritesInIncreasingOrder() throws {
        for seed in UInt64(1)...100 {
            let history = try Self.history(seed: seed)
            for node in history.nodes {
                let own = history.writes.filter { $0.stamp.node == node.id }.map(\.stamp)
                #expect(own == own.sorted() && Set(own).count == own.count, "seed \(seed), node \(node.id)")
            }
        }
    }

    /// Guards the property tests against vacuity: the histories must produce conflicts and supersede values.
    @Test func historiesProduceBothConflictsAndSupersededValues() throws {
        var conflicted = 0
        var superseded = 0
        for seed in UInt64(1)...400 {
            let history = try Self.history(seed: seed)
            let merged = TextRegister(values: history.writes).values
            if merged.count > 1 { conflicted += 1 }
            if merged.count < history.writes.count - 1 { superseded += 1 }
        }
        print("text register histories: \(conflicted) of 400 end in conflict, \(superseded) supersede values")
        #expect(conflicted >= 100)
        #expect(superseded >= 100)
    }

    @Test func mergeResultIsIndependentOfOrderAndDuplication() throws {
        var failures = 0
        for seed in UInt64(1)...400 {
            let history = try Self.history(seed: seed)
            var generator = SplitMix64(seed: seed ^ 0xA5A5)
            let reference = TextRegister(values: history.writes).values
            for permutation in 0..<30 {
                let duplicates = (0..<Int.random(in: 0...4, using: &generator)).compactMap { _ in
                    history.writes.randomElement(using: &generator)
                }
                let order = (history.writes + duplicates).shuffled(using: &generator)
                var register = TextRegister()
                for value in order { register.merge(value) }
                if register.values != reference {
                    failures += 1
                    Issue.record(
                        """
                        seed \(seed), permutation \(permutation): \(register.values.map(\.stamp)) \
                        != \(reference.map(\.stamp)); writes \(history.writes.map(\.stamp))
                        """
                    )
                    break
                }
            }
            if failures >= 5 { return }
        }
    }

    @Test func everyNodeConvergesOnceItHasMergedAllWrites() throws {
        for seed in UInt64(1)...400 {
            var history = try Self.history(seed: seed)
            let reference = TextRegister(values: history.writes).values
            for index in history.nodes.indices {
                for value in history.writes.reversed() { history.nodes[index].register.merge(value) }
                #expect(
                    history.nodes[index].register.values == reference,
                    "seed \(seed), node \(history.nodes[index].id)"
                )
            }
        }
    }

    @Test func mergedValuesAreExactlyTheWritesNoOtherWriteCovers() throws {
        for seed in UInt64(1)...400 {
            let history = try Self.history(seed: seed)
            var generator = SplitMix64(seed: seed)
            let merged = TextRegister(values: history.writes.shuffled(using: &generator)).values
            #expect(
                merged.map(\.stamp) == Self.uncovered(history.writes).map(\.stamp),
                "seed \(seed): writes \(history.writes.map(\.stamp))"
            )
        }
    }
}
