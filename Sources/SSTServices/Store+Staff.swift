import Foundation
import GRDB
import SSTCore
import SSTPrivacy
import SSTStore

/// The staff API's accounts: who may use it, by a token the node knows only by its digest.
extension Store {
    /// Gives `name` an access token, and returns it: the node keeps only its digest, so it is shown once.
    /// `healthRecords`: the member works in *elevhälsa* and may read and write its records.
    ///
    /// Refuses a name that has a valid token already (revoke it first), and a name that is empty, longer than
    /// 100 characters, or holds a line break or another control character. A revoked name may be added again.
    ///
    /// `role`: what the member does (``StaffRole``); by default elevhälsa with `healthRecords`, else SST at a school
    /// node and social services at the hub. `classes`: a mentor's classes (required for a mentor, refused for the
    /// others). `stadsdel`: at the hub, the stadsdel whose records the account sees (refused at a school node).
    public func addStaff(
        name: String,
        healthRecords: Bool = false,
        role requestedRole: StaffRole? = nil,
        classes requestedClasses: [String] = [],
        stadsdel: String? = nil
    ) throws -> StaffToken {
        try Self.checkStaffName(name)
        let token = StaffToken.random()
        let physical = physicalClock.milliseconds()
        let classes = requestedClasses.map {
            $0.trimmingCharacters(in: .whitespaces).precomposedStringWithCanonicalMapping
        }
        .filter { !$0.isEmpty }
        try writer.write { db in
            let side = try Self.identity(db).side
            let role = try Self.checkRole(
                requestedRole,
                healthRecords: healthRecords,
                classes: classes,
                stadsdel: stadsdel,
                side: side
            )
            if let existing = try Self.staffMember(named: name, db), existing.isActive {
                throw StoreError(
                    .alreadyExists,
                    "\(name) has a valid staff token already",
                    remedy: "Revoke it first (`sst staff revoke --name \"\(name)\"`), then add the name again."
                )
            }
            try db.execute(
                sql: """
                    INSERT INTO sst_staff (name, token_sha256, health_records, added_at_ms, revoked_at_ms, role,
                        classes, stadsdel)
                    VALUES (?, ?, ?, ?, NULL, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET token_sha256 = excluded.token_sha256,
                        health_records = excluded.health_records, added_at_ms = excluded.added_at_ms,
                        revoked_at_ms = NULL, role = excluded.role, classes = excluded.classes,
                        stadsdel = excluded.stadsdel
                    """,
                arguments: [
                    name, token.digest, role == .elevhalsa, Int64(physical), role.rawValue,
                    classes.joined(separator: ","), stadsdel,
                ]
            )
            try Self.appendAudit(
                AuditEntry(
                    kind: .staffAdded,
                    atMilliseconds: physical,
                    peer: "staff:\(name)",
                    detail: role == .elevhalsa
                        ? "token issued, with elevhälsa records"
                        : "token issued, role \(role.rawValue)"
                            + (classes.isEmpty ? "" : ", classes \(classes.joined(separator: ","))")
                            + (stadsdel.map { ", stadsdel \($0)" } ?? "")
                ),
                db
            )
        }
        return token
    }

    /// Revokes `name`'s token at once: the staff API refuses it from the next request on.
    public func revokeStaff(name: String) throws {
        let physical = physicalClock.milliseconds()
        try writer.write { db in
            guard let member = try Self.staffMember(named: name, db), member.isActive else {
                throw StoreError(
                    .notFound,
                    "\(name) has no valid staff token on this node",
                    remedy: "`sst staff list` shows the staff members and whether their tokens are valid."
                )
            }
            try db.execute(
                sql: "UPDATE sst_staff SET revoked_at_ms = ? WHERE name = ?",
                arguments: [Int64(physical), name]
            )
            try Self.appendAudit(
                AuditEntry(
                    kind: .staffRevoked,
                    atMilliseconds: physical,
                    peer: member.auditName,
                    detail: "token revoked"
                ),
                db
            )
        }
    }

    /// Every staff member, valid or revoked, by name.
    public func staffMembers() throws -> [StaffMember] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sst_staff ORDER BY name").map(Self.staffMember(_:))
        }
    }

    /// The staff member whose valid token this is, or nil.
    public func staffMember(presenting token: StaffToken) throws -> StaffMember? {
        try writer.read { db in try Self.activeStaffMember(presenting: token, db) }
    }

    private static func staffMember(named name: String, _ db: Database) throws -> StaffMember? {
        try Row.fetchOne(db, sql: "SELECT * FROM sst_staff WHERE name = ?", arguments: [name]).map(staffMember(_:))
    }

    /// The role to give: the one asked for, checked against the node's side, the classes and the stadsdel.
    private static func checkRole(
        _ requested: StaffRole?,
        healthRecords: Bool,
        classes: [String],
        stadsdel: String?,
        side: Side
    ) throws -> StaffRole {
        let role = requested ?? defaultRole(healthRecords: healthRecords, side: side)
        func refuse(_ message: String, _ remedy: String) -> StoreError {
            StoreError(.invalidValue, message, remedy: remedy)
        }
        if healthRecords, role != .elevhalsa {
            throw refuse(
                "--health-records is the elevhälsa role, not \(role.rawValue)",
                "Give --role elevhalsa (or --health-records alone)."
            )
        }
        if side == .school, role == .social {
            throw refuse(
                "the social role is for social services' staff at the hub",
                "At a school node give --role elevhalsa, sst or mentor."
            )
        }
        if side == .social, role != .social {
            throw refuse(
                "the \(role.rawValue) role is for a school's staff, at the school's node",
                "At the hub give no role, and --stadsdel NAME to bind the account to a stadsdel."
            )
        }
        if role == .mentor, classes.isEmpty {
            throw refuse("a mentor needs the classes the mentor has", "Give --classes, e.g. --classes 8B,9A.")
        }
        if role != .mentor, !classes.isEmpty {
            throw refuse("only a mentor's account names classes", "Leave out --classes, or give --role mentor.")
        }
        if let stadsdel {
            guard side == .social else {
                throw refuse(
                    "a school node's staff are bound to the school, not to a stadsdel",
                    "Give --stadsdel only at the hub."
                )
            }
            guard !stadsdel.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw refuse("the stadsdel is empty", "Give the stadsdel's name, e.g. --stadsdel Södermalm.")
            }
        }
        return role
    }

    private static func checkStaffName(_ name: String) throws {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 100,
            !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw StoreError(
                .invalidValue,
                "\"\(name)\" is not a staff member's name: give 1 to 100 characters on one line",
                remedy: "Give the person's name, e.g. --name \"Anna Lind\"."
            )
        }
    }
}
