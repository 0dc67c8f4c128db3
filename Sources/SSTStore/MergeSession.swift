import GRDB
import SSTCore

/// One write transaction of the store: merges changes into the tables by the rules of each field's
/// merge kind and gives every change that alters the state a new local sequence number.
struct MergeSession {
    let db: Database
    let schema: Schema
    var state: ClockState

    /// Merges one validated change. Returns true when the store changed.
    mutating func merge(_ change: FieldChange, entity: EntitySchema, field: FieldSchema) throws -> Bool {
        if field.merge == .purge {
            return try mergePurge(change, entity: entity)
        }
        if try purgeStamp(entity: entity.name, record: change.record) != nil {
            return false
        }
        if field.merge == .text {
            return try mergeText(change, entity: entity, field: field)
        }
        if let current = try currentState(entity: entity, record: change.record, field: field),
            !Merge.wins(change.state, over: current, kind: field.merge)
        {
            return false
        }
        try writeColumn(entity: entity, record: change.record, field: field, value: change.value)
        try writeStamp(entity: entity.name, record: change.record, field: field.name, state: change.state)
        return true
    }

    // MARK: Reading the current state

    /// The purge marker's stamp, when the record has been purged.
    func purgeStamp(entity: String, record: RecordID) throws -> Stamp? {
        try stamp(entity: entity, record: record, field: Schema.purgedField)?.stamp
    }

    /// The current value and stamp of a single-valued field, or nil when it was never written.
    func currentState(entity: EntitySchema, record: RecordID, field: FieldSchema) throws -> FieldState? {
        guard let stamped = try stamp(entity: entity.name, record: record, field: field.name) else { return nil }
        let value = try columnValue(entity: entity, record: record, field: field)
        return FieldState(value: value, stamp: stamped.stamp, context: stamped.context)
    }

