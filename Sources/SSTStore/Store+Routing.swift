import GRDB
import SSTCore
import SSTPrivacy

/// On a hub: which school each record belongs to, learnt from the verified certificate of the school
/// node that first sent it, so a school pulls only its own records and pushes only to them.
extension Store {
    /// The school a record belongs to: its own home, else the home of the pupil it concerns.
    static func homeSchool(entity: String, record: RecordID, context: StorePrivacyContext) throws -> String? {
        if let school = try home(entity: entity, record: record, context.db) { return school }
        guard let pupil = try context.pupil(entity: entity, record: record) else { return nil }
        return try home(entity: "pupil", record: pupil, context.db)
    }

    private static func home(entity: String, record: RecordID, _ db: Database) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: homeSQL), arguments: [entity, record.rawValue])
    }

    /// A record's home school, by entity and record id.
    private static let homeSQL = "SELECT school FROM sst_record_home WHERE entity = ? AND record_id = ?"

    /// Refuses a school's set that touches another school's records or names another school, and remembers
    /// the sending school as the home of every record in the set new here and of every pupil it names. Runs
    /// before the merge, in its transaction: a refusal later in the apply takes the new homes back too.
    static func checkSchoolAndRecordHomes(
        _ changeSet: ChangeSet,
        school: String?,
        stadsdel: String?,
        _ db: Database
    ) throws {
        // Raw statements: a push of thousands of records runs these once or twice per record.
        let lookUp = try RawStatement(db, sql: homeSQL)
        let insert = try RawStatement(
            db,
            sql: "INSERT OR IGNORE INTO sst_record_home (entity, record_id, school, stadsdel) VALUES (?, ?, ?, ?)"
        )
        func home(_ entity: String, _ record: RecordID) throws -> String? {
            defer { lookUp.reset() }
            lookUp.bind(1, entity)
            lookUp.bind(2, record.rawValue)
            return try lookUp.step() ? lookUp.text(0) : nil
        }
        func remember(_ entity: String, _ record: String) throws {
            insert.bind(1, entity)
            insert.bind(2, record)
            insert.bind(3, school)
            insert.bind(4, stadsdel)
            try insert.execute()
        }
        var seen: Set<RecordKey> = []
        // The pupils named by `pupil_id` whose home is remembered already (a set names a pupil once per record).
        var named: Set<String> = []
        for change in changeSet.changes {
            if seen.insert(RecordKey(entity: change.entity, record: change.record)).inserted {
                if let home = try home(change.entity, change.record) {
                    guard home == school else {
                        throw ChangeSetError(
                            .notAuthorized,
                            "\(change.entity) \(change.record) belongs to another school; \(changeSet.origin) may "
                                + "write only \(school ?? "its own school")'s records",
                            remedy: "Nothing was applied. Check the node's certificate and the records it holds."
                        )
                    }
                } else {
                    try remember(change.entity, change.record.rawValue)
                }
            }
            if change.entity == "pupil", change.field == "school", case .string(let named) = change.value,
                named != school
            {
                throw ChangeSetError(
                    .notAuthorized,
                    "pupil \(change.record) is registered at \(named), but the sender's certificate is for "
                        + "\(school ?? "no school")",
                    remedy: "Nothing was applied. A school node sends only its own pupils."
                )
            }
            if change.field == "pupil_id", case .string(let pupil) = change.value, named.insert(pupil).inserted {
                try remember("pupil", pupil)
            }
        }
    }
}

/// One record of one entity, as a set member.
struct RecordKey: Hashable {
    let entity: String
    let record: RecordID
}
