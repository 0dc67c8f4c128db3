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
        return try home(entity: SchemaRoles.sst.pupil, record: pupil, context.db)
    }

    private static func home(entity: String, record: RecordID, _ db: Database) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: homeSQL), arguments: [entity, record.rawValue])
    }

    /// A record's home school, by entity and record id.
    private static let homeSQL = "SELECT school FROM sst_record_home WHERE entity = ? AND record_id = ?"

    /// Refuses a school's set that touches another school's records, points a reference at another school's
    /// record, or names another school or stadsdel than the sender's certificate; remembers the sending school as
    /// the home of every record in the set new here and of every record its references name that is new here.
    /// Runs before the merge, in its transaction: a refusal later in the apply takes the new homes back too.
    ///
    /// A record's school is its own home, else (a record the hub wrote, such as a case opened by a social
    /// worker) the home of the pupil it concerns as stored here.
    static func checkSchoolAndRecordHomes(
        _ changeSet: ChangeSet,
        school: String?,
        stadsdel: String?,
        schema: Schema,
        _ db: Database
    ) throws {
        // Raw statements: a push of thousands of records runs these once or twice per record.
        let lookUp = try RawStatement(db, sql: homeSQL)
        let insert = try RawStatement(
            db,
            sql: "INSERT OR IGNORE INTO sst_record_home (entity, record_id, school, stadsdel) VALUES (?, ?, ?, ?)"
        )
        let context = StorePrivacyContext(db: db, today: CivilDate(millisecondsSinceEpoch: 0))
        let roles = SchemaRoles.sst
        func home(_ entity: String, _ record: RecordID) throws -> String? {
            defer { lookUp.reset() }
            lookUp.bind(1, entity)
            lookUp.bind(2, record.rawValue)
            return try lookUp.step() ? lookUp.text(0) : nil
        }
        /// The school a record stored here belongs to, or nil for a record the hub knows nothing of.
        func owner(_ entity: String, _ record: RecordID) throws -> String? {
            if let school = try home(entity, record) { return school }
            guard entity != roles.pupil, let pupil = try context.pupil(entity: entity, record: record) else {
                return nil
            }
            return try home(roles.pupil, pupil)
        }
        func remember(_ entity: String, _ record: RecordID) throws {
            insert.bind(1, entity)
            insert.bind(2, record.rawValue)
            insert.bind(3, school)
            insert.bind(4, stadsdel)
            try insert.execute()
        }
        func refuse(_ message: String) -> ChangeSetError {
            ChangeSetError(
                .notAuthorized,
                message,
                remedy: "Nothing was applied. A school node writes only its own school's records, as its certificate "
                    + "names the school (\(school ?? "none")); check the node's certificate and the records it holds."
            )
        }
        var seen: Set<RecordKey> = []
        // References already checked (a set names a pupil once per record of it).
        var checkedReferences: Set<RecordKey> = []
        // Unknown entities and fields are left to the validation in the merge, which refuses them.
        for change in changeSet.changes where schema.entity(named: change.entity) != nil {
            if seen.insert(RecordKey(entity: change.entity, record: change.record)).inserted {
                if let home = try owner(change.entity, change.record) {
                    guard home == school else {
                        throw refuse(
                            "\(change.entity) \(change.record) belongs to another school; \(changeSet.origin) may "
                                + "write only \(school ?? "its own school")'s records"
                        )
                    }
                } else {
                    try remember(change.entity, change.record)
                }
            }
            if change.entity == roles.pupil, change.field == roles.school, case .string(let named) = change.value,
                named != school
            {
                throw refuse(
                    "pupil \(change.record) is registered at \(named), but the sender's certificate is for "
                        + "\(school ?? "no school")"
                )
            }
            if change.entity == roles.pupil, change.field == roles.stadsdel, let stadsdel,
                case .string(let named) = change.value, named != stadsdel
            {
                throw refuse(
                    "pupil \(change.record) is registered in the stadsdel \(named), but the sender's certificate is "
                        + "for \(stadsdel)"
                )
            }
            guard
                let target = schema.entity(named: change.entity)?.field(named: change.field)?.type.referencedEntity
            else { continue }
            for record in change.value.referencedRecords
            where checkedReferences.insert(RecordKey(entity: target, record: record)).inserted {
                if let home = try owner(target, record) {
                    guard home == school else {
                        throw refuse(
                            "\(change.entity) \(change.record) sets \(change.field) to \(target) \(record), which "
                                + "belongs to another school"
                        )
                    }
                } else {
                    try remember(target, record)
                }
            }
        }
    }
}