    func textRegister(entity: EntitySchema, record: RecordID, field: FieldSchema) throws -> TextRegister {
        var values: [FieldState] = []
        if let winner = try currentState(entity: entity, record: record, field: field) {
            values.append(winner)
        }
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT hlc, node, value, context FROM sst_conflict WHERE entity = ? AND record_id = ? AND field = ?",
            arguments: [entity.name, record.rawValue, field.name]
        )
        for row in rows {
            guard let node = NodeID(row["node"]) else { continue }
            let stamp = Stamp(timestamp: Timestamp(rawValue: UInt64(bitPattern: row["hlc"])), node: node)
            values.append(
                FieldState(
                    value: ColumnCoding.value(jsonText: row["value"]),
                    stamp: stamp,
                    context: ColumnCoding.context(text: row["context"])
                )
            )
        }
        return TextRegister(values: values)
    }

    private func stamp(
        entity: String,
        record: RecordID,
        field: String
    ) throws -> (stamp: Stamp, context: CausalContext?)? {
        let statement = try db.cachedStatement(
            sql: "SELECT hlc, node, context FROM sst_field WHERE entity = ? AND record_id = ? AND field = ?"
        )
        guard let row = try Row.fetchOne(statement, arguments: [entity, record.rawValue, field]),
            let node = NodeID(row["node"])
        else { return nil }
        let stamp = Stamp(timestamp: Timestamp(rawValue: UInt64(bitPattern: row["hlc"])), node: node)
        return (stamp, ColumnCoding.context(text: row["context"]))
    }

    private func columnValue(entity: EntitySchema, record: RecordID, field: FieldSchema) throws -> Value {
        let statement = try db.cachedStatement(
            sql: "SELECT \(ColumnCoding.quoted(field.name)) FROM \(ColumnCoding.quoted(entity.name)) WHERE id = ?"
        )
        let databaseValue = try DatabaseValue.fetchOne(statement, arguments: [record.rawValue]) ?? .null
        return ColumnCoding.value(databaseValue, type: field.type)
    }

    // MARK: Merge kinds with state of their own

    private mutating func mergeText(_ change: FieldChange, entity: EntitySchema, field: FieldSchema) throws -> Bool {
        var register = try textRegister(entity: entity, record: change.record, field: field)
        guard register.merge(change.state) else { return false }
        try writeTextRegister(register, entity: entity, record: change.record, field: field)
        return true
    }

    /// Stores a text register: the winner in the entity table, the concurrent losers in `sst_conflict`.
    mutating func writeTextRegister(
        _ register: TextRegister,
        entity: EntitySchema,
        record: RecordID,
        field: FieldSchema
    ) throws {
        guard let winner = register.winner else { return }
        try writeColumn(entity: entity, record: record, field: field, value: winner.value)
        try writeStamp(entity: entity.name, record: record, field: field.name, state: winner)
        try db.execute(
            sql: "DELETE FROM sst_conflict WHERE entity = ? AND record_id = ? AND field = ?",
            arguments: [entity.name, record.rawValue, field.name]
        )
        for loser in register.losers {
            try db.execute(
                sql: """
                    INSERT INTO sst_conflict (entity, record_id, field, hlc, node, value, context)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    entity.name, record.rawValue, field.name, Int64(bitPattern: loser.stamp.timestamp.rawValue),
                    loser.stamp.node.rawValue, ColumnCoding.jsonText(loser.value),
                    ColumnCoding.contextText(loser.textContext),
                ]
            )
        }
    }

    /// A purge erases every value, stamp and conflict of the record and keeps only the marker, whose
    /// stamp merges to the greatest seen.
    private mutating func mergePurge(_ change: FieldChange, entity: EntitySchema) throws -> Bool {
        if let existing = try purgeStamp(entity: entity.name, record: change.record) {
            guard change.stamp > existing else { return false }
            try writeStamp(entity: entity.name, record: change.record, field: Schema.purgedField, state: change.state)
            return true
        }
        let table = ColumnCoding.quoted(entity.name)
        let erase = (entity.fields.map { "\(ColumnCoding.quoted($0.name)) = NULL" } + ["_deleted = 0", "_purged = 1"])
            .joined(separator: ", ")
        try db.execute(
            sql: "INSERT INTO \(table) (id, _purged) VALUES (?, 1) ON CONFLICT (id) DO UPDATE SET \(erase)",
            arguments: [change.record.rawValue]
        )
        try db.execute(
            sql: "DELETE FROM sst_field WHERE entity = ? AND record_id = ?",
            arguments: [entity.name, change.record.rawValue]
        )
        try db.execute(
            sql: "DELETE FROM sst_conflict WHERE entity = ? AND record_id = ?",
            arguments: [entity.name, change.record.rawValue]
        )
        try writeStamp(entity: entity.name, record: change.record, field: Schema.purgedField, state: change.state)
        return true
    }

    // MARK: Writing

    private func writeColumn(entity: EntitySchema, record: RecordID, field: FieldSchema, value: Value) throws {
        let column = ColumnCoding.quoted(field.name)
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO \(ColumnCoding.quoted(entity.name)) (id, \(column)) VALUES (?, ?)
                ON CONFLICT (id) DO UPDATE SET \(column) = excluded.\(column)
                """
        )
        var databaseValue = ColumnCoding.databaseValue(value)
        if field.name == Schema.deletedField && databaseValue.isNull {
            databaseValue = 0.databaseValue
        }
        try statement.execute(arguments: [record.rawValue, databaseValue])
    }

    private mutating func writeStamp(entity: String, record: RecordID, field: String, state: FieldState) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO sst_field (entity, record_id, field, hlc, node, context, seq) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (entity, record_id, field) DO UPDATE SET
                    hlc = excluded.hlc, node = excluded.node, context = excluded.context, seq = excluded.seq
                """
        )
        try statement.execute(arguments: [
            entity, record.rawValue, field, Int64(bitPattern: state.stamp.timestamp.rawValue),
            state.stamp.node.rawValue, ColumnCoding.contextText(state.context), self.state.nextSequence(),
        ])
    }
}
