import GRDB
import SSTCore
import SSTPrivacy

/// The rule by which the privacy contexts find the pupil a record concerns, from its reference columns.
protocol PupilReferences: PrivacyContext {
    /// The record that `column` of a record refers to (`pupil_id`, `case_id`).
    func reference(entity: String, record: RecordID, column: String) throws -> RecordID?
}

extension PupilReferences {
    /// Itself for a pupil, the case's pupil for interventions and meetings, `pupil_id` for the rest.
    func resolvePupil(entity: String, record: RecordID) throws -> RecordID? {
        switch entity {
        case "pupil":
            record
        case _ where StorePrivacyContext.caseEntities.contains(entity):
            try reference(entity: entity, record: record, column: "case_id")
                .flatMap { try pupil(entity: "case", record: $0) }
        default:
            try reference(entity: entity, record: record, column: "pupil_id")
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

    /// The entities that reach their pupil through `case_id`.
    static let caseEntities = ["intervention", "meeting"]

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
    /// naming them by `pupil_id`, and the interventions and meetings of their cases.
    func records(of pupils: Set<RecordID>, schema: Schema) throws -> [RecordKey] {
        var keys: [RecordKey] = []
        var cases: [RecordID] = []
        for pupil in pupils.sorted() {
            keys.append(RecordKey(entity: "pupil", record: pupil))
            for entity in schema.entities where entity.name != "pupil" && entity.field(named: "pupil_id") != nil {
                guard !Self.caseEntities.contains(entity.name) else { continue }
                let ids = try String.fetchAll(
                    db.cachedStatement(sql: "SELECT id FROM \(ColumnCoding.quoted(entity.name)) WHERE pupil_id = ?"),
                    arguments: [pupil.rawValue]
                ).compactMap(RecordID.init)
                keys += ids.map { RecordKey(entity: entity.name, record: $0) }
                if entity.name == "case" { cases += ids }
            }
        }
        for entity in Self.caseEntities {
            for caseID in cases {
                let ids = try String.fetchAll(
                    db.cachedStatement(sql: "SELECT id FROM \(ColumnCoding.quoted(entity)) WHERE case_id = ?"),
                    arguments: [caseID.rawValue]
                ).compactMap(RecordID.init)
                keys += ids.map { RecordKey(entity: entity, record: $0) }
            }
        }
        return keys
    }

    func hasProtectedIdentity(pupil: RecordID) throws -> Bool {
        if let cached = protected[pupil] { return cached }
        let value =
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT protected_identity FROM pupil WHERE id = ?"),
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

    private func lookUpConsents(_ pupil: RecordID) throws -> [ConsentState] {
        if let cached = consentCache[pupil] { return cached }
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT id, scopes, status, valid_from, valid_until FROM consent "
                    + "WHERE pupil_id = ? AND NOT _purged"
            ),
            arguments: [pupil.rawValue]
        )
        let states = rows.compactMap { row -> ConsentState? in
            guard let id = RecordID(row["id"]) else { return nil }
            let columns = ["scopes", "status", "valid_from", "valid_until"].map { ($0, row[$0] as DatabaseValue) }
            return Self.consentState(id: id, pupil: pupil, Dictionary(uniqueKeysWithValues: columns))
        }
        consentCache[pupil] = states
        return states
    }

    /// A consent as the filter judges it, from its `scopes`, `status`, `valid_from` and `valid_until` columns;
    /// nil when it has no scopes.
    static func consentState(id: RecordID, pupil: RecordID, _ columns: [String: DatabaseValue]) -> ConsentState? {
        let scopes = ColumnCoding.value(columns["scopes"] ?? .null, type: .stringList)
        guard case .list(let items) = scopes else { return nil }
        func text(_ column: String) -> String? { columns[column].flatMap { String.fromDatabaseValue($0) } }
        return ConsentState(
            id: id,
            pupil: pupil,
            scopes: Set(items),
            status: text("status") ?? "pending",
            validFrom: text("valid_from").flatMap(CivilDate.init),
            validUntil: text("valid_until").flatMap(CivilDate.init)
        )
    }

    /// The reports of concern that give the legal-duty basis: those naming the pupil, not deleted, not purged.
    private static let liveReports = "FROM concern_report WHERE pupil_id = ? AND NOT _deleted AND NOT _purged"

    func hasConcernReport(pupil: RecordID) throws -> Bool {
        if let cached = reported[pupil] { return cached }
        let value =
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 \(Self.liveReports))"),
                arguments: [pupil.rawValue]
            ) ?? false
        reported[pupil] = value
        return value
    }

    /// One report of concern that gives the pupil the legal-duty basis (the first by id), if any.
    func concernReport(pupil: RecordID) throws -> RecordID? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT id \(Self.liveReports) ORDER BY id LIMIT 1"),
            arguments: [pupil.rawValue]
        ).flatMap(RecordID.init)
    }

    func crossedRecord(entity: String, record: RecordID) throws -> CrossedRecord? {
        try Store.crossedRecord(entity: entity, record: record, db)
    }

    /// The record that `column` of a record refers to (`pupil_id`, `case_id`).
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
