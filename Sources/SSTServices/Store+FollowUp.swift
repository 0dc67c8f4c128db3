import GRDB
import SSTCore
import SSTPrivacy
import SSTStore

/// The district's group-level follow-up at a hub (`sst report`): per stadsdel, counts only, small counts
/// suppressed (``SmallCountSuppression``), never an identity.
public struct FollowUpReport: Hashable, Sendable {
    /// One line of a breakdown: a phase step, a category or a kind, and how many.
    public struct Item: Hashable, Sendable {
        public let label: String
        public let count: ShownCount

        public init(label: String, count: ShownCount) {
            self.label = label
            self.count = count
        }
    }

    /// One stadsdel's figures. The cases by phase and the cases by category are partitions of the same
    /// cases; the interventions by kind are a partition of their own.
    public struct Stadsdel: Hashable, Sendable {
        public let name: String
        /// Schools the hub holds records of (a school is not a person: not suppressed).
        public let schools: Int
        public let pupilsWithCase: ShownCount
        /// By the step of the case's current phase (`noticed` … `closed`), in the process's order.
        public let casesByPhase: [Item]
        public let casesByCategory: [Item]
        public let interventionsByKind: [Item]
        public let reportsOfConcern: ShownCount
        /// Reports of concern after which social services opened an investigation.
        public let investigationsOpened: ShownCount
    }

    public let hub: NodeID
    public let threshold: Int
    /// Stadsdelar in name order; records whose pupil the hub has no home for are under
    /// ``unknownStadsdel``.
    public let stadsdelar: [Stadsdel]

    /// The row for records whose pupil came from no school the hub knows the stadsdel of.
    public static let unknownStadsdel = "(unknown stadsdel)"
}

extension Store {
    /// The district's follow-up per stadsdel, from the live records this hub holds (deleted and purged ones
    /// left out). Only a hub has it: a school node is refused.
    public func followUpReport(suppression: SmallCountSuppression = SmallCountSuppression()) throws -> FollowUpReport {
        let identity = try identity()
        guard identity.role == .hub else {
            throw StoreError(
                .wrongSide,
                "the follow-up report is the district's view at the hub; \(identity.node) is a school node",
                remedy: "Run `sst report` with the hub's data directory (--data)."
            )
        }
        let tally = try writer.read { db in try FollowUpTally(db) }
        let names = Set(tally.schools.keys).union(tally.pupilsWithCase.keys).union(tally.phases.keys)
            .union(tally.categories.keys).union(tally.interventions.keys).union(tally.reports.keys)
        let steps = Phase.Step.allCases
        let categories = Schema.caseCategories
        let kinds = Schema.interventionKinds
        let stadsdelar = names.sorted().map { name in
            let phases = suppression.shown(partition: steps.map { tally.phases[name]?[$0] ?? 0 })
            let byCategory = suppression.shown(partition: categories.map { tally.categories[name]?[$0] ?? 0 })
            let byKind = suppression.shown(partition: kinds.map { tally.interventions[name]?[$0] ?? 0 })
            let reports = tally.reports[name] ?? (0, 0)
            return FollowUpReport.Stadsdel(
                name: name,
                schools: tally.schools[name]?.count ?? 0,
                pupilsWithCase: suppression.shown(tally.pupilsWithCase[name] ?? 0),
                casesByPhase: zip(steps, phases).map { FollowUpReport.Item(label: $0.rawValue, count: $1) },
                casesByCategory: zip(categories, byCategory).map { FollowUpReport.Item(label: $0, count: $1) },
                interventionsByKind: zip(kinds, byKind).map { FollowUpReport.Item(label: $0, count: $1) },
                reportsOfConcern: suppression.shown(reports.received),
                // The reports with and without an investigation add up to the reports shown beside them.
                investigationsOpened: suppression.shown(partition: [reports.opened, reports.received - reports.opened])[
                    0
                ]
            )
        }
        return FollowUpReport(hub: identity.node, threshold: suppression.threshold, stadsdelar: stadsdelar)
    }
}

/// The raw counts behind a ``FollowUpReport``, per stadsdel; they never leave the store unsuppressed.
private struct FollowUpTally {
    var schools: [String: Set<String>] = [:]
    var pupilsWithCase: [String: Int] = [:]
    var phases: [String: [Phase.Step: Int]] = [:]
    var categories: [String: [String: Int]] = [:]
    var interventions: [String: [String: Int]] = [:]
    var reports: [String: (received: Int, opened: Int)] = [:]

