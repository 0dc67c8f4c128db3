/// A multi-value register for `text` fields: every concurrent value is kept until one write supersedes
/// them all.
///
/// A value is dropped only when another value's causal context covers its stamp, that is, when its
/// writer had seen it. The visible value (``winner``) is the one with the greatest stamp; the others
/// are the conflict a person resolves. Merging is a join (union, then drop covered values), so the
/// same set of writes gives the same register in any order, with any duplication.
public struct TextRegister: Hashable, Sendable {
    /// The values no other value covers, greatest stamp first.
    public private(set) var values: [FieldState]

    public init(values: [FieldState] = []) {
        self.values = []
        for value in values { merge(value) }
    }

    /// The value shown: the greatest stamp among the concurrent values.
    public var winner: FieldState? { values.first }
    /// The concurrent values that lost to ``winner`` and wait for a person to resolve them.
    public var losers: ArraySlice<FieldState> { values.dropFirst() }

    /// Merges one written value. Returns true when the register changed (a value or a context).
    ///
    /// A covered value is dropped and its context absorbed by the value that covers it, so that what
    /// it covered stays covered even if its writer sent a context that was not closed; the same value
    /// arriving with a larger context widens the held one. Contexts only grow, so this terminates and
    /// every replica ends with the same values.
    @discardableResult
    public mutating func merge(_ incoming: FieldState) -> Bool {
        let incoming = FieldState(value: incoming.value, stamp: incoming.stamp, context: incoming.textContext)
        let before = values
        if let index = values.firstIndex(where: {
            $0.stamp == incoming.stamp || $0.textContext.covers(incoming.stamp)
        }) {
            values[index] = values[index].absorbing(incoming.textContext)
        } else {
            let index = values.firstIndex { $0.stamp < incoming.stamp } ?? values.count
            values.insert(incoming, at: index)
        }
        dropCoveredValues()
        return values != before
    }

    /// Removes every value another value covers, moving its context into the one that covers it.
    private mutating func dropCoveredValues() {
        while let (covered, cover) = coveredPair() {
            values[cover] = values[cover].absorbing(values[covered].textContext)
            values.remove(at: covered)
        }
    }

    private func coveredPair() -> (covered: Int, cover: Int)? {
        for covered in values.indices {
            for cover in values.indices where cover != covered {
                if values[cover].textContext.covers(values[covered].stamp) { return (covered, cover) }
            }
        }
        return nil
    }

    /// The context of a local write that replaces only the visible value: the other concurrent values
    /// stay in conflict, so no value a person has not seen is overwritten.
    ///
    /// The context is closed: it absorbs the context of every held value it covers (a node's new write
    /// covers its own earlier writes), so that whatever an ancestor covered stays covered once the
    /// ancestor is dropped, and replicas agree on which values remain.
    public func contextForOverwritingWinner(with stamp: Stamp) -> CausalContext {
        var context = winner?.textContext ?? CausalContext()
        context.include(stamp)
        var absorbed = Set<Stamp>()
        while let next = values.first(where: { !absorbed.contains($0.stamp) && context.covers($0.stamp) }) {
            absorbed.insert(next.stamp)
            context = context.union(next.textContext)
        }
        return context
    }

    /// The context of a write that resolves the conflict: it covers every concurrent value.
    public func contextForResolving(with stamp: Stamp) -> CausalContext {
        var context = values.reduce(CausalContext()) { $0.union($1.textContext) }
        context.include(stamp)
        return context
    }
}

extension FieldState {
    /// The same value and stamp with `context` added to its own.
    func absorbing(_ context: CausalContext) -> FieldState {
        FieldState(value: value, stamp: stamp, context: textContext.union(context))
    }
}
