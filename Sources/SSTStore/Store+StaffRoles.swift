import GRDB
import SSTCore
import SSTPrivacy

/// What a staff member does at the node (`sst staff add --role`): the one thing, with the classes or stadsdel on
/// the account, that decides what the member may read and write through the staff API and the page.
public enum StaffRole: String, CaseIterable, Hashable, Sendable {
    /// *Elevhälsa* (school nurse, psychologist, kurator): every record of the school's pupils, elevhälsa records
    /// included. Today's `--health-records`.
    case elevhalsa
    /// The school's SST team (kurator, rektor, specialpedagog): every record of the school's pupils but
    /// elevhälsa records. The default at a school node.
    case sst
    /// A mentor: reads the identity and the absence of the pupils of the classes on the account; no cases, no
    /// consents, no other records, and writes nothing.
    case mentor
    /// Social services at the hub: every record the hub holds, only of its stadsdel when the account is bound
    /// to one (`--stadsdel`). The default at the hub.
    case social
}

/// What a staff member does with a record.
public enum StaffAction: String, CaseIterable, Hashable, Sendable {
    case read, write
}

/// Whether a record is within the account's bounds: a mentor's classes, a social worker's stadsdel. Records of
/// a school node's own pupils are within the bounds of the school's elevhälsa and SST staff.
public enum RecordScope: String, CaseIterable, Hashable, Sendable {
    case own, other
}

/// The role matrix (`Protocol/staff-api.md`, "Roles"): the one place that says which role may do what with which
/// records, for the staff API and the page alike. The store asks it for every staff read and write.
public enum StaffAccessRules {
    /// What a mentor reads: the pupil's identity and absence.
    public static let mentorEntities: Set<String> = [EntityName.pupil, EntityName.absence]
    /// The pseudo-entity of the disclosure log (what has been shared about a pupil).
    public static let disclosures = "disclosures"

    /// Whether `role` may `action` a record of `entity` (or the disclosure log) that is `scope` for the account.
    /// `healthRecord`: the entity holds elevhälsa records.
    public static func permits(
        _ role: StaffRole,
        _ action: StaffAction,
        entity: String,
        healthRecord: Bool,
        scope: RecordScope
    ) -> Bool {
        switch role {
        case .elevhalsa: return scope == .own
        case .sst: return scope == .own && !healthRecord
        case .mentor: return action == .read && scope == .own && mentorEntities.contains(entity)
        case .social: return scope == .own && !healthRecord
        }
    }
}

extension StaffMember {
    /// Whether the member may `action` a record of `entity` that is `scope` for the account.
    public func permits(_ action: StaffAction, entity: EntitySchema?, named name: String, scope: RecordScope) -> Bool {
        StaffAccessRules.permits(
            role,
            action,
            entity: name,
            healthRecord: entity?.holdsHealthRecords ?? false,
            scope: scope
        )
    }
}

extension Store {
    /// Refuses, with `notPermitted`, what the member's role does not allow (``StaffAccessRules``): a record of
    /// `name` (an entity, or ``StaffAccessRules/disclosures``), judged by the account's classes or stadsdel on
    /// `scopeOf` (the record itself, or the pupil it is about); with no `scopeOf`, by the role and the entity alone.
    static func authorize(
        _ member: StaffMember,
        _ action: StaffAction,
        _ name: String,
        _ entity: EntitySchema?,
        scopeOf target: (entity: String, record: RecordID)?,
        _ db: Database
    ) throws {
        let scope = try target.map { try recordScope(of: member, entity: $0.entity, record: $0.record, db) } ?? .own
        guard !member.permits(action, entity: entity, named: name, scope: scope) else { return }
        let what = name == StaffAccessRules.disclosures ? "what has been shared about a pupil" : "\(name) records"
        let reason: String
        if entity?.holdsHealthRecords == true, member.role != .elevhalsa {
            reason = "\(name) is an elevhälsa record, and \(member.name) is not elevhälsa staff on this node"
        } else if scope == .other {
            reason =
                member.role == .mentor
                ? "\(member.name) is a mentor of \(member.classes.joined(separator: ", ")), not of this pupil's class"
                : "the record is of another stadsdel than \(member.name)'s (\(member.stadsdel ?? "?"))"
        } else {
            reason = "\(member.name) (\(member.role.rawValue)) may not \(action.rawValue) \(what)"
        }
        throw StoreError(
            .notPermitted,
            reason,
            remedy:
                "Elevhälsa records are read and written by elevhälsa staff only (`sst staff add --health-records` or "
                + "`--role elevhalsa`); a mentor reads the identity and absence of the classes on the account; "
                + "what each role may read and write is in Protocol/staff-api.md (Roles)."
        )
    }

    /// Whether a record is within the account's bounds: its pupil in a mentor's classes, its stadsdel the social
    /// worker's; everything at the node for the school's elevhälsa and SST staff and for unbound hub staff.
    static func recordScope(
        of member: StaffMember,
        entity: String,
        record: RecordID,
        _ db: Database
    ) throws
        -> RecordScope
    {
        switch member.role {
        case .elevhalsa, .sst:
            return .own
        case .mentor:
            let context = StorePrivacyContext(db: db, today: CivilDate(millisecondsSinceEpoch: 0))
            guard let pupil = try context.pupil(entity: entity, record: record),
                let className = try String.fetchOne(
                    db,
                    sql: "SELECT \(ColumnCoding.quoted(FieldName.className)) "
                        + "FROM \(ColumnCoding.quoted(EntityName.pupil)) WHERE id = ?",
                    arguments: [pupil.rawValue]
                )
            else { return .other }
            let normalised = className.uppercased()
            return member.classes.contains { $0.uppercased() == normalised } ? .own : .other
        case .social:
            guard let stadsdel = member.stadsdel else { return .own }
            return try recordStadsdel(entity: entity, record: record, db) == stadsdel ? .own : .other
        }
    }

