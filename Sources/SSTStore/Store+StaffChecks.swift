import GRDB
import SSTCore
import SSTPrivacy

// The checks a write made with a staff token passes, wherever it is made (the replica's own `delete` and
// `resolveConflict` take an optional token; the staff reads and writes of SSTServices always take one): who the
// token names, what the member's role allows, which side owns a field, and the `staff_write` entry in the same
// transaction. Staff accounts are added, revoked and listed in SSTServices.

/// A person who may use the node's staff API: a school's staff at a school node, social workers at the hub.
public struct StaffMember: Hashable, Sendable {
    public let name: String
    /// What the member does at the node, which decides what the member may read and write
    /// (``StaffAccessRules``).
    public let role: StaffRole
    /// A mentor's classes (`8B`, `9A`): the pupils whose identity and absence the mentor reads.
    public let classes: [String]
    /// At the hub, the stadsdel whose records the account is bound to; nil: every record the hub holds.
    public let stadsdel: String?
    public let addedAtMilliseconds: UInt64
    /// When the member's token was revoked; nil while it is valid.
    public let revokedAtMilliseconds: UInt64?

    public var isActive: Bool { revokedAtMilliseconds == nil }

    /// Whether the member works in *elevhälsa* (school nurse, psychologist, kurator) and may read and write its
    /// records (`health_note`); no one else may, through the staff API.
    public var healthRecords: Bool { role == .elevhalsa }

    /// How the audit trail names the member (its `peer`).
    public var auditName: String { "staff:\(name)" }
}

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
    package static func authorize(
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
    package static func recordScope(
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

    package static func requireStaff(presenting token: StaffToken, _ db: Database) throws -> StaffMember {
        guard let member = try activeStaffMember(presenting: token, db) else {
            throw StoreError(
                .unauthorized,
                "the staff token is not valid on this node (unknown or revoked)",
                remedy: "Ask the node's administrator for a token (`sst staff add`)."
            )
        }
        return member
    }

    package static func activeStaffMember(presenting token: StaffToken, _ db: Database) throws -> StaffMember? {
        try Row.fetchOne(
            db,
            sql: "SELECT * FROM sst_staff WHERE token_sha256 = ? AND revoked_at_ms IS NULL",
            arguments: [token.digest]
        ).map(staffMember(_:))
    }

    /// The staff member this token was given to, valid or revoked, or nil for a token this node never gave.
    package static func anyStaffMember(presenting token: StaffToken, _ db: Database) throws -> StaffMember? {
        try Row.fetchOne(db, sql: "SELECT * FROM sst_staff WHERE token_sha256 = ?", arguments: [token.digest])
            .map(staffMember(_:))
    }

    package static func staffMember(_ row: Row) -> StaffMember {
        let healthRecords: Bool = row["health_records"]
        let classes: String = row["classes"] ?? ""
        return StaffMember(
            name: row["name"],
            // Accounts made before roles: elevhälsa with health records, else the team's (the same access).
            role: (row["role"] as String?).flatMap(StaffRole.init(rawValue:)) ?? (healthRecords ? .elevhalsa : .sst),
            classes: classes.split(separator: ",").map(String.init),
            stadsdel: row["stadsdel"],
            addedAtMilliseconds: UInt64(row["added_at_ms"] as Int64),
            revokedAtMilliseconds: (row["revoked_at_ms"] as Int64?).map(UInt64.init)
        )
    }

    /// The staff member of a valid `token` who may write `fieldNames` of an `entity` record: not an elevhälsa
    /// record without elevhälsa access, never a consent's fields (only the consent functions write those, by the
    /// consent rules), and only fields this node's side owns (``refuseIfNotOwned(_:_:by:)``).
    package static func checkStaffWrite(
        _ entity: EntitySchema,
        _ fieldNames: [String],
        presenting token: StaffToken,
        _ db: Database
    ) throws -> StaffMember {
        let member = try requireStaff(presenting: token, db)
        try authorize(member, .write, entity.name, entity, scopeOf: nil, db)
        guard entity.role != .consent else {
            throw StoreError(
                .notOwner,
                "a consent is not written field by field: it is recorded, answered and withdrawn by the consent "
                    + "rules, which check who gave it and the pupil's age",
                remedy: "Record, answer or withdraw consents through /api/v1/consents (or `sst consent grant`, "
                    + "`answer`, `withdraw`)."
            )
        }
        try refuseIfNotOwned(entity, fieldNames, by: try identity(db).side)
        return member
    }

    /// Refuses, with `notOwner`, a write by staff of a field that `side` does not own: the other side would
    /// refuse the change, and every sync after it.
    static func refuseIfNotOwned(_ entity: EntitySchema, _ fieldNames: [String], by side: Side) throws {
        for name in fieldNames {
            guard let field = entity.field(named: name), !field.owner.allowsWrites(from: side) else { continue }
            throw StoreError(
                .notOwner,
                "\(entity.name).\(name) is written by \(field.owner == .school ? "the school" : "social services"); "
                    + "this \(side == .school ? "school node" : "hub") may not write it",
                remedy: "Leave the field out; the side that owns it writes it, and its value reaches this node by sync "
                    + "as far as the policy allows."
            )
        }
    }

    /// Appends the `staff_write` entry of `changes` (one record's, one stamp) in the writer's transaction, with
    /// the record's pupil.
    package static func logStaffWrite(
        _ changes: [FieldChange],
        by member: StaffMember,
        physical: UInt64,
        _ db: Database
    ) throws {
        guard let first = changes.first else { return }
        try appendAudit(
            AuditEntry(
                kind: .staffWrite,
                atMilliseconds: physical,
                peer: member.auditName,
                pupil: try pupil(of: first.entity, first.record, db),
                fields: changes.map { "\($0.entity).\($0.field)" },
                detail: "\(first.entity) \(first.record) at \(first.stamp)"
            ),
            db
        )
    }

    /// The pupil a record concerns, as the privacy filter finds it (for the audit trail).
    package static func pupil(of entity: String, _ record: RecordID, _ db: Database) throws -> RecordID? {
        try StorePrivacyContext(db: db, today: CivilDate(millisecondsSinceEpoch: 0)).pupil(
            entity: entity,
            record: record
        )
    }

    /// The staff member of a valid `token` who may delete the record: one this node holds, that the member may
    /// write (``checkStaffWrite(_:_:presenting:_:)``; a consent is withdrawn, not deleted).
    func checkStaffDeletion(
        _ entity: EntitySchema,
        _ record: RecordID,
        presenting token: StaffToken,
        _ db: Database
    ) throws -> StaffMember {
        let member = try Self.checkStaffWrite(entity, [Schema.deletedField], presenting: token, db)
        try Self.authorize(member, .write, entity.name, entity, scopeOf: (entity.name, record), db)
        guard try recordFields(entity: entity, record: record, db) != nil else {
            throw StoreError(
                .notFound,
                "there is no \(entity.name) \(record) on this node",
                remedy: "Check the entity and the id."
            )
        }
        return member
    }
}

extension EntitySchema {
    /// Whether the entity's records are *elevhälsa* records (privacy class `health`).
    package var holdsHealthRecords: Bool { fields.contains { $0.privacy == .health } }
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
