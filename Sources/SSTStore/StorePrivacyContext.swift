import GRDB
import SSTCore
import SSTPrivacy

/// The rule by which the privacy contexts find the pupil a record concerns, from its reference columns.
protocol PupilReferences: PrivacyContext {
    /// The record that `column` of a record refers to (its pupil or its case reference).
    func reference(entity: String, record: RecordID, column: String) throws -> RecordID?
}

extension PupilReferences {
    /// By the entity's ``PupilPath``: itself for the pupil, the case's pupil for the entities of a case
    /// (interventions, meetings), the pupil its pupil reference names for the rest; nil for a record that
    /// concerns no pupil.
    func resolvePupil(entity: String, record: RecordID) throws -> RecordID? {
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
}

/// The privacy filter's view of a node's tables, inside one database access, with lookups cached for
/// the length of one filter run.
final class StorePrivacyContext: PupilReferences {
    let db: Database
    let today: CivilDate
    private var pupils: [RecordKey: RecordID?] = [:]
    private var consentCache: [RecordID: [ConsentState]] = [:]
    private var protected: [RecordID: Bool] = [:]
    private var reported: [RecordID: Bool] = [:]
    /// The last answers of ``pupil(entity:record:)`` and ``consents(pupil:)``: a change set lists a record's
    /// fields together and a pupil's records together, so most questions repeat the one before.
    private var lastPupil: (key: RecordKey, pupil: RecordID?)?
    private var lastConsents: (pupil: RecordID, consents: [ConsentState])?

    init(db: Database, today: CivilDate) {
        self.db = db
        self.today = today
    }

    func pupil(entity: String, record: RecordID) throws -> RecordID? {
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

    /// Every record that ``pupil(entity:record:)`` maps to one of `pupils`: the pupils themselves, the records
    /// naming them by their pupil reference, and the records of their cases (interventions, meetings).
    func records(of pupils: Set<RecordID>, schema: Schema) throws -> [RecordKey] {
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

    /// The pupil's protection flag (the pupil entity's field with role ``FieldRole/protectionFlag``).
    private static let protectionSQL: String = {
        let (flag, pupil) = (
            ColumnCoding.quoted(SchemaRoles.sst.protectionFlag), ColumnCoding.quoted(SchemaRoles.sst.pupil)
        )
        return "SELECT \(flag) FROM \(pupil) WHERE id = ?"
    }()

    func hasProtectedIdentity(pupil: RecordID) throws -> Bool {
        if let cached = protected[pupil] { return cached }
        let value =
            try Bool.fetchOne(
                db.cachedStatement(sql: Self.protectionSQL),
                arguments: [pupil.rawValue]
            ) ?? false
        protected[pupil] = value
        return value
    }

    func consents(pupil: RecordID) throws -> [ConsentState] {
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

    /// A pupil's consents that are not purged, with the columns the filter reads.
    private static let consentsSQL =
        "SELECT id, \(consentColumns.map(ColumnCoding.quoted).joined(separator: ", ")) "
        + "FROM \(ColumnCoding.quoted(SchemaRoles.sst.consent)) "
        + "WHERE \(ColumnCoding.quoted(SchemaRoles.sst.consentPupil)) = ? AND NOT _purged"

    private func lookUpConsents(_ pupil: RecordID) throws -> [ConsentState] {
        if let cached = consentCache[pupil] { return cached }
        let rows = try Row.fetchAll(db.cachedStatement(sql: Self.consentsSQL), arguments: [pupil.rawValue])
        let states = rows.compactMap { row -> ConsentState? in
            guard let id = RecordID(row["id"]) else { return nil }
            let columns = Self.consentColumns.map { ($0, row[$0] as DatabaseValue) }
            return Self.consentState(id: id, pupil: pupil, Dictionary(uniqueKeysWithValues: columns))
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

    /// The records that give the legal-duty basis (of the entities with role ``EntityRole/legalDuty``: the
    /// reports of concern): those naming the pupil, not deleted, not purged. Per entity, the SQL after `SELECT`.
    private static let liveReports = SchemaRoles.sst.legalDuty.map { duty in
        (
            entity: duty.entity,
            from: "FROM \(ColumnCoding.quoted(duty.entity)) WHERE \(ColumnCoding.quoted(duty.pupilField)) = ? "
                + "AND NOT _deleted AND NOT _purged"
        )
    }

    func hasConcernReport(pupil: RecordID) throws -> Bool {
        if let cached = reported[pupil] { return cached }
        var value = false
        for reports in Self.liveReports where !value {
            value =
                try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 \(reports.from))"),
                    arguments: [pupil.rawValue]
                ) ?? false
        }
        reported[pupil] = value
        return value
    }

    /// One record that gives the pupil the legal-duty basis (a report of concern, the first by id), if any.
    func concernReport(pupil: RecordID) throws -> RecordKey? {
        for reports in Self.liveReports {
            if let id = try String.fetchOne(
                db.cachedStatement(sql: "SELECT id \(reports.from) ORDER BY id LIMIT 1"),
                arguments: [pupil.rawValue]
            ).flatMap(RecordID.init) {
                return RecordKey(entity: reports.entity, record: id)
            }
        }
        return nil
    }

    func crossedRecord(entity: String, record: RecordID) throws -> CrossedRecord? {
        try Store.crossedRecord(entity: entity, record: record, db)
    }

    /// The record that `column` of a record refers to (its pupil or its case reference).
    func reference(entity: String, record: RecordID, column: String) throws -> RecordID? {
        let text = try String.fetchOne(
            db.cachedStatement(
                sql: "SELECT \(ColumnCoding.quoted(column)) FROM \(ColumnCoding.quoted(entity)) WHERE id = ?"
            ),
            arguments: [record.rawValue]
        )
        return text.flatMap(RecordID.init)
    }
}
