import GRDB
import SSTCore
import SSTPrivacy

/// The privacy filter's view of a node's tables, inside one database access, with lookups cached for
/// the length of one filter run.
final class StorePrivacyContext: PrivacyContext {
    let db: Database
    let today: CivilDate
    private var pupils: [String: RecordID?] = [:]
    private var consentCache: [RecordID: [ConsentState]] = [:]
    private var protected: [RecordID: Bool] = [:]
    private var reported: [RecordID: Bool] = [:]

    init(db: Database, today: CivilDate) {
        self.db = db
        self.today = today
    }

    func pupil(entity: String, record: RecordID) throws -> RecordID? {
        let key = "\(entity) \(record)"
        if let cached = pupils[key] { return cached }
        let pupil: RecordID?
        switch entity {
        case "pupil":
            pupil = record
        case "intervention", "meeting":
            pupil = try reference(entity: entity, record: record, column: "case_id")
                .flatMap { try self.pupil(entity: "case", record: $0) }
        default:
            pupil = try reference(entity: entity, record: record, column: "pupil_id")
        }
        pupils[key] = pupil
        return pupil
    }

    func hasProtectedIdentity(pupil: RecordID) throws -> Bool {
        if let cached = protected[pupil] { return cached }
        let value =
            try Bool.fetchOne(db, sql: "SELECT protected_identity FROM pupil WHERE id = ?", arguments: [pupil.rawValue])
            ?? false
        protected[pupil] = value
        return value
    }

    func consents(pupil: RecordID) throws -> [ConsentState] {
        if let cached = consentCache[pupil] { return cached }
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT id, scopes, status, valid_from, valid_until FROM consent WHERE pupil_id = ? AND NOT _purged",
            arguments: [pupil.rawValue]
        )
        let states = rows.compactMap { row -> ConsentState? in
            guard let id = RecordID(row["id"]) else { return nil }
            let scopes = ColumnCoding.value(row["scopes"], type: .stringList)
            guard case .list(let items) = scopes else { return nil }
            return ConsentState(
                id: id,
                pupil: pupil,
                scopes: Set(items),
                status: row["status"] ?? "pending",
                validFrom: (row["valid_from"] as String?).flatMap(CivilDate.init),
                validUntil: (row["valid_until"] as String?).flatMap(CivilDate.init)
            )
        }
        consentCache[pupil] = states
        return states
    }

    func hasConcernReport(pupil: RecordID) throws -> Bool {
        if let cached = reported[pupil] { return cached }
        let value =
            try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM concern_report WHERE pupil_id = ? AND NOT _deleted AND NOT _purged)",
                arguments: [pupil.rawValue]
            ) ?? false
        reported[pupil] = value
        return value
    }

    private func reference(entity: String, record: RecordID, column: String) throws -> RecordID? {
        let text = try String.fetchOne(
            db,
            sql: "SELECT \(ColumnCoding.quoted(column)) FROM \(ColumnCoding.quoted(entity)) WHERE id = ?",
            arguments: [record.rawValue]
        )
        return text.flatMap(RecordID.init)
    }
}
