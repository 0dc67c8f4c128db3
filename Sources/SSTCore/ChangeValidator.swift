/// Checks every change of a change set against the schema and the local clock before anything is
/// applied.
public struct ChangeValidator: Sendable {
    public let schema: Schema

    public init(schema: Schema) {
        self.schema = schema
    }

    /// Throws the first problem found, naming the change by its position, entity, record and field.
    public func validate(_ changeSet: ChangeSet, clock: HybridLogicalClock, physical: UInt64) throws(ChangeSetError) {
        guard changeSet.originNode != nil else {
            throw ChangeSetError(
                .corrupt,
                "the change set's origin \"\(changeSet.origin)\" is not a node id",
                remedy: "Export it again from the sending node."
            )
        }
        for (index, change) in changeSet.changes.enumerated() {
            try validate(change, at: index)
            do {
                try clock.check(change.stamp.timestamp, physical: physical)
            } catch {
                throw ChangeSetError(
                    .clockAhead,
                    "change \(index) (\(change.entity) \(change.record) \(change.field), written by "
                        + "\(change.stamp.node)): \(error.description.prefix { $0 != "." })",
                    remedy: "Check the clock (NTP) on \(change.stamp.node) and on this node; the sender keeps its "
                        + "changes and they will sync once the clocks agree."
                )
            }
        }
    }

    /// Checks one change: a known entity and field, and a value of the field's type.
    public func validate(_ change: FieldChange, at index: Int) throws(ChangeSetError) {
        // Only a refusal needs it: built for every change, it cost more than the checks.
        var label: String { "change \(index) (\(change.entity) \(change.record) \(change.field))" }
        guard let entity = schema.entity(named: change.entity) else {
            throw ChangeSetError(
                .unknownEntity,
                "\(label): there is no entity \"\(change.entity)\"; known entities are "
                    + schema.entities.map(\.name).joined(separator: ", "),
                remedy: "The sender may run a newer schema: upgrade this node, or check the file."
            )
        }
        guard let field = entity.field(named: change.field) else {
            throw ChangeSetError(
                .unknownField,
                "\(label): the entity \(entity.name) has no field \"\(change.field)\"",
                remedy: "The sender may run a newer schema: upgrade this node, or check the file."
            )
        }
        if let problem = field.type.problem(with: change.value) {
            throw ChangeSetError(.invalidValue, "\(label): \(problem)", remedy: "Correct the value at the sender.")
        }
        if field.name == Schema.deletedField && change.value.isNull {
            throw ChangeSetError(
                .invalidValue,
                "\(label): a tombstone must be true or false, not null",
                remedy: "Correct the change at the sender."
            )
        }
        if field.merge == .purge && change.value != .boolean(true) {
            throw ChangeSetError(
                .invalidValue,
                "\(label): a purge marker must be true; a purge cannot be undone",
                remedy: "Correct the change at the sender."
            )
        }
        if change.state.context != nil && field.merge != .text {
            throw ChangeSetError(
                .invalidValue,
                "\(label): only text fields carry a context",
                remedy: "Correct the change at the sender."
            )
        }
    }
}
