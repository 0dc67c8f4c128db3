import Foundation
import GRDB
import SSTCore
import SSTPrivacy
import SSTStore

/// The staff API's reads and writes, each logged in the audit trail in the transaction that performs it: no
/// read is answered and no write is kept without its entry.
extension Store {
    /// A record's fields, read by a staff member: the read is logged (kind `staff_read`, with the record's
    /// pupil and the fields read) in the same transaction, also when there is no such record. Nil when the record
    /// is unknown here.
    public func readRecord(
        entity entityName: String,
        record: RecordID,
        presenting token: StaffToken
    ) throws -> [String: FieldState]? {
        let entity = try entitySchema(entityName)
        let physical = physicalClock.milliseconds()
        return try writer.write { db in
            let member = try Self.requireStaff(presenting: token, db)
            try Self.authorize(member, .read, entity.name, entity, scopeOf: (entity.name, record), db)
            let fields = try recordFields(entity: entity, record: record, db)
            try Self.appendAudit(
                member.readEntry(
                    at: physical,
                    pupil: try Self.pupil(of: entity.name, record, db),
                    fields: (fields?.keys.sorted() ?? []).map { "\(entity.name).\($0)" },
                    detail: "\(entity.name) \(record)" + (fields == nil ? ": not found" : "")
                ),
                db
            )
            return fields
        }
    }

    /// Writes fields of a record for a staff member, as ``set(entity:record:values:)`` does, and logs the write
    /// (kind `staff_write`) in the same transaction. Refuses, changing nothing, a field this node's side does not
    /// own (a school writes the school's fields and the shared case work, social services theirs and the shared),
    /// and any write of a consent record, which only ``grantConsent(_:presenting:)``,
    /// ``answerConsent(id:guardian:consents:presenting:)`` and ``withdrawConsent(id:presenting:)`` make.
    @discardableResult
    public func writeRecord(
        entity entityName: String,
        record: RecordID,
        values: [String: Value],
        presenting token: StaffToken
    ) throws -> [FieldChange] {
        let entity = try entitySchema(entityName)
        guard !values.isEmpty else {
            throw StoreError(.invalidValue, "no fields to write", remedy: "Give at least one field and its value.")
        }
        // Names and other strings are kept NFC-normalised, so "Åsa" typed decomposed on another system is found.
        let values = values.mapValues { value -> Value in
            if case .string(let text) = value { return .string(text.precomposedStringWithCanonicalMapping) }
            return value
        }
        let physical = physicalClock.milliseconds()
        return try withSession { session in
            let member = try Self.checkStaffWrite(entity, values.keys.sorted(), presenting: token, session.db)
            try Self.authorize(member, .write, entity.name, entity, scopeOf: (entity.name, record), session.db)
            try Self.checkStaffReferences(entity, values, session.db)
            let changes = try set(entity: entity.name, record: record, values: values, in: &session, physical: physical)
            try Self.logStaffWrite(changes, by: member, physical: physical, session.db)
            return changes
        }
    }

