import GRDB
import SSTCore
import SSTPrivacy
import SSTStore

extension Store {
    /// The role an account is given when `sst staff add` names none: elevhälsa with `--health-records`, else SST at
    /// a school node and social services at the hub.
    static func defaultRole(healthRecords: Bool, side: Side) -> StaffRole {
        healthRecords ? .elevhalsa : side == .school ? .sst : .social
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