    private static let live = "NOT r._deleted AND NOT r._purged"

    init(_ db: Database) throws {
        // Streamed, row by row: a district's hub holds hundreds of thousands of pupils' records.
        func each(_ sql: String, _ body: (Row) -> Void) throws {
            let rows = try Row.fetchCursor(db, sql: sql)
            while let row = try rows.next() { body(row) }
        }
        // The schools of each stadsdel through the index on (stadsdel, school): a seek to each stadsdel and to
        // each of its schools, not a read of every record's home. (A seek past a row value, `(stadsdel, school) >
        // (?, ?)`, read every home of the school it started from: 0.3 s on a district's hub.)
        let nextStadsdel = try db.makeStatement(sql: "SELECT min(stadsdel) FROM sst_record_home WHERE stadsdel > ?")
        let firstSchool = try db.makeStatement(sql: "SELECT min(school) FROM sst_record_home WHERE stadsdel = ?")
        let nextSchool = try db.makeStatement(
            sql: "SELECT min(school) FROM sst_record_home WHERE stadsdel = ? AND school > ?"
        )
        var current = try String.fetchOne(db, sql: "SELECT min(stadsdel) FROM sst_record_home")
        while let name = current {
            var school = try String.fetchOne(firstSchool, arguments: [name])
            while let found = school {
                schools[name, default: []].insert(found)
                school = try String.fetchOne(nextSchool, arguments: [name, found])
            }
            current = try String.fetchOne(nextStadsdel, arguments: [name])
        }
        // A record's stadsdel is its pupil's home: the stadsdel of the school whose certificate sent the pupil.
        // The cases are counted in SQL, grouped by stadsdel, phase and category (a few hundred groups), so no
        // case row and no 36-character pupil id passes through Swift; a pupil has one home, so counting each
        // pupil once in their stadsdel counts them once.
        let home = "LEFT JOIN sst_record_home h ON h.entity = 'pupil' AND h.record_id = r.pupil_id"
        func stadsdel(_ row: Row) -> String { row["stadsdel"] ?? FollowUpReport.unknownStadsdel }
        try each(
            "SELECT h.stadsdel, r.phase, r.category, count(*) AS cases FROM \"case\" r \(home) "
                + "WHERE \(Self.live) AND r.pupil_id IS NOT NULL GROUP BY h.stadsdel, r.phase, r.category"
        ) { row in
            let stadsdel = stadsdel(row)
            let cases: Int = row["cases"]
            if let text = row[FieldName.phase] as String?, let phase = Phase(text: text) {
                phases[stadsdel, default: [:]][phase.step, default: 0] += cases
            }
            if let category = row[FieldName.category] as String? {
                categories[stadsdel, default: [:]][category, default: 0] += cases
            }
        }
        try each(
            "SELECT h.stadsdel, count(DISTINCT r.pupil_id) AS pupils FROM \"case\" r \(home) "
                + "WHERE \(Self.live) AND r.pupil_id IS NOT NULL GROUP BY h.stadsdel"
        ) { row in
            pupilsWithCase[stadsdel(row), default: 0] += row["pupils"] as Int
        }
        try each(
            """
            SELECT h.stadsdel, i.kind, count(*) AS interventions FROM intervention i
            JOIN "case" r ON r.id = i.case_id \(home)
            WHERE NOT i._deleted AND NOT i._purged AND \(Self.live) AND i.kind IS NOT NULL
            GROUP BY h.stadsdel, i.kind
            """
        ) { row in
            interventions[stadsdel(row), default: [:]][row[FieldName.kind] as String, default: 0] +=
                row["interventions"] as Int
        }
        try each(
            "SELECT h.stadsdel, count(*) AS received, coalesce(sum(r.investigation_opened <> 0), 0) AS opened "
                + "FROM concern_report r \(home) WHERE \(Self.live) AND r.pupil_id IS NOT NULL GROUP BY h.stadsdel"
        ) { row in
            let stadsdel = stadsdel(row)
            var counts = reports[stadsdel] ?? (0, 0)
            counts.received += row["received"] as Int
            counts.opened += row["opened"] as Int
            reports[stadsdel] = counts
        }
    }
}
