import SSTCore

extension Store {
    /// Writes `field=value` assignments typed by a person, parsing each value by its field's type.
    ///
    /// A phase may be given as `<generation>:<step>`, as a bare step (kept in the current generation),
    /// or as `reopen` (the next generation, step `opened`).
    @discardableResult
    public func set(
        entity entityName: String,
        record: RecordID,
        assignments: [(field: String, text: String)]
    )
        throws -> [FieldChange]
    {
        let entity = try entitySchema(entityName)
        var values: [String: Value] = [:]
        var reopenField: String?
        for (name, text) in assignments {
            let field = try fieldSchema(entity, name)
            if field.type == .phase && text == "reopen" {
                reopenField = name
                continue
            }
            if field.type == .phase, let step = Phase.Step(rawValue: text) {
                let generation = try currentPhase(entity: entity, record: record, field: field)?.generation ?? 1
                values[name] = .phase(Phase(generation: generation, step: step))
                continue
            }
            guard let value = field.type.parse(text) else {
                throw StoreError(
                    .invalidValue,
                    "\(entity.name).\(name): \"\(text)\" is not \(field.type.expectation)",
                    remedy: "Give \(field.type.expectation)."
                )
            }
            values[name] = value
        }
        var changes = values.isEmpty ? [] : try set(entity: entity.name, record: record, values: values)
        if let reopenField {
            changes.append(try reopen(entity: entity.name, record: record, field: reopenField))
        }
        return changes
    }

    private func currentPhase(entity: EntitySchema, record: RecordID, field: FieldSchema) throws -> Phase? {
        guard case .phase(let phase)? = try self.record(entity: entity.name, record: record)?[field.name]?.value else {
            return nil
        }
        return phase
    }
}
