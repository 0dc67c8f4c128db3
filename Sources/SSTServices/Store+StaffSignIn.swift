import GRDB
import SSTCore
import SSTPrivacy
import SSTStore

/// Signing in to the staff web page and out of it, in the audit trail (``AuditEntry/Kind/staffSession``): who
/// signed in or out and when, and each refused sign-in with a token of the right form. The token's text is never
/// written; a refused token is named by its staff member when the node gave it (a revoked token), else not at all.
extension Store {
    /// The member whose valid token this is, with the sign-in audited in the same transaction; nil (the refusal
    /// audited) for a token this node never gave or has revoked.
    public func signIn(presenting token: StaffToken) throws -> StaffMember? {
        let physical = physicalClock.milliseconds()
        return try writer.write { db in
            let known = try Self.anyStaffMember(presenting: token, db)
            if let member = known, member.isActive {
                try Self.appendAudit(
                    AuditEntry(
                        kind: .staffSession,
                        atMilliseconds: physical,
                        peer: member.auditName,
                        detail: "signed in to the staff web page (role \(member.role.rawValue))"
                    ),
                    db
                )
                return member
            }
            try Self.appendAudit(
                AuditEntry(
                    kind: .staffSession,
                    atMilliseconds: physical,
                    peer: known?.auditName,
                    detail: known == nil
                        ? "sign-in refused: a token this node never gave"
                        : "sign-in refused: the token was revoked"
                ),
                db
            )
            return nil
        }
    }

    /// Audits that the holder of `token` signed out of the staff web page (`reason` says how the session ended:
    /// `signed out`, or the page ending it because the token was found revoked).
    public func signOut(presenting token: StaffToken, reason: String = "signed out of the staff web page") throws {
        let physical = physicalClock.milliseconds()
        try writer.write { db in
            let member = try Self.anyStaffMember(presenting: token, db)
            try Self.appendAudit(
                AuditEntry(kind: .staffSession, atMilliseconds: physical, peer: member?.auditName, detail: reason),
                db
            )
        }
    }
}
