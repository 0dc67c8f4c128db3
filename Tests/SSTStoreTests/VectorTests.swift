import Foundation
import SSTCore
import SSTStore
import Testing

/// Runs the shared protocol test vectors of Protocol/vectors (format and semantics: its README.md).
///
/// A vector with `expected` must give that canonical dump, and the same bytes when its change sets are
/// applied in reverse, each twice, regrouped into one set, and one change per set in seeded random orders.
/// A vector with `expectedError` must be refused at its last change set with that code, and the refused
/// set must leave no trace.
@Suite struct VectorTests {
    static let vectorNames = Vector.names()

    /// Shuffle seeds start here: `SST_VECTOR_SEED` to replay a failure, otherwise a new one each run.
    static let baseSeed =
        ProcessInfo.processInfo.environment["SST_VECTOR_SEED"].flatMap { UInt64($0) }
        ?? UInt64.random(in: .min ... .max)
    static let shuffleRounds = 4

    @Test func theVectorsAreFound() {
        #expect(Self.vectorNames.count >= 30, "found \(Self.vectorNames) in \(Vector.directory.path)")
    }

    @Test(arguments: vectorNames)
    func vector(_ name: String) throws {
        let vector = try Vector.load(name)
        if let expected = vector.expected {
            try checkConvergence(vector, expected: expected)
        } else if let refusal = vector.expectedError {
            try checkRefusal(vector, at: refusal.changeSet, code: refusal.code)
        }
    }

    // MARK: Vectors with an expected dump

    private func checkConvergence(_ vector: Vector, expected: VectorJSON) throws {
        let store = try makeStore(vector)
        let sets = try apply(vector.changeSets, to: store)
        let text = try store.dumpText()
        let actual = try VectorJSON.parse(Data(text.utf8))
        // The values compare as JSON (both rendered canonically), then the text as the canonical rendering.
        let expectedText = expected.canonical.rendered()
        let matches = sameBytes(actual.canonical.rendered(), expectedText)
        #expect(matches, "the dump differs from \"expected\"; actual:\n\(text)\nexpected:\n\(expectedText)")
        let canonical = sameBytes(text, actual.canonical.rendered() + "\n")
        #expect(canonical, "the dump is not the canonical rendering of its JSON:\n\(text)")
        let stable = sameBytes(try store.dumpText(), text)
        #expect(stable, "a second dump differs from the first")

        let variants: [(label: String, sets: [ChangeSet])] = [
            ("the change sets in reverse order", sets.reversed()),
            ("every change set applied twice", sets.flatMap { [$0, $0] }),
            ("all changes regrouped into one change set", [regrouped(sets)]),
        ]
        for variant in variants {
            try expectSameDump(text, vector: vector, sets: variant.sets, variant.label)
        }
        for round in 0..<Self.shuffleRounds {
            let seed = Self.baseSeed &+ UInt64(round)
            var random = VectorShuffleRandom(seed: seed)
            let singles = sets.flatMap { set in
                set.changes.map { ChangeSet(origin: origin(of: set), side: set.side, since: 0, upTo: 1, changes: [$0]) }
            }
            try expectSameDump(
                text,
                vector: vector,
                sets: singles.shuffled(using: &random),
                "one change per change set, shuffled with seed \(seed) (replay: SST_VECTOR_SEED=\(seed))"
            )
        }
    }

    /// All changes of `sets`, in order, as one change set from the first set's origin.
    private func regrouped(_ sets: [ChangeSet]) -> ChangeSet {
        let changes = sets.flatMap(\.changes)
        return ChangeSet(
            origin: origin(of: sets[0]),
            side: sets[0].side,
            since: 0,
            upTo: Int64(changes.count),
            changes: changes
        )
    }

    private func expectSameDump(_ text: String, vector: Vector, sets: [ChangeSet], _ label: String) throws {
        let store = try makeStore(vector)
        for set in sets {
            try store.apply(set)
        }
        let other = try store.dumpText()
        let same = sameBytes(other, text)
        #expect(same, "\(label) gives another dump:\n\(other)\nthan the change sets in order:\n\(text)")
    }

    // MARK: Vectors with an expected refusal

    private func checkRefusal(_ vector: Vector, at bad: Int, code: ChangeSetError.Code) throws {
        let store = try makeStore(vector)
        _ = try apply(Array(vector.changeSets[..<bad]), to: store)
        let before = try Snapshot(store)
        do {
            try store.apply(try ChangeSetCodec.decode(vector.changeSets[bad]))
            Issue.record("change set \(bad) was applied; it should be refused with \(code)")
        } catch let error as ChangeSetError {
            #expect(error.code == code, "change set \(bad) was refused with \(error.code), not \(code): \(error)")
        } catch {
            Issue.record("change set \(bad) was refused with \(type(of: error)), not ChangeSetError \(code): \(error)")
        }
        let after = try Snapshot(store)
        let untouched = sameBytes(after.dump, before.dump)
        #expect(untouched, "the refused change set changed the dump:\n\(after.dump)")
        #expect(after.clock == before.clock, "the refused change set moved the clock")
        #expect(after.sequence == before.sequence, "the refused change set used local sequence numbers")
        #expect(after.cursors == before.cursors, "the refused change set moved a peer's cursor")
    }

    /// What a refused change set must leave untouched: the dump byte for byte, the clock, the local
    /// sequence and the peers' cursors.
    private struct Snapshot {
        let dump: String
        let clock: HybridLogicalClock
        let sequence: Int64
        let cursors: [String]

        init(_ store: Store) throws {
            dump = try store.dumpText()
            clock = try store.clock()
            sequence = try store.lastSequence()
            cursors = try store.cursors().map { "\($0.peer)=\($0.cursor)" }
        }
    }

    // MARK: Helpers

    private func makeStore(_ vector: Vector) throws -> Store {
        try Store.inMemory(
            identity: vector.node,
            maxClockOffsetMilliseconds: vector.maxClockOffsetMilliseconds,
            physicalClock: VectorPhysicalClock(now: vector.physicalTime)
        )
    }

    /// Decodes and applies change-set files in order; a refusal fails naming the set.
    private func apply(_ files: [Data], to store: Store) throws -> [ChangeSet] {
        try files.enumerated().map { index, data in
            do {
                let set = try ChangeSetCodec.decode(data)
                try store.apply(set)
                return set
            } catch {
                throw VectorProblem("change set \(index) was refused: \(error)")
            }
        }
    }

    /// Byte equality: Swift's `==` on strings would equate NFC and NFD.
    private func sameBytes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.elementsEqual(rhs.utf8)
    }

    private func origin(of set: ChangeSet) -> NodeID {
        set.originNode ?? NodeID("invalid-origin")!
    }
}
