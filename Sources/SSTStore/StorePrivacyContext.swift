import GRDB
import SSTCore
import SSTPrivacy

/// The privacy filter's view of a node's tables, inside one database access, with lookups cached for
/// the length of one filter run. It reads its rows from a ``PrivacyRows`` source: the stored rows (the state
/// after a merge, or a node's own state when it sends), or the stored rows with a change set laid over them
/// (the state the set's merge will leave, read before it: ``ReceiverOverlay``). Every rule — which record
/// names which pupil, protection, consents, the legal-duty basis — is written once, here, over the rows.
package final class StorePrivacyContext: PrivacyContext {
    let db: Database
    package let today: CivilDate
    private let rows: PrivacyRows
    private var pupils: [RecordKey: RecordID?] = [:]
    private var consentCache: [RecordID: [ConsentState]] = [:]
    private var protected: [RecordID: Bool] = [:]
    private var reported: [RecordID: Bool] = [:]
    /// The last answers of ``pupil(entity:record:)`` and ``consents(pupil:)``: a change set lists a record's
    /// fields together and a pupil's records together, so most questions repeat the one before.
    private var lastPupil: (key: RecordKey, pupil: RecordID?)?
    private var lastConsents: (pupil: RecordID, consents: [ConsentState])?

    /// A context over the stored rows, or, with `overlay`, over the stored rows as the overlay's set leaves them.
    package init(db: Database, today: CivilDate, overlay: ReceiverOverlay? = nil) {
        self.db = db
        self.today = today
        self.rows = PrivacyRows(db: db, overlay: overlay)
    }

    package func pupil(entity: String, record: RecordID) throws -> RecordID? {
        let key = RecordKey(entity: entity, record: record)
        if let last = lastPupil, last.key == key { return last.pupil }
        let pupil = try lookUpPupil(key)
        lastPupil = (key, pupil)
        return pupil
    }

    private func lookUpPupil(_ key: RecordKey) throws -> RecordID? {
        let (entity, record) = (key.entity, key.record)
        if let cached = pupils[key] { return cached }
        let pupil = try resolvePupil(entity: entity, record: record)
        pupils[key] = pupil
        return pupil
    }

    /// By the entity's ``PupilPath``: itself for the pupil, the case's pupil for the entities of a case
    /// (interventions, meetings), the pupil its pupil reference names for the rest; nil for a record that
    /// concerns no pupil.
    private func resolvePupil(entity: String, record: RecordID) throws -> RecordID? {
        switch SchemaRoles.sst.pupilPath(of: entity) {
        case .itself:
            record
        case .throughCase(let field):
            try reference(entity: entity, record: record, column: field)
                .flatMap { try pupil(entity: SchemaRoles.sst.sstCase, record: $0) }
        case .reference(let field):
            try reference(entity: entity, record: record, column: field)
        case .none:
            nil
        }
    }

    /// Every record that ``pupil(entity:record:)`` maps to one of `pupils`: the pupils themselves, the records
    /// naming them by their pupil reference, and the records of their cases (interventions, meetings); read
    /// from the stored rows (the sweep asks it, never the receiver's overlay).
    package func records(of pupils: Set<RecordID>, schema: Schema) throws -> [RecordKey] {
        var keys: [RecordKey] = []
        var cases: [RecordID] = []
        for pupil in pupils.sorted() {
            keys.append(RecordKey(entity: SchemaRoles.sst.pupil, record: pupil))
            for entity in schema.entities {
                guard case .reference(let field) = schema.pupilPath(of: entity.name) else { continue }
                let ids = try String.fetchAll(
                    db.cachedStatement(sql: Self.recordsNaming(entity.name, in: field)),
                    arguments: [pupil.rawValue]
                ).compactMap(RecordID.init)
                keys += ids.map { RecordKey(entity: entity.name, record: $0) }
                if entity.role == .case { cases += ids }
            }
        }
        for entity in schema.entities {
            guard case .throughCase(let field) = schema.pupilPath(of: entity.name) else { continue }
            for caseID in cases {
                let ids = try String.fetchAll(
                    db.cachedStatement(sql: Self.recordsNaming(entity.name, in: field)),
                    arguments: [caseID.rawValue]
                ).compactMap(RecordID.init)
                keys += ids.map { RecordKey(entity: entity.name, record: $0) }
            }
        }
        return keys
    }

    /// The ids of the records of `entity` whose `field` names a record (given as the statement's argument).
    static func recordsNaming(_ entity: String, in field: String) -> String {
        "SELECT id FROM \(ColumnCoding.quoted(entity)) WHERE \(ColumnCoding.quoted(field)) = ?"
    }

    package func hasProtectedIdentity(pupil: RecordID) throws -> Bool {
        if let cached = protected[pupil] { return cached }
        let (entity, flag) = (SchemaRoles.sst.pupil, SchemaRoles.sst.protectionFlag)
        let value =
            try rows.columns([flag], entity: entity, record: pupil)[flag].flatMap(Bool.fromDatabaseValue) ?? false
        protected[pupil] = value
        return value
    }

    package func consents(pupil: RecordID) throws -> [ConsentState] {
        if let last = lastConsents, last.pupil == pupil { return last.consents }
        let consents = try lookUpConsents(pupil)
        lastConsents = (pupil, consents)
        return consents
    }

    /// The fields of a consent the filter judges it by (the consent entity's fields with the roles
    /// ``FieldRole/consentScopes``, ``FieldRole/consentStatus``, ``FieldRole/consentValidFrom`` and
    /// ``FieldRole/consentValidUntil``).
    static let consentColumns = [
        SchemaRoles.sst.consentScopes, SchemaRoles.sst.consentStatus, SchemaRoles.sst.consentValidFrom,
        SchemaRoles.sst.consentValidUntil,
    ]

    private func lookUpConsents(_ pupil: RecordID) throws -> [ConsentState] {
        if let cached = consentCache[pupil] { return cached }
        let (entity, pupilField) = (SchemaRoles.sst.consent, SchemaRoles.sst.consentPupil)
        let states = try rows.records(
            of: entity,
            namingPupil: pupil,
            in: pupilField,
            columns: Self.consentColumns + [Schema.purgedField]
        )
        .compactMap { id, columns -> ConsentState? in
            guard Self.flag(columns[Schema.purgedField]) == false else { return nil }
            return Self.consentState(id: id, pupil: pupil, columns)
        }
        consentCache[pupil] = states
        return states
    }

    /// A consent as the filter judges it, from its scopes, status and validity columns
    /// (``consentColumns``); nil when it has no scopes.
    static func consentState(id: RecordID, pupil: RecordID, _ columns: [String: DatabaseValue]) -> ConsentState? {
        let roles = SchemaRoles.sst
        let scopes = ColumnCoding.value(columns[roles.consentScopes] ?? .null, type: .stringList)
        guard case .list(let items) = scopes else { return nil }
        func text(_ column: String) -> String? { columns[column].flatMap { String.fromDatabaseValue($0) } }
        return ConsentState(
            id: id,
            pupil: pupil,
            scopes: Set(items),
            status: text(roles.consentStatus) ?? "pending",
            validFrom: text(roles.consentValidFrom).flatMap(CivilDate.init),
            validUntil: text(roles.consentValidUntil).flatMap(CivilDate.init)
        )
    }

    package func hasConcernReport(pupil: RecordID) throws -> Bool {
        if let cached = reported[pupil] { return cached }
        let value = try concernReport(pupil: pupil) != nil
        reported[pupil] = value
        return value
    }

    /// One record that gives the pupil the legal-duty basis, if any: of the entities with role
    /// ``EntityRole/legalDuty`` (the reports of concern), one naming the pupil, not deleted, not purged (the
    /// first by id).
    func concernReport(pupil: RecordID) throws -> RecordKey? {
        for duty in SchemaRoles.sst.legalDuty {
            let live = try rows.records(
                of: duty.entity,
                namingPupil: pupil,
                in: duty.pupilField,
                columns: [Schema.deletedField, Schema.purgedField]
            )
            .filter {
                Self.flag($0.columns[Schema.deletedField]) == false
                    && Self.flag($0.columns[Schema.purgedField]) == false
            }
            if let first = live.map(\.id).min() { return RecordKey(entity: duty.entity, record: first) }
        }
        return nil
    }

    /// The history is written after the receiver's decisions, so it reads the same before and after a merge.
    package func crossedRecord(entity: String, record: RecordID) throws -> CrossedRecord? {
        try Store.crossedRecord(entity: entity, record: record, db)
    }

    /// The record that `column` of a record refers to (its pupil or its case reference).
    func reference(entity: String, record: RecordID, column: String) throws -> RecordID? {
        try rows.columns([column], entity: entity, record: record)[column]
            .flatMap { String.fromDatabaseValue($0) }.flatMap(RecordID.init)
    }

    /// A marker column (`_deleted`, `_purged`): nil when the record has no row.
    private static func flag(_ value: DatabaseValue?) -> Bool? {
        value.flatMap { Bool.fromDatabaseValue($0) }
    }
}

