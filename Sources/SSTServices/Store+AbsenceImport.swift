import GRDB
import SSTCore
import SSTPrivacy
import SSTStore

/// One row of an attendance system's absence export, parsed: whose, which period, and the minutes.
public struct AbsenceImportRow: Hashable, Sendable {
    /// The row's line in the file (the header is line 1), for the report.
    public let line: Int
    public let personnummer: String
    public let periodStart: CivilDate
    public let periodEnd: CivilDate
    public let scheduledMinutes: Int64
    public let excusedMinutes: Int64
    public let unexcusedMinutes: Int64

    public init(
        line: Int,
        personnummer: String,
        periodStart: CivilDate,
        periodEnd: CivilDate,
        scheduledMinutes: Int64,
        excusedMinutes: Int64,
        unexcusedMinutes: Int64
    ) {
        self.line = line
        self.personnummer = personnummer
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.scheduledMinutes = scheduledMinutes
        self.excusedMinutes = excusedMinutes
        self.unexcusedMinutes = unexcusedMinutes
    }
}

/// A row that could not be imported, and why.
public struct AbsenceImportProblem: Error, Hashable, Sendable {
    public let line: Int
    public let message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }
}

/// What an absence import did, row by row.
public struct AbsenceImportReport: Hashable, Sendable {
    /// Rows written: a new period, or new figures for a period already held.
    public let written: Int
    /// Rows whose period the node holds with the same figures already (a re-import changes nothing).
    public let unchanged: Int
    /// Rows not imported, with the reason, by line.
    public let problems: [AbsenceImportProblem]
}

extension Store {
    /// The minute counts of an absence record: what a row of the attendance system's file changes when it is
    /// imported again for the same period.
    private static let absenceMinutes: Set = [
        FieldName.scheduledMinutes, FieldName.excusedMinutes, FieldName.unexcusedMinutes,
    ]

    /// Imports absence rows at a school node: each row becomes (or updates) the `absence` record of its pupil
    /// (found by personnummer) and period; a row whose period is held with the same figures changes nothing, so
    /// importing a file twice changes nothing. Rows naming no pupil of this node are reported, not imported;
    /// `problems` found while parsing are reported with them. All rows are written in one transaction.
    ///
    /// With a staff member's `token` (the page's upload form), the member must be allowed to write absence
    /// (``StaffAccessRules``) and each record written is logged as the member's `staff_write`.
    public func importAbsence(
        _ rows: [AbsenceImportRow],
        problems parsed: [AbsenceImportProblem] = [],
        presenting token: StaffToken? = nil
    ) throws -> AbsenceImportReport {
        let physical = physicalClock.milliseconds()
        return try withSession { session in
            let db = session.db
            guard try Self.identity(db).role == .school else {
                throw StoreError(
                    .wrongSide,
                    "absence is imported at the pupil's school node, not at the hub",
                    remedy: "Import the attendance system's file at the school's node (--data)."
                )
            }
            let member = try token.map { token -> StaffMember in
                let member = try Self.requireStaff(presenting: token, db)
                try Self.authorize(
                    member,
                    .write,
                    EntityName.absence,
                    schema.entity(named: EntityName.absence),
                    scopeOf: nil,
                    db
                )
                return member
            }
            var problems = parsed
            var written = 0
            var unchanged = 0
            for row in rows {
                let pupils = try String.fetchAll(
                    db,
                    sql: "SELECT id FROM pupil WHERE personnummer = ? AND NOT _deleted AND NOT _purged",
                    arguments: [row.personnummer]
                )
                guard let pupilText = pupils.first, let pupil = RecordID(pupilText) else {
                    problems.append(
                        AbsenceImportProblem(
                            line: row.line,
                            message: "no pupil with personnummer \(row.personnummer) at this school node"
                        )
                    )
                    continue
                }
                let values: [String: Value] = [
                    FieldName.pupilID: .string(pupil.rawValue),
                    FieldName.periodStart: .string(row.periodStart.description),
                    FieldName.periodEnd: .string(row.periodEnd.description),
                    FieldName.scheduledMinutes: .integer(row.scheduledMinutes),
                    FieldName.excusedMinutes: .integer(row.excusedMinutes),
                    FieldName.unexcusedMinutes: .integer(row.unexcusedMinutes),
                ]
                let existing = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT id, scheduled_minutes, excused_minutes, unexcused_minutes FROM absence
                        WHERE pupil_id = ? AND period_start = ? AND period_end = ? AND NOT _deleted AND NOT _purged
                        ORDER BY id LIMIT 1
                        """,
                    arguments: [pupil.rawValue, row.periodStart.description, row.periodEnd.description]
                )
                var record = RecordID.random()
                var changed = values
                if let existing, let id = RecordID(existing["id"]) {
                    record = id
                    changed = values.filter { name, value in
                        guard Self.absenceMinutes.contains(name), case .integer(let number) = value else {
                            return false
                        }
                        return (existing[name] as Int64?) != number
                    }
                    guard !changed.isEmpty else {
                        unchanged += 1
                        continue
                    }
                }
                let changes = try set(
                    entity: EntityName.absence,
                    record: record,
                    values: changed,
                    in: &session,
                    physical: physical
                )
                try member.map { try Self.logStaffWrite(changes, by: $0, physical: physical, db) }
                written += 1
            }
            return AbsenceImportReport(
                written: written,
                unchanged: unchanged,
                problems: problems.sorted { $0.line < $1.line }
            )
        }
    }
}
