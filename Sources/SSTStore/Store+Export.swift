import GRDB
import SSTCore

extension Store {
    /// The changes this node holds whose sequence numbers are after `since`, as a change set.
    ///
    /// Each changed field is exported once, with its current value and original stamp; a text field in
    /// conflict brings every concurrent value. With a `limit`, the set stops after that many fields and
    /// `upTo` says where the next one starts.
    ///
    /// One scan of the log (`sst_log`) in sequence order names the fields, a record's at a time; stamps and
    /// values come from the record's row, read once for the fields of a record that follow one another.
    public func exportChanges(since: Int64, limit: Int? = nil) throws -> ChangeSet {
        try writer.read { db in try exportChanges(since: since, limit: limit, db) }
    }

    /// As ``exportChanges(since:limit:)``, in the caller's transaction.
    func exportChanges(since: Int64, limit: Int?, _ db: Database) throws -> ChangeSet {
        do {
            let identity = try Self.identity(db)
            let lastSequence = try ClockState.load(db).lastSequence
            let session = try MergeSession(db: db, schema: schema, state: ClockState.load(db))
            let rows = try RawStatement(
                db,
                sql: "SELECT entity, record_id, fields, seq FROM sst_log WHERE seq > ? ORDER BY seq"
            )
            defer { rows.reset() }
            rows.bind(1, since)
            var changes: [FieldChange] = []
            var upTo = since
            var lastRecord: RecordID?
            var fieldsExported = 0
            scan: while try rows.step() {
                let key = rows.int64(3)
                guard let entityName = rows.text(0), let entity = schema.entity(named: entityName),
                    let fieldNames = rows.text(2), let recordText = rows.text(1),
                    let record = lastRecord?.rawValue == recordText ? lastRecord : RecordID(recordText)
                else {
                    upTo = key
                    continue
                }
                lastRecord = record
                let stamps = try session.stamps(entity: entity.name, record: record)
                // A cursor can stand inside the row's range of numbers (a set that stopped at its limit there):
                // the fields numbered up to it were sent.
                let due = StampLayout.fields(fieldNames).compactMap { name -> (FieldSchema, Int64)? in
                    guard let field = entity.field(named: String(name)), let stored = stamps[field.name],
                        stored.sequence > since
                    else { return nil }
                    return (field, stored.sequence)
                }
                for (field, sequence) in due.sorted(by: { $0.1 < $1.1 }) {
                    if let limit, fieldsExported >= max(1, limit) { break scan }
                    fieldsExported += 1
                    upTo = sequence
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
                    // fields of the record.
                    guard let state = try session.currentState(entity: entity, record: record, field: field) else {
                        continue
                    }
                    changes.append(FieldChange(entity: entity.name, record: record, field: field.name, state: state))
                }
                upTo = key
            }
            if limit == nil || changes.isEmpty { upTo = max(upTo, lastSequence) }
            return ChangeSet(origin: identity.node, side: identity.side, since: since, upTo: upTo, changes: changes)
        }
    }
}
