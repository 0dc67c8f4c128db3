import GRDB
import SSTCore
import SSTPrivacy

/// Who made a request this node refused, as its audit trail names them: a node by its verified certificate, a
/// staff member by the token they presented.
public enum Requester: Sendable {
    case node(NodeID)
    case staff(StaffToken)
}

extension Store {
    /// Appends a `refused` entry for a request this node refused outside a change set's apply (which audits its
    /// own refusals): who asked, by certificate or token, what they asked (`request`, e.g. `POST /v2/push`), the
    /// problem's code and what was wrong. A staff token the node does not know names no one and is not audited.
    ///
    /// Returns whether an entry was written.
    @discardableResult
    public func auditRefusedRequest(
        by requester: Requester,
        request: String,
        code: String,
        detail: String
    ) throws
        -> Bool
    {
        let physical = physicalClock.milliseconds()
        return try writer.write { db in
            let peer: String
            switch requester {
            case .node(let node):
                peer = node.rawValue
            case .staff(let token):
                guard let member = try Self.anyStaffMember(presenting: token, db) else { return false }
                peer = member.auditName
            }
            try Self.appendAudit(
                AuditEntry(
                    kind: .refused,
                    atMilliseconds: physical,
                    peer: peer,
                    detail: "\(request): \(code): \(detail)"
                ),
                db
            )
            return true
        }
    }
}
