import GRDB
import SSTCore

/// One write transaction of the store: merges changes into the tables by the rules of each field's
/// merge kind and gives every change that alters the state a new local sequence number.
///
/// A record's stamps are read with one query when the session first needs them, its row and conflicts
/// only when a merge needs them, and kept while the session works on that record (``MergeCache``): a
/// change set writes a record's fields one after the other, so most changes read nothing. Statements
/// are prepared once per session and run through the SQLite C API (``RawStatement``).
package struct MergeSession {
    package let db: Database
    let schema: Schema
    var state: ClockState
    /// The side the merged changes were received from, or nil for this node's own writes (and same-side
    /// peers): stored with each value it brings, so the consent sweep knows what came across the boundary.
    var sourceSide: Side? = nil
    /// Shared by copies of the session, which all work in the same transaction.
    let cache = MergeCache()
    /// When true, the writes to a record are held in its snapshot and stored in one statement on its row when
    /// the session turns to another record or ``flushHeldWrites()`` is called: a change set's fields of one
    /// record, merged one after the other, cost one row write instead of one each. Only for a loop that does
    /// nothing else with the record's row or the log between its merges (``batchingRecordWrites(_:)`` turns it on
    /// and flushes when the loop ends); reads through the session see the held writes.
    var batchesRecordWrites = false

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
        try write(change.value, state: change.state, entity: entity, record: change.record, field: field.name)
        return true
    }

    // MARK: Reading the current state

    /// The purge marker's stamp, when the record has been purged.
    func purgeStamp(entity: String, record: RecordID) throws -> Stamp? {
        try stamps(entity: entity, record: record)[Schema.purgedField]?.stamp
    }

    /// The current value and stamp of a single-valued field, or nil when it was never written.
    func currentState(entity: EntitySchema, record: RecordID, field: FieldSchema) throws -> FieldState? {
        guard let stored = try stamps(entity: entity.name, record: record)[field.name] else { return nil }
        let value = try columnValue(entity: entity, record: record, field: field)
        return FieldState(value: value, stamp: stored.stamp, context: ColumnCoding.context(text: stored.contextText))
    }

    func textRegister(entity: EntitySchema, record: RecordID, field: FieldSchema) throws -> TextRegister {
        var values: [FieldState] = []
        if let winner = try currentState(entity: entity, record: record, field: field) {
            values.append(winner)
        }
        values += try conflicts(entity: entity.name, record: record)[field.name] ?? []
        return TextRegister(values: values)
    }

    /// The value in a field's column (null when there is no row), as stored, whether stamped or not.
    func columnValue(entity: EntitySchema, record: RecordID, field: FieldSchema) throws -> Value {
        let snapshot = try snapshot(entity: entity.name, record: record)
        if let held = snapshot.heldColumns[field.name] { return ColumnCoding.value(held, type: field.type) }
        if snapshot.row == nil {
            let columns = Self.columns(entity)
            let statement = try cache.statement(.row(entity: entity.name), db) {
                "SELECT \(columns.map(ColumnCoding.quoted).joined(separator: ", ")) "
                    + "FROM \(ColumnCoding.quoted(entity.name)) WHERE id = ?"
            }
            defer { statement.reset() }
            statement.bind(1, record.rawValue)
            var row: [String: DatabaseValue] = [:]
            if try statement.step() {
                for (index, column) in columns.enumerated() { row[column] = statement.databaseValue(Int32(index)) }
            }
            snapshot.row = row
        }
        return ColumnCoding.value(snapshot.row?[field.name] ?? .null, type: field.type)
    }

    /// The snapshot of the record: the one held, or a new, empty one (its parts are read when needed).
    func snapshot(entity: String, record: RecordID) throws -> RecordSnapshot {
        if let held = cache.snapshot(entity: entity, record: record, db) { return held }
        try flushHeldWrites()
        let snapshot = RecordSnapshot(entity: entity, record: record)
        cache.hold(snapshot, db)
        return snapshot
    }

    /// Every field's stamp of the record: its row's `_stamps` text, read by ``StampsReader``, or — when that
    /// gives up — by SQLite's JSON functions (see ``StampLayout``).
    func stamps(entity: String, record: RecordID) throws -> [String: RecordSnapshot.StoredStamp] {
        let snapshot = try snapshot(entity: entity, record: record)
        if let stamps = snapshot.stamps { return stamps }
        let text = try cache.statement(.stampsText(entity: entity), db) {
            "SELECT _stamps FROM \(ColumnCoding.quoted(entity)) WHERE id = ?1"
        }
        defer { text.reset() }
        text.bind(1, record.rawValue)
        let read = try text.step() ? text.withText(0) { $0.map(StampsReader.read) ?? [:] } : [:]
        if let read {
            snapshot.stamps = read
            return read
        }
        let stamps = try stampsByQuery(entity: entity, record: record)
        snapshot.stamps = stamps
        return stamps
    }

    /// The record's stamps read with `json_each`: what SQLite makes of the text, whatever its form.
    private func stampsByQuery(entity: String, record: RecordID) throws -> [String: RecordSnapshot.StoredStamp] {
        let statement = try cache.statement(.stamps(entity: entity), db) {
            "SELECT field, hlc, node, context, source_side, seq FROM (\(StampLayout.rows(of: entity))) "
                + "WHERE record_id = ?"
        }
        defer { statement.reset() }
        statement.bind(1, record.rawValue)
        var stamps: [String: RecordSnapshot.StoredStamp] = [:]
        var lastNode: NodeID?
        while try statement.step() {
            guard let field = statement.text(0), let nodeText = statement.text(2) else { continue }
            let node = lastNode?.rawValue == nodeText ? lastNode : NodeID(nodeText)
            guard let node else { continue }
            lastNode = node
            let timestamp = Timestamp(rawValue: UInt64(bitPattern: statement.int64(1)))
            stamps[field] = .init(
                stamp: Stamp(timestamp: timestamp, node: node),
                contextText: statement.text(3),
                sourceSide: statement.text(4),
                sequence: statement.int64(5)
            )
        }
        return stamps
    }

    /// The concurrent values kept in `sst_conflict` for each text field of the record.
    private func conflicts(entity: String, record: RecordID) throws -> [String: [FieldState]] {
        let snapshot = try snapshot(entity: entity, record: record)
        if let conflicts = snapshot.conflicts { return conflicts }
        let statement = try cache.statement(.conflicts, db) {
            "SELECT field, hlc, node, value, context, source_side FROM sst_conflict "
                + "WHERE entity = ? AND record_id = ? ORDER BY field, hlc, node"
        }
        defer { statement.reset() }
        statement.bind(1, entity)
        statement.bind(2, record.rawValue)
        var conflicts: [String: [FieldState]] = [:]
        var sides: [String: [Stamp: String]] = [:]
        while try statement.step() {
            guard let field = statement.text(0), let node = statement.text(2).flatMap(NodeID.init) else { continue }
            let stamp = Stamp(timestamp: Timestamp(rawValue: UInt64(bitPattern: statement.int64(1))), node: node)
            let state = FieldState(
                value: ColumnCoding.value(jsonText: statement.text(3) ?? ""),
                stamp: stamp,
                context: ColumnCoding.context(text: statement.text(4))
            )
            conflicts[field, default: []].append(state)
            if let side = statement.text(5) { sides[field, default: [:]][stamp] = side }
        }
        snapshot.conflicts = conflicts
        snapshot.conflictSides = sides
        return conflicts
    }

    /// The columns a snapshot reads: the entity's fields, then the system fields.
    private static func columns(_ entity: EntitySchema) -> [String] {
        entity.fields.map(\.name) + [Schema.deletedField, Schema.purgedField]
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
        // Each value keeps the side it came from: those held before by theirs, a new one by this session's.
        let held = try conflicts(entity: entity.name, record: record)[field.name] ?? []
        let snapshot = try snapshot(entity: entity.name, record: record)
        var sides: [Stamp: String?] = [:]
        for value in held { sides.updateValue(snapshot.conflictSides?[field.name]?[value.stamp], forKey: value.stamp) }
        if let stored = try stamps(entity: entity.name, record: record)[field.name] {
            sides.updateValue(stored.sourceSide, forKey: stored.stamp)
        }
        func side(_ state: FieldState) -> String? {
            if let known = sides[state.stamp] { return known }
            return sourceSide?.rawValue
        }
        try write(winner.value, state: winner, entity: entity, record: record, field: field.name, side: side(winner))
        let delete = try cache.statement(.fieldConflictsDelete, db) {
            "DELETE FROM sst_conflict WHERE entity = ? AND record_id = ? AND field = ?"
        }
        delete.bind(1, entity.name)
        delete.bind(2, record.rawValue)
        delete.bind(3, field.name)
        try delete.execute()
        let insert = try cache.statement(.conflictInsert, db) {
            "INSERT INTO sst_conflict (entity, record_id, field, hlc, node, value, context, source_side) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        }
        var kept: [FieldState] = []
        var keptSides: [Stamp: String] = [:]
        for loser in register.losers {
            let context = loser.textContext
            insert.bind(1, entity.name)
            insert.bind(2, record.rawValue)
            insert.bind(3, field.name)
            insert.bind(4, Int64(bitPattern: loser.stamp.timestamp.rawValue))
            insert.bind(5, loser.stamp.node.rawValue)
            insert.bind(6, ColumnCoding.jsonText(loser.value))
            insert.bind(7, ColumnCoding.contextText(context))
            let loserSide = side(loser)
            insert.bind(8, loserSide)
            try insert.execute()
            keptSides[loser.stamp] = loserSide
            kept.append(FieldState(value: loser.value, stamp: loser.stamp, context: context))
        }
        // In the order the conflicts query reads them back: by hlc as stored (signed), then node.
        snapshot.conflicts?[field.name] = kept.sorted {
            let (left, right) = (
                Int64(bitPattern: $0.stamp.timestamp.rawValue), Int64(bitPattern: $1.stamp.timestamp.rawValue)
            )
            return left != right ? left < right : $0.stamp.node < $1.stamp.node
        }
        snapshot.conflictSides?[field.name] = keptSides
        cache.confirm(db)
    }

    /// A purge erases every value, stamp and conflict of the record and keeps only the marker, whose
    /// stamp merges to the greatest seen.
    private mutating func mergePurge(_ change: FieldChange, entity: EntitySchema) throws -> Bool {
        if let existing = try purgeStamp(entity: entity.name, record: change.record) {
            guard change.stamp > existing else { return false }
            try flushHeldWrites()
            try write(nil, state: change.state, entity: entity, record: change.record, field: Schema.purgedField)
            return true
        }
        try flushHeldWrites()
        let snapshot = try snapshot(entity: entity.name, record: change.record)
        let held = try stamps(entity: entity.name, record: change.record)
        let erase = try cache.statement(.erase(entity: entity.name), db) {
            let columns =
                (entity.fields.map { "\(ColumnCoding.quoted($0.name)) = NULL" } + [
                    "_deleted = 0", "_purged = 1", "\(StampLayout.column) = NULL",
                ])
                .joined(separator: ", ")
            return "INSERT INTO \(ColumnCoding.quoted(entity.name)) (id, _purged) VALUES (?, 1) "
                + "ON CONFLICT (id) DO UPDATE SET \(columns)"
        }
        erase.bind(1, change.record.rawValue)
        try erase.execute()
        try StampLayout.unlog(
            entity: entity.name,
            record: change.record.rawValue,
            held.map { (field: $0.key, seq: $0.value.sequence) },
            using: cache.unlog(db)
        )
        let conflicts = try cache.statement(.recordConflictsDelete, db) {
            "DELETE FROM sst_conflict WHERE entity = ? AND record_id = ?"
        }
        conflicts.bind(1, entity.name)
        conflicts.bind(2, change.record.rawValue)
        try conflicts.execute()
        snapshot.stamps = [:]
        snapshot.row = nil
        snapshot.conflicts = [:]
        snapshot.conflictSides = [:]
        cache.confirm(db)
        try write(nil, state: change.state, entity: entity, record: change.record, field: Schema.purgedField)
        return true
    }
}
