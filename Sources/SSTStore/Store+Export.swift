import GRDB
import SSTCore

extension Store {
    /// The changes this node holds whose sequence numbers are after `since`, as a change set.
    ///
    /// Each changed field is exported once, with its current value and original stamp; a text field in
    /// conflict brings every concurrent value. With a `limit`, the set stops after that many fields and
    /// `upTo` says where the next one starts.
    ///
    /// One scan of the log (`sst_log`) in sequence order names the fields; stamps and values come from the
    /// record's row, read once for the fields of a record that follow one another (as a change set leaves them).
    public func exportChanges(since: Int64, limit: Int? = nil) throws -> ChangeSet {
        try writer.read { db in try exportChanges(since: since, limit: limit, db) }
    }

    /// As ``exportChanges(since:limit:)``, in the caller's transaction.
    func exportChanges(since: Int64, limit: Int?, _ db: Database) throws -> ChangeSet {
        do {
            let identity = try Self.identity(db)
            let lastSequence = try ClockState.load(db).lastSequence
            let session = try MergeSession(db: db, schema: schema, state: ClockState.load(db))
            var sql = "SELECT entity, record_id, field, seq FROM sst_log WHERE seq > ? ORDER BY seq"
            if let limit { sql += " LIMIT \(max(1, limit))" }
            let rows = try RawStatement(db, sql: sql)
            defer { rows.reset() }
            rows.bind(1, since)
            var changes: [FieldChange] = []
            var upTo = since
            var lastRecord: RecordID?
            while try rows.step() {
                upTo = rows.int64(3)
                guard let entityName = rows.text(0), let entity = schema.entity(named: entityName),
                    let fieldName = rows.text(2), let field = entity.field(named: fieldName),
                    let recordText = rows.text(1),
                    let record = lastRecord?.rawValue == recordText ? lastRecord : RecordID(recordText)
                else { continue }
                lastRecord = record
                if field.merge == .text {
                    let register = try session.textRegister(entity: entity, record: record, field: field)
                    for state in register.values {
                        changes.append(
                            FieldChange(entity: entity.name, record: record, field: field.name, state: state)
                        )
                    }
                    continue
                }
                // The field's current state: its stamp and the value in the record's row, read once for the
                // fields of a record that follow one another.
                guard let state = try session.currentState(entity: entity, record: record, field: field) else {
                    continue
                }
                changes.append(FieldChange(entity: entity.name, record: record, field: field.name, state: state))
            }
            if limit == nil || changes.isEmpty { upTo = max(upTo, lastSequence) }
            return ChangeSet(origin: identity.node, side: identity.side, since: since, upTo: upTo, changes: changes)
        }
    }
}