    /// At a school node, refuses a staff write that points a reference (`pupil_id`, `case_id`, `given_by` …) at a
    /// record the node does not hold or at a record of a pupil registered at another school, or that registers a
    /// pupil at another school than the node's. (At the hub a social worker may name a pupil known only by the id
    /// a case carried.)
    static func checkStaffReferences(_ entity: EntitySchema, _ values: [String: Value], _ db: Database) throws {
        let identity = try identity(db)
        guard identity.role == .school else { return }
        let school = identity.school
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            if entity.role == .pupil, entity.field(named: name)?.role == .school, let school,
                case .string(let named) = value, named != school
            {
                throw StoreError(
                    .notPermitted,
                    "this node serves \(school); a pupil cannot be registered at \(named) here",
                    remedy: "Register the pupil at the node of the school the pupil attends."
                )
            }
            guard let target = entity.field(named: name)?.type.referencedEntity else { continue }
            for record in value.referencedRecords {
                let exists = try Bool.fetchOne(
                    db,
                    sql: "SELECT EXISTS (SELECT 1 FROM \(ColumnCoding.quoted(target)) WHERE id = ? AND NOT _purged)",
                    arguments: [record.rawValue]
                )
                guard exists == true else {
                    throw StoreError(
                        .invalidValue,
                        "\(entity.name).\(name) names \(target) \(record), which this node does not hold",
                        remedy:
                            "Give the id of a \(target) record this node holds (find pupils with /api/v1/pupils?q=…)."
                    )
                }
                guard let school else { continue }
                let context = StorePrivacyContext(db: db, today: CivilDate(millisecondsSinceEpoch: 0))
                let other = try context.pupil(entity: target, record: record).flatMap { pupil in
                    try String.fetchOne(db, sql: pupilSchoolSQL, arguments: [pupil.rawValue])
                }
                if let other, other != school {
                    throw StoreError(
                        .notPermitted,
                        "\(entity.name).\(name) names \(target) \(record), a record of a pupil registered at "
                            + "\(other), not at \(school)",
                        remedy: "Give the id of a record of this school's pupils."
                    )
                }
            }
        }
    }

    /// Every conflict at this node, for a staff member (those in elevhälsa records only for elevhälsa staff): each
    /// is logged as a `staff_read` of its record's pupil, in the same transaction.
    public func staffConflicts(presenting token: StaffToken) throws -> [Conflict] {
        let physical = physicalClock.milliseconds()
        return try writer.write { db in
            let member = try Self.requireStaff(presenting: token, db)
            let found = try conflicts(db).filter { conflict in
                let scope = try Self.recordScope(of: member, entity: conflict.entity, record: conflict.record, db)
                let entity = schema.entity(named: conflict.entity)
                return member.permits(.read, entity: entity, named: conflict.entity, scope: scope)
            }
            let context = StorePrivacyContext(db: db, today: CivilDate(millisecondsSinceEpoch: physical))
            let entries = try found.map { conflict in
                member.readEntry(
                    at: physical,
                    pupil: try context.pupil(entity: conflict.entity, record: conflict.record),
                    fields: ["\(conflict.entity).\(conflict.field)"],
                    detail: "conflict in \(conflict.entity) \(conflict.record)"
                )
            }
            try Self.appendAudit(entries, db)
            return found
        }
    }

    /// The staff member of a valid `token`, at a school node: consents are recorded at the pupil's school (the
    /// hub receives them).
    static func requireConsentStaff(presenting token: StaffToken, _ db: Database) throws -> StaffMember {
        let member = try requireStaff(presenting: token, db)
        try authorize(member, .write, EntityName.consent, nil, scopeOf: nil, db)
        guard try identity(db).side == .school else {
            throw StoreError(
                .notOwner,
                "consents are recorded at the pupil's school node, not at the hub",
                remedy: "Ask the pupil's school to record, answer or withdraw the consent; it reaches the hub by sync."
            )
        }
        return member
    }

    /// A pupil's file: every record at this node that concerns the pupil (the pupil, the records naming it, the
    /// interventions and meetings of its cases, as the privacy filter finds them), by entity and id, read by a
    /// staff member; elevhälsa records only for elevhälsa staff (the others learn how many were withheld).
    /// Logged as one `staff_read` entry with every field read, also when the node holds nothing of the pupil
    /// (then nil).
    public func readPupilFile(pupil: RecordID, presenting token: StaffToken) throws -> PupilFile? {
        let physical = physicalClock.milliseconds()
        return try writer.write { db in
            let member = try Self.requireStaff(presenting: token, db)
            let pupilEntity = schema.entity(withRole: .pupil)
            try Self.authorize(member, .read, pupilEntity.name, pupilEntity, scopeOf: (pupilEntity.name, pupil), db)
            let context = StorePrivacyContext(db: db, today: CivilDate(millisecondsSinceEpoch: physical))
            var records: [RecordRead] = []
            var withheld = 0
            for key in try context.records(of: [pupil], schema: schema) {
                guard let entity = schema.entity(named: key.entity),
                    let fields = try recordFields(entity: entity, record: key.record, db)
                else { continue }
                if entity.holdsHealthRecords && !member.healthRecords {
                    withheld += 1
                    continue
                }
                // The role decides the rest (a mentor reads the identity and absence only).
                guard member.permits(.read, entity: entity, named: entity.name, scope: .own) else { continue }
                records.append(RecordRead(entity: entity.name, record: key.record, fields: fields))
            }
            records.sort { ($0.entity, $0.record) < ($1.entity, $1.record) }
            let read = Set(records.flatMap { record in record.fields.keys.map { "\(record.entity).\($0)" } })
            let nothing = records.isEmpty && withheld == 0
            try Self.appendAudit(
                member.readEntry(
                    at: physical,
                    pupil: pupil,
                    fields: Array(read),
                    detail: "pupil file of \(pupil): "
                        + (nothing ? "not found" : records.count == 1 ? "1 record" : "\(records.count) records")
                        + (withheld > 0 ? ", elevhälsa records withheld: \(withheld)" : "")
                ),
                db
            )
            return nothing ? nil : PupilFile(records: records, withheldHealthRecords: withheld)
        }
    }

    /// A pupil's consents with their status as of today (as ``consentSummaries(pupil:)``), read by a staff
    /// member and logged as one `staff_read` of the pupil in the same transaction.
    public func readConsents(pupil: RecordID, presenting token: StaffToken) throws -> [ConsentSummary] {
        let physical = physicalClock.milliseconds()
        return try writer.write { db in
            let member = try Self.requireStaff(presenting: token, db)
            let consent = schema.entity(withRole: .consent)
            try Self.authorize(member, .read, consent.name, consent, scopeOf: (EntityName.pupil, pupil), db)
            let summaries = try consentSummaries(pupil: pupil, today: CivilDate(millisecondsSinceEpoch: physical), db)
            let shown = [
                FieldName.pupilID, FieldName.scopes, FieldName.status, FieldName.validFrom, FieldName.validUntil,
                FieldName.givenBy, FieldName.method,
            ]
            try Self.appendAudit(
                member.readEntry(
                    at: physical,
                    pupil: pupil,
                    fields: summaries.isEmpty ? [] : shown.map { "\(consent.name).\($0)" },
                    detail: "consents of \(pupil): \(summaries.count)"
                ),
                db
            )
            return summaries
        }
    }

    /// What crossed the boundary about a pupil (*what has been shared*, which a guardian may ask for): the
    /// audit trail's `sent` entries of the pupil, oldest first, each with its fields, time, direction and basis.
    /// Read by a staff member and logged as one `staff_read` of the pupil in the same transaction
    /// (`disclosures of <id>: <n>`).
    public func readDisclosures(pupil: RecordID, presenting token: StaffToken) throws -> [AuditEntry] {
        let physical = physicalClock.milliseconds()
        return try writer.write { db in
            let member = try Self.requireStaff(presenting: token, db)
            try Self.authorize(member, .read, StaffAccessRules.disclosures, nil, scopeOf: (EntityName.pupil, pupil), db)
            let rows = try String.fetchAll(db, sql: "SELECT entry FROM sst_audit WHERE kind = 'sent' ORDER BY seq")
            let sent = try rows.compactMap { text -> AuditEntry? in
                let json = try JSONDecoder().decode(CanonicalJSON.self, from: Data(text.utf8))
                guard let entry = AuditEntry(json: json), entry.pupil == pupil else { return nil }
                return entry
            }
            try Self.appendAudit(
                member.readEntry(at: physical, pupil: pupil, detail: "disclosures of \(pupil): \(sent.count)"),
                db
            )
            return sent
        }
    }
}

extension StaffMember {
    /// The audit entry of a read by this member (kind `staff_read`).
    func readEntry(at physical: UInt64, pupil: RecordID? = nil, fields: [String] = [], detail: String) -> AuditEntry {
        AuditEntry(
            kind: .staffRead,
            atMilliseconds: physical,
            peer: auditName,
            pupil: pupil,
            fields: fields,
            detail: detail
        )
    }
}

/// A pupil's file as a staff member may read it.
public struct PupilFile: Hashable, Sendable {
    /// The records, by entity and id.
    public let records: [RecordRead]
    /// How many elevhälsa records the staff member may not read.
    public let withheldHealthRecords: Int
}

/// One record of a staff member's read: its entity, id and fields.
public struct RecordRead: Hashable, Sendable {
    public let entity: String
    public let record: RecordID
    public let fields: [String: FieldState]

    public init(entity: String, record: RecordID, fields: [String: FieldState]) {
        self.entity = entity
        self.record = record
        self.fields = fields
    }
}