/// Where ``StorePrivacyContext`` reads a record's columns: the stored rows, or — with a ``ReceiverOverlay`` —
/// the stored rows as a change set's merge will leave them.
struct PrivacyRows {
    let db: Database
    let overlay: ReceiverOverlay?
    /// The statements reading a record's columns, by entity and columns: a filter run or a school check asks
    /// for the same few columns of thousands of records.
    private let statements = ColumnStatements()

    init(db: Database, overlay: ReceiverOverlay?) {
        self.db = db
        self.overlay = overlay
    }

    /// Columns of a record; all null for a record that has no row.
    func columns(_ names: [String], entity: String, record: RecordID) throws -> [String: DatabaseValue] {
        if let decided = overlay?.columnsDecidedBySet(names, entity: entity, record: record) { return decided }
        let statement = try statements.statement(entity: entity, columns: names, db)
        defer { statement.reset() }
        statement.bind(1, record.rawValue)
        let found = try statement.step()
        var stored: [String: DatabaseValue] = [:]
        for (index, name) in names.enumerated() {
            stored[name] = found ? statement.databaseValue(Int32(index)) : .null
        }
        return overlay?.patch(stored, entity: entity, record: record) ?? stored
    }

    /// The records of `entity` whose `pupilField` names `pupil`, with the given columns.
    func records(
        of entity: String,
        namingPupil pupil: RecordID,
        in pupilField: String,
        columns names: [String]
    ) throws -> [(id: RecordID, columns: [String: DatabaseValue])] {
        guard let overlay else {
            let list = (["id"] + names).map(ColumnCoding.quoted).joined(separator: ", ")
            let sql =
                "SELECT \(list) FROM \(ColumnCoding.quoted(entity)) WHERE \(ColumnCoding.quoted(pupilField)) = ?"
            return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: [pupil.rawValue]).compactMap { row in
                guard let id = RecordID(row["id"]) else { return nil }
                return (id, Dictionary(uniqueKeysWithValues: names.map { ($0, row[$0] as DatabaseValue) }))
            }
        }
        // Those naming the pupil before the set, and those the set makes name it, as the set leaves them;
        // sorted, so that every run asks in the same order.
        let before = try String.fetchAll(
            db.cachedStatement(sql: StorePrivacyContext.recordsNaming(entity, in: pupilField)),
            arguments: [pupil.rawValue]
        )
        .compactMap(RecordID.init)
        let candidates = Set(before).union(overlay.records(of: entity, namingPupil: pupil)).sorted()
        return try candidates.compactMap { id in
            var row = try columns([pupilField] + names, entity: entity, record: id)
            guard row.removeValue(forKey: pupilField).flatMap({ String.fromDatabaseValue($0) }) == pupil.rawValue
            else { return nil }
            return (id, row)
        }
    }
}

/// The prepared statements of ``PrivacyRows/columns(_:entity:record:)``, kept for one privacy context.
private final class ColumnStatements {
    private struct Key: Hashable {
        let entity: String
        let columns: [String]
    }

    private var statements: [Key: RawStatement] = [:]

    func statement(entity: String, columns: [String], _ db: Database) throws -> RawStatement {
        let key = Key(entity: entity, columns: columns)
        if let statement = statements[key] { return statement }
        // `?1`, not `?`: SQL text of its own, so that GRDB's statement cache never hands this statement to a
        // cursor of the same query that is still open.
        let list = columns.map(ColumnCoding.quoted).joined(separator: ", ")
        let statement = try RawStatement(db, sql: "SELECT \(list) FROM \(ColumnCoding.quoted(entity)) WHERE id = ?1")
        statements[key] = statement
        return statement
    }
}
