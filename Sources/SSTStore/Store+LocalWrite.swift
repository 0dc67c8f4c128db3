import GRDB
import SSTCore
import SSTPrivacy

extension Store {
    /// Writes fields of one record on this node: one clock tick, one stamp for all the fields.
    ///
    /// A text field overwrites only the visible value; concurrent values in conflict stay for
    /// ``resolveConflict(entity:record:field:value:)``. Refuses a phase that goes backwards, a
    /// withdrawn consent made active again, and any write to a purged record.
    @discardableResult
    public func set(entity entityName: String, record: RecordID, values: [String: Value]) throws -> [FieldChange] {
        let physical = physicalClock.milliseconds()
        return try withSession { session in
            try set(entity: entityName, record: record, values: values, in: &session, physical: physical)
        }
    }

    /// The body of ``set(entity:record:values:)`` inside a caller's transaction.
    package func set(
        entity entityName: String,
        record: RecordID,
        values: [String: Value],
        in session: inout MergeSession,
        physical: UInt64
    ) throws -> [FieldChange] {
        let entity = try entitySchema(entityName)
        let fields = try values.keys.sorted().map { name in
            let field = try fieldSchema(entity, name)
            if let problem = field.type.problem(with: values[name]!) {
                throw StoreError(
                    .invalidValue,
                    "\(entity.name).\(name): \(problem)",
                    remedy: "Give \(field.type.expectation)."
                )
            }
            return field
        }
        let identity = try Self.identity(session.db)
        try refuseIfPurged(session, entity: entity, record: record)
        let stamp = Stamp(timestamp: session.state.clock.tick(physical: physical), node: identity.node)
        var changes: [FieldChange] = []
        for field in fields {
            let state = try localState(
                session,
                entity: entity,
                record: record,
                field: field,
                value: values[field.name]!,
                stamp: stamp
            )
            changes.append(FieldChange(entity: entity.name, record: record, field: field.name, state: state))
        }
        let withheld = try WithheldIdentities(before: changes, session.db)
        // The record's fields in one row write and one log row (see ``MergeSession/batchesRecordWrites``).
        try session.batchingRecordWrites { session in
            for (change, field) in zip(changes, fields) { _ = try session.merge(change, entity: entity, field: field) }
        }
        try withheld.resendFreed(&session)
        return changes
    }

    /// Marks a record deleted (a tombstone that merges last-writer-wins like any field).
    ///
    /// With a staff member's `token` (the staff API), the deletion is checked as
    /// ``checkStaffDeletion(_:_:presenting:_:)`` says and logged (``AuditEntry/Kind/staffWrite``) in the same
    /// transaction.
    @discardableResult
    public func delete(entity: String, record: RecordID, presenting token: StaffToken? = nil) throws -> FieldChange {
        try writeSystemField(entity: entity, record: record, field: Schema.deletedField, presenting: token)
    }

    /// Purges a record (*gallring*): erases every value here and, once replicated, everywhere, leaving a
    /// purge marker. Cannot be undone.
    ///
    /// A record whose values may cross to the other side as the purge is made is remembered as crossed first
    /// (``rememberMayHaveCrossed(entity:record:_:)``): another node of this side may have sent them, and the
    /// marker must follow them there.
    @discardableResult
    public func purge(entity: String, record: RecordID) throws -> FieldChange {
        let change = try writeSystemField(
            entity: entity,
            record: record,
            field: Schema.purgedField,
            before: { db in try rememberMayHaveCrossed(entity: entity, record: record, db) }
        )
        try eraseFreedPages()
        return change
    }

