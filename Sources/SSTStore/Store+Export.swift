import GRDB
import SSTCore

extension Store {
    /// The changes this node holds whose sequence numbers are after `since`, as a change set.
    ///
    /// Each changed field is exported once, with its current value and original stamp; a text field in
    /// conflict brings every concurrent value. With a `limit`, the set stops after that many fields and
    /// `upTo` says where the next one starts.
    public func exportChanges(since: Int64, limit: Int? = nil) throws -> ChangeSet {
        try writer.read { db in
            let identity = try Self.identity(db)
            let lastSequence = try ClockState.load(db).lastSequence
            let session = try MergeSession(db: db, schema: schema, state: ClockState.load(db))
            var sql = "SELECT entity, record_id, field, seq FROM sst_field WHERE seq > ? ORDER BY seq"
            if let limit { sql += " LIMIT \(max(1, limit))" }
            let rows = try Row.fetchCursor(db, sql: sql, arguments: [since])
            var changes: [FieldChange] = []
            var upTo = since
            while let row = try rows.next() {
                upTo = row["seq"]
                guard let entity = schema.entity(named: row["entity"]), let field = entity.field(named: row["field"]),
                    let record = RecordID(row["record_id"])
                else { continue }
                if field.merge == .text {
                    let register = try session.textRegister(entity: entity, record: record, field: field)
                    for state in register.values {
                        changes.append(
                            FieldChange(entity: entity.name, record: record, field: field.name, state: state)
                        )
                    }
                } else if let state = try session.currentState(entity: entity, record: record, field: field) {
                    changes.append(FieldChange(entity: entity.name, record: record, field: field.name, state: state))
                }
            }
            if limit == nil || changes.isEmpty { upTo = max(upTo, lastSequence) }
            return ChangeSet(origin: identity.node, side: identity.side, since: since, upTo: upTo, changes: changes)
        }
    }
}