    /// At the hub, the stadsdel of a record: its own home's, else its pupil's home's, else the pupil's `stadsdel`.
    static func recordStadsdel(entity: String, record: RecordID, _ db: Database) throws -> String? {
        let sql = "SELECT stadsdel FROM sst_record_home WHERE entity = ? AND record_id = ?"
        let context = StorePrivacyContext(db: db, today: CivilDate(millisecondsSinceEpoch: 0))
        if let own = try String.fetchOne(db, sql: sql, arguments: [entity, record.rawValue]) { return own }
        guard let pupil = try context.pupil(entity: entity, record: record) else { return nil }
        let roles = SchemaRoles.sst
        if let home = try String.fetchOne(db, sql: sql, arguments: [roles.pupil, pupil.rawValue]) { return home }
        return try String.fetchOne(
            db,
            sql: "SELECT \(ColumnCoding.quoted(roles.stadsdel)) FROM \(ColumnCoding.quoted(roles.pupil)) WHERE id = ?",
            arguments: [pupil.rawValue]
        )
    }

    /// The role an account is given when `sst staff add` names none: elevhälsa with `--health-records`, else SST at
    /// a school node and social services at the hub.
    static func defaultRole(healthRecords: Bool, side: Side) -> StaffRole {
        healthRecords ? .elevhalsa : side == .school ? .sst : .social
    }
}

extension StoreMigrations {
    /// `staff-roles-1`: the role of each staff account, the classes of a mentor and the stadsdel a hub account is
    /// bound to. Accounts made before keep their access: elevhälsa with `health_records`, else the side's default.
    static func registerStaffRoles(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("staff-roles-1") { db in
            try db.execute(
                sql: """
                    ALTER TABLE sst_staff ADD COLUMN role TEXT
                        CHECK (role IS NULL OR role IN ('elevhalsa', 'sst', 'mentor', 'social'));
                    ALTER TABLE sst_staff ADD COLUMN classes TEXT NOT NULL DEFAULT '';
                    ALTER TABLE sst_staff ADD COLUMN stadsdel TEXT;
                    """
            )
        }
    }
}

/// A report of concern (*orosanmälan*) as staff read it, with social services' feedback to the reporter.
public struct ConcernReportRead: Hashable, Sendable {
    public let id: RecordID
    public let pupil: RecordID?
    public let pupilName: String?
    public let concern: String?
    public let reportedBy: String?
    public let reportedAt: String?
    /// Set by social services when the report was received.
    public let receivedAt: String?
    /// Social services' feedback: whether an investigation was opened.
    public let investigationOpened: Bool?
}

extension Store {
    /// The reports of concern at this node that the member may read (a bound hub account: its stadsdel's), newest
    /// first; each is logged as a `staff_read` of its pupil in the same transaction (`concern report <id>`).
    public func readConcernReports(presenting token: StaffToken) throws -> [ConcernReportRead] {
        let physical = physicalClock.milliseconds()
        return try writer.write { db in
            let member = try Self.requireStaff(presenting: token, db)
            let entity = schema.entity(named: EntityName.concernReport)
            try Self.authorize(member, .read, EntityName.concernReport, entity, scopeOf: nil, db)
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT r.id, r.pupil_id, r.concern, r.reported_by, r.reported_at, r.received_at,
                        r.investigation_opened, p.given_name, p.family_name
                    FROM concern_report r LEFT JOIN pupil p ON p.id = r.pupil_id
                    WHERE NOT r._deleted AND NOT r._purged ORDER BY r.reported_at DESC, r.id
                    """
            )
            var reports: [ConcernReportRead] = []
            for row in rows {
                guard let id = RecordID(row["id"]) else { continue }
                let scope = try Self.recordScope(of: member, entity: EntityName.concernReport, record: id, db)
                guard member.permits(.read, entity: entity, named: EntityName.concernReport, scope: scope) else {
                    continue
                }
                let name = [row[FieldName.givenName] as String?, row[FieldName.familyName] as String?]
                    .compactMap { $0 }
                reports.append(
                    ConcernReportRead(
                        id: id,
                        pupil: (row[FieldName.pupilID] as String?).flatMap(RecordID.init),
                        pupilName: name.isEmpty ? nil : name.joined(separator: " "),
                        concern: row[FieldName.concern],
                        reportedBy: row[FieldName.reportedBy],
                        reportedAt: row[FieldName.reportedAt],
                        receivedAt: row[FieldName.receivedAt],
                        investigationOpened: row[FieldName.investigationOpened]
                    )
                )
            }
            try Self.appendAudit(
                reports.map { report in
                    member.readEntry(
                        at: physical,
                        pupil: report.pupil,
                        fields: [FieldName.concern, FieldName.investigationOpened].map {
                            "\(EntityName.concernReport).\($0)"
                        },
                        detail: "concern report \(report.id)"
                    )
                },
                db
            )
            return reports
        }
    }
}
