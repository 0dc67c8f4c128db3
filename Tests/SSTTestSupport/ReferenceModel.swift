import SSTCore

/// What the merged state must be after every write has reached a replica, computed straight from the
/// list of writes by the rules of DESIGN §3 — independently of the store's incremental merge.
public struct ReferenceModel {
    public struct FieldKey: Hashable, Sendable {
        public let entity: String
        public let record: RecordID
        public let field: String

        public init(entity: String, record: RecordID, field: String) {
            self.entity = entity
            self.record = record
            self.field = field
        }
    }

    /// The expected visible value of every field of every record that is not purged.
    public private(set) var winners: [FieldKey: FieldState] = [:]
    /// The expected concurrent values kept beside the winner of each text field.
    public private(set) var conflicts: [FieldKey: Set<FieldState>] = [:]
    /// Purged records and the greatest purge stamp.
    public private(set) var purged: [FieldKey: Stamp] = [:]

    public init(writes: [FieldChange], schema: Schema) {
        let grouped = Dictionary(grouping: writes) { FieldKey(entity: $0.entity, record: $0.record, field: $0.field) }
        for (key, changes) in grouped where key.field == Schema.purgedField {
            purged[FieldKey(entity: key.entity, record: key.record, field: "")] = changes.map(\.stamp).max()!
        }
        for (key, changes) in grouped where key.field != Schema.purgedField {
            if purged[FieldKey(entity: key.entity, record: key.record, field: "")] != nil { continue }
            let field = schema.entity(named: key.entity)!.field(named: key.field)!
            let states = changes.map(\.state)
            switch field.merge {
            case .text:
                // The values no other value's context covers; the greatest stamp is shown.
                let maximal = states.filter { candidate in
                    !states.contains { $0.stamp != candidate.stamp && $0.textContext.covers(candidate.stamp) }
                }
                let winner = maximal.max { $0.stamp < $1.stamp }!
                winners[key] = winner
                let losers = Set(maximal.filter { $0.stamp != winner.stamp })
                if !losers.isEmpty { conflicts[key] = losers }
            case .phase:
                winners[key] = states.max { Self.phaseOrder($0) < Self.phaseOrder($1) }!
            case .withdrawWins:
                let withdrawn = states.filter { $0.value == .string("withdrawn") }
                winners[key] = (withdrawn.isEmpty ? states : withdrawn).max { $0.stamp < $1.stamp }!
            case .lww, .purge:
                winners[key] = states.max { $0.stamp < $1.stamp }!
            }
        }
    }

    public func isPurged(entity: String, record: RecordID) -> Stamp? {
        purged[FieldKey(entity: entity, record: record, field: "")]
    }

    private static func phaseOrder(_ state: FieldState) -> (Int, Int, Stamp) {
        guard case .phase(let phase) = state.value else { return (0, -1, state.stamp) }
        return (phase.generation, Phase.Step.allCases.firstIndex(of: phase.step)!, state.stamp)
    }
}