extension Store {
    /// At a school node: refuses a set from another node of the school side (a file, a peer) that registers a
    /// pupil at another school, writes a record of a pupil registered at another school, or points a reference
    /// at such a record. Runs before the merge, in its transaction.
    static func checkOwnSchool(_ changeSet: ChangeSet, school: String, schema: Schema, _ db: Database) throws {
        let context = StorePrivacyContext(db: db, today: CivilDate(millisecondsSinceEpoch: 0))
        let roles = SchemaRoles.sst
        // Nothing is written while the set is checked: each pupil's school is looked up once.
        var schools: [RecordID: String?] = [:]
        // Through the C API: it runs for every pupil of every set.
        let lookUp = try RawStatement(db, sql: Store.pupilSchoolSQL)
        func schoolOf(_ entity: String, _ record: RecordID) throws -> String? {
            guard let pupil = try context.pupil(entity: entity, record: record) else { return nil }
            if let known = schools[pupil] { return known }
            defer { lookUp.reset() }
            lookUp.bind(1, pupil.rawValue)
            let school = try lookUp.step() ? lookUp.text(0) : nil
            schools[pupil] = .some(school)
            return school
        }
        func refuse(_ message: String) -> ChangeSetError {
            ChangeSetError(
                .notAuthorized,
                message,
                remedy: "Nothing was applied. This node serves \(school) and takes only that school's records; check "
                    + "where the change set comes from."
            )
        }
        var checked: Set<RecordKey> = []
        func check(_ key: RecordKey, of change: FieldChange) throws {
            guard checked.insert(key).inserted, let other = try schoolOf(key.entity, key.record), other != school
            else { return }
            throw refuse(
                "\(change.entity) \(change.record) \(key.record == change.record ? "is" : "names \(key.entity) \(key.record), which is") "
                    + "a record of a pupil registered at \(other), not at \(school)"
            )
        }
        var previous: (entity: EntitySchema, record: RecordID)?
        // Unknown entities and fields are left to the validation in the merge, which refuses them.
        for change in changeSet.changes {
            if change.entity == roles.pupil, change.field == roles.school, case .string(let named) = change.value,
                named != school
            {
                throw refuse("pupil \(change.record) is registered at \(named), not at \(school)")
            }
            // A set's fields of one record follow one another: the record was checked with the first of them.
            let entity: EntitySchema
            if let previous, previous.record == change.record, previous.entity.name == change.entity {
                entity = previous.entity
            } else {
                guard let named = schema.entity(named: change.entity) else { continue }
                entity = named
                previous = (entity, change.record)
                try check(RecordKey(entity: change.entity, record: change.record), of: change)
            }
            if let target = entity.field(named: change.field)?.type.referencedEntity {
                for referenced in change.value.referencedRecords {
                    try check(RecordKey(entity: target, record: referenced), of: change)
                }
            }
        }
    }
}

extension Store {
    /// The school a pupil is registered at (the pupil entity's field with role ``FieldRole/school``). Its mark is
    /// numbered: the school check runs it through the C API (``RawStatement``), and no GRDB cursor of the same text
    /// may share it.
    package static let pupilSchoolSQL =
        "SELECT \(ColumnCoding.quoted(SchemaRoles.sst.school)) FROM \(ColumnCoding.quoted(SchemaRoles.sst.pupil)) "
        + "WHERE id = ?1"
}

/// One record of one entity, as a set member.
package struct RecordKey: Hashable {
    package let entity: String
    package let record: RecordID
}