    /// Reopens a closed case: the phase moves to the next generation, step `opened`.
    @discardableResult
    public func reopen(
        entity entityName: String,
        record: RecordID,
        field fieldName: String = FieldName.phase
    ) throws -> FieldChange {
        let entity = try entitySchema(entityName)
        let field = try fieldSchema(entity, fieldName)
        guard field.merge == .phase else {
            throw StoreError(
                .invalidValue,
                "\(entity.name).\(field.name) is not a phase",
                remedy: "Reopen a case's phase."
            )
        }
        let current = try writer.read { db in
            try MergeSession(db: db, schema: schema, state: ClockState.load(db))
                .currentState(entity: entity, record: record, field: field)
        }
        guard case .phase(let phase)? = current?.value else {
            throw StoreError(.notFound, "\(entity.name) \(record) has no phase to reopen", remedy: "Set a phase first.")
        }
        return try set(entity: entity.name, record: record, values: [field.name: .phase(phase.reopened())])[0]
    }

    private func writeSystemField(
        entity entityName: String,
        record: RecordID,
        field: String,
        presenting token: StaffToken? = nil,
        before: (Database) throws -> Void = { _ in }
    ) throws -> FieldChange {
        let entity = try entitySchema(entityName)
        let physical = physicalClock.milliseconds()
        return try withSession { session in
            let identity = try Self.identity(session.db)
            let staff = try token.map { try checkStaffDeletion(entity, record, presenting: $0, session.db) }
            try refuseIfPurged(session, entity: entity, record: record)
            try before(session.db)
            let stamp = Stamp(timestamp: session.state.clock.tick(physical: physical), node: identity.node)
            let change = FieldChange(
                entity: entity.name,
                record: record,
                field: field,
                state: FieldState(value: .boolean(true), stamp: stamp)
            )
            _ = try session.merge(change, entity: entity, field: entity.field(named: field)!)
            try staff.map { try Self.logStaffWrite([change], by: $0, physical: physical, session.db) }
            return change
        }
    }

    private func localState(
        _ session: MergeSession,
        entity: EntitySchema,
        record: RecordID,
        field: FieldSchema,
        value: Value,
        stamp: Stamp
    ) throws -> FieldState {
        let label = "\(entity.name) \(record) \(field.name)"
        switch field.merge {
        case .text:
            let register = try session.textRegister(entity: entity, record: record, field: field)
            return FieldState(value: value, stamp: stamp, context: register.contextForOverwritingWinner(with: stamp))
        case .phase:
            if case .phase(let current)? = try session.currentState(entity: entity, record: record, field: field)?.value,
                case .phase(let next) = value, next < current
            {
                throw StoreError(
                    .phaseBackwards,
                    "\(label): the case is at \(current) and a phase never moves back to \(next)",
                    remedy: "Reopen the case (phase=reopen) to start generation \(current.generation + 1)."
                )
            }
        case .withdrawWins:
            if try session.currentState(entity: entity, record: record, field: field)?.value == .string("withdrawn"),
                value != .string("withdrawn")
            {
                throw StoreError(
                    .consentWithdrawn,
                    "\(label): the consent was withdrawn and never becomes active again",
                    remedy: "Record a new consent instead."
                )
            }
        case .lww, .purge:
            break
        }
        return FieldState(value: value, stamp: stamp)
    }

    private func refuseIfPurged(_ session: MergeSession, entity: EntitySchema, record: RecordID) throws {
        if try session.purgeStamp(entity: entity.name, record: record) != nil {
            throw StoreError(
                .purged,
                "\(entity.name) \(record) was purged (gallring); its values are gone for good",
                remedy: "Create a new record if the information is needed again."
            )
        }
    }

    package func entitySchema(_ name: String) throws -> EntitySchema {
        guard let entity = schema.entity(named: name) else {
            throw StoreError(
                .unknownEntity,
                "there is no entity \"\(name)\"",
                remedy: "Known entities: \(schema.entities.map(\.name).joined(separator: ", "))."
            )
        }
        return entity
    }

    func fieldSchema(_ entity: EntitySchema, _ name: String) throws -> FieldSchema {
        guard let field = entity.field(named: name), !field.isSystem else {
            throw StoreError(
                .unknownField,
                "the entity \(entity.name) has no field \"\(name)\"",
                remedy: "Its fields: \(entity.fields.map(\.name).joined(separator: ", "))."
            )
        }
        return field
    }
}
