import GRDB
import SSTCore

/// How a ``MergeSession`` stores what a merge decided: a value and its stamp in the record's row and the
/// field in a row of the log (see ``StampLayout``), at once or held for the record's one write.
extension MergeSession {
    /// Writes a field's stamp with a new sequence number, and its value when one is given (else the column is
    /// left as it is): one statement on the record's row, then the field leaves its log row for a new one.
    /// The stamp keeps `side`, the side the value came from (by default the session's).
    mutating func write(
        _ value: Value?,
        state: FieldState,
        entity: EntitySchema,
        record: RecordID,
        field: String,
        side: String?? = nil
    ) throws {
        let snapshot = try snapshot(entity: entity.name, record: record)
        let previous = try stamps(entity: entity.name, record: record)[field]
        let side = side ?? sourceSide?.rawValue
        let contextText = ColumnCoding.contextText(state.context)
        let sequence = self.state.nextSequence()
        let hlc = Int64(bitPattern: state.stamp.timestamp.rawValue)
        let node = state.stamp.node.rawValue
        if batchesRecordWrites {
            if let value { snapshot.heldColumns[field] = Self.stored(value, field: field) }
            // A field held already leaves no log row: its held number was never logged.
            if let previous, !snapshot.heldFields.contains(field) {
                snapshot.released.append((field, previous.sequence))
            }
            snapshot.heldFields.insert(field)
            snapshot.stamps?[field] = .init(
                stamp: state.stamp,
                contextText: contextText,
                sourceSide: side,
                sequence: sequence
            )
            return
        }
        let stamp = "json_object(?2, json_array(?3, ?4, ?5, ?6, ?7))"
        let statement: RawStatement
        var databaseValue = DatabaseValue.null
        if let value {
            statement = try cache.statement(.valueUpsert(entity: entity.name, field: field), db) {
                let (table, column) = (ColumnCoding.quoted(entity.name), ColumnCoding.quoted(field))
                return "INSERT INTO \(table) (id, _stamps, \(column)) VALUES (?1, \(stamp), ?8) "
                    + "ON CONFLICT (id) DO UPDATE SET \(column) = excluded.\(column), "
                    + "_stamps = json_patch(coalesce(_stamps, '{}'), excluded._stamps)"
            }
            databaseValue = Self.stored(value, field: field)
            statement.bind(8, databaseValue)
        } else {
            statement = try cache.statement(.stampUpdate(entity: entity.name), db) {
                "UPDATE \(ColumnCoding.quoted(entity.name)) SET _stamps = json_patch(coalesce(_stamps, '{}'), "
                    + "\(stamp)) WHERE id = ?1"
            }
        }
        statement.bind(1, record.rawValue)
        statement.bind(2, field)
        statement.bind(3, hlc)
        statement.bind(4, node)
        statement.bind(5, sequence)
        statement.bind(6, side)
        statement.bind(7, contextText)
        try statement.execute()
        if let previous {
            try StampLayout.unlog(
                entity: entity.name,
                record: record.rawValue,
                [(field, previous.sequence)],
                using: cache.unlog(db)
            )
        }
        try logRow(.init(seq: sequence, fields: [field], node: node), entity: entity.name, record: record)
        if value != nil {
            if snapshot.row?.isEmpty == false {
                snapshot.row?[field] = databaseValue
            } else {
                snapshot.row = nil  // A new row: its other columns have their defaults; read them when needed.
            }
        }
        snapshot.stamps?[field] = .init(
            stamp: state.stamp,
            contextText: contextText,
            sourceSide: side,
            sequence: sequence
        )
        cache.confirm(db)
    }

    /// Runs `body` with each record's writes held and stored once (``batchesRecordWrites``), then stores what is
    /// still held. Afterwards the session batches as it did before, also when `body` or the last store throws.
    mutating func batchingRecordWrites<T>(_ body: (inout MergeSession) throws -> T) throws -> T {
        let before = batchesRecordWrites
        batchesRecordWrites = true
        defer { batchesRecordWrites = before }
        let result = try body(&self)
        try flushHeldWrites()
        return result
    }

    /// Stores the writes held for the record of the snapshot (see ``batchesRecordWrites``): its columns and all
    /// its stamps in one statement on its row, then the log rows of the fields written. Nothing when none are
    /// held.
    func flushHeldWrites() throws {
        guard let snapshot = cache.held, !snapshot.heldFields.isEmpty, let stamps = snapshot.stamps else { return }
        let columns = snapshot.heldColumns.keys.sorted()
        let statement = try cache.statement(.recordUpsert(entity: snapshot.entity, columns: columns), db) {
            let table = ColumnCoding.quoted(snapshot.entity)
            let quoted = columns.map(ColumnCoding.quoted)
            let marks = (0..<columns.count).map { ", ?\($0 + 3)" }.joined()
            let updates = quoted.map { ", \($0) = excluded.\($0)" }.joined()
            return "INSERT INTO \(table) (id, _stamps\(quoted.map { ", \($0)" }.joined())) VALUES (?1, ?2\(marks)) "
                + "ON CONFLICT (id) DO UPDATE SET _stamps = excluded._stamps\(updates)"
        }
        statement.bind(1, snapshot.record.rawValue)
        statement.bind(2, utf8: StampsText.render(stamps))
        for (index, column) in columns.enumerated() { statement.bind(Int32(index + 3), snapshot.heldColumns[column]!) }
        try statement.execute()
        if !snapshot.released.isEmpty {
            try StampLayout.unlog(
                entity: snapshot.entity,
                record: snapshot.record.rawValue,
                snapshot.released,
                using: cache.unlog(db)
            )
        }
        let written = snapshot.heldFields.compactMap { field in
            stamps[field].map { (field: field, node: $0.stamp.node.rawValue, seq: $0.sequence) }
        }
        for row in StampLayout.logRows(written) {
            try logRow(row, entity: snapshot.entity, record: snapshot.record)
        }
        for (column, value) in snapshot.heldColumns where snapshot.row?.isEmpty == false {
            snapshot.row?[column] = value
        }
        if snapshot.row?.isEmpty != false { snapshot.row = nil }  // A new row: read its defaults when needed.
        snapshot.heldColumns = [:]
        snapshot.heldFields = []
        snapshot.released = []
        cache.confirm(db)
    }

    /// A value as its column stores it (a tombstone never null: `_deleted` is 0 or 1).
    private static func stored(_ value: Value, field: String) -> DatabaseValue {
        let stored = ColumnCoding.databaseValue(value)
        return field == Schema.deletedField && stored.isNull ? 0.databaseValue : stored
    }

    /// Adds a log row: fields of the record written with consecutive numbers by one node (see ``StampLayout``).
    private func logRow(_ row: StampLayout.LogRow, entity: String, record: RecordID) throws {
        let log = try cache.statement(.logInsert, db) {
            "INSERT INTO sst_log (seq, entity, record_id, fields, width, node) VALUES (?, ?, ?, ?, ?, ?)"
        }
        log.bind(1, row.seq)
        log.bind(2, entity)
        log.bind(3, record.rawValue)
        log.bind(4, StampLayout.fieldsText(row.fields))
        log.bind(5, Int64(row.fields.count))
        log.bind(6, row.node)
        try log.execute()
    }
}
