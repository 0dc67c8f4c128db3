import GRDB
import SSTCore
import SSTPrivacy

/// A text field with concurrent values waiting for a person to choose.
public struct Conflict: Hashable, Sendable {
    public let entity: String
    public let record: RecordID
    public let field: String
    /// The value shown now: the greatest stamp.
    public let current: FieldState
    /// The concurrent values that lost, kept so nothing is silently lost.
    public let others: [FieldState]
}

extension Store {
    /// The fields of one record with their values and stamps, or nil when the record is unknown here.
    public func record(entity entityName: String, record: RecordID) throws -> [String: FieldState]? {
        let entity = try entitySchema(entityName)
        return try writer.read { db in try recordFields(entity: entity, record: record, db) }
    }

    /// The body of ``record(entity:record:)`` in a caller's database access.
    package func recordFields(entity: EntitySchema, record: RecordID, _ db: Database) throws -> [String: FieldState]? {
        let session = try MergeSession(db: db, schema: schema, state: ClockState.load(db))
        let names = try session.stamps(entity: entity.name, record: record).keys
        guard !names.isEmpty else { return nil }
        var fields: [String: FieldState] = [:]
        for name in names {
            guard let field = entity.field(named: name) else { continue }
            fields[name] = try session.currentState(entity: entity, record: record, field: field)
        }
        return fields
    }

    /// Every text field with concurrent values, ordered by entity, record and field.
    public func conflicts() throws -> [Conflict] {
        try writer.read { db in try conflicts(db) }
    }

    /// The body of ``conflicts()`` in a caller's database access.
    package func conflicts(_ db: Database) throws -> [Conflict] {
        let session = try MergeSession(db: db, schema: schema, state: ClockState.load(db))
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT DISTINCT entity, record_id, field FROM sst_conflict ORDER BY entity, record_id, field"
        )
        return try rows.compactMap { row in
            guard let entity = schema.entity(named: row["entity"]), let field = entity.field(named: row["field"]),
                let record = RecordID(row["record_id"])
            else { return nil }
            let register = try session.textRegister(entity: entity, record: record, field: field)
            guard let winner = register.winner else { return nil }
            return Conflict(
                entity: entity.name,
                record: record,
                field: field.name,
                current: winner,
                others: Array(register.losers)
            )
        }
    }

    /// Resolves a conflict: writes `value` as a change that supersedes every concurrent value. The
    /// resolution replicates like any change and clears the conflict on every node it reaches.
    ///
    /// With a staff member's `token` (the staff API), the token is checked, the field must be one this node's
    /// side writes, and the resolution is logged (``AuditEntry/Kind/staffWrite``) in the same transaction.
    @discardableResult
    public func resolveConflict(
        entity entityName: String,
        record: RecordID,
        field fieldName: String,
        value: Value,
        presenting token: StaffToken? = nil
    )
        throws -> FieldChange
    {
        let entity = try entitySchema(entityName)
        let field = try fieldSchema(entity, fieldName)
        if let problem = field.type.problem(with: value) {
            throw StoreError(
                .invalidValue,
                "\(entity.name).\(field.name): \(problem)",
                remedy: "Give \(field.type.expectation)."
            )
        }
        let physical = physicalClock.milliseconds()
        return try withSession { session in
            let identity = try Self.identity(session.db)
            let staff = try token.map { try Self.checkStaffWrite(entity, [field.name], presenting: $0, session.db) }
            // The role's bounds (a hub account bound to a stadsdel resolves only its stadsdel's conflicts).
            try staff.map {
                try Self.authorize($0, .write, entity.name, entity, scopeOf: (entity.name, record), session.db)
            }
            let register = try session.textRegister(entity: entity, record: record, field: field)
            guard register.values.count > 1 else {
                throw StoreError(
                    .noConflict,
                    "\(entity.name) \(record) \(field.name) has no conflict to resolve",
                    remedy: "See `sst conflicts list`; to change the value use `sst record set`."
                )
            }
            let stamp = Stamp(timestamp: session.state.clock.tick(physical: physical), node: identity.node)
            let state = FieldState(value: value, stamp: stamp, context: register.contextForResolving(with: stamp))
            let change = FieldChange(entity: entity.name, record: record, field: field.name, state: state)
            _ = try session.merge(change, entity: entity, field: field)
            try staff.map { try Self.logStaffWrite([change], by: $0, physical: physical, session.db) }
            return change
        }
    }
}
