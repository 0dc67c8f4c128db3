/// The merge rules of DESIGN §3 for single-valued fields: a total order on values, and the greater wins.
///
/// Each rule is a join on a total order, so merging is commutative, associative and idempotent: every
/// replica that has seen the same values holds the same winner. `text` fields keep concurrent values
/// and are merged by ``TextRegister``.
public enum Merge {
    /// True when `incoming` replaces `current` under `kind`. Equal values with equal stamps never replace.
    public static func wins(_ incoming: FieldState, over current: FieldState, kind: MergeKind) -> Bool {
        switch kind {
        case .lww, .text, .purge:
            return incoming.stamp > current.stamp
        case .phase:
            let incomingPhase = phase(of: incoming.value)
            let currentPhase = phase(of: current.value)
            if incomingPhase != currentPhase { return isLess(currentPhase, incomingPhase) }
            return incoming.stamp > current.stamp
        case .withdrawWins:
            let incomingWithdrawn = incoming.value == .string("withdrawn")
            let currentWithdrawn = current.value == .string("withdrawn")
            if incomingWithdrawn != currentWithdrawn { return incomingWithdrawn }
            return incoming.stamp > current.stamp
        }
    }

    private static func phase(of value: Value) -> Phase? {
        if case .phase(let phase) = value { return phase }
        return nil
    }

    /// No phase (null) sorts below every phase.
    private static func isLess(_ lhs: Phase?, _ rhs: Phase?) -> Bool {
        switch (lhs, rhs) {
        case (nil, .some): true
        case (.some(let lhs), .some(let rhs)): lhs < rhs
        default: false
        }
    }
}
