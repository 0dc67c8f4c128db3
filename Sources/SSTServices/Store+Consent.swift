import GRDB
import SSTCore
import SSTPrivacy
import SSTStore

/// A consent to record: the pupil, the scopes, the purpose, the answers, how and for how long.
public struct ConsentRequest: Sendable {
    public var pupil: RecordID
    public var scopes: [String]
    public var purpose: String?
    public var answers: ConsentAnswers
    /// `written` or `oral`.
    public var method: String
    public var validFrom: CivilDate?
    public var validUntil: CivilDate?
    public var recordedBy: String?
    public var documentRef: String?
    /// The id to record the consent under; nil for a new one. A node restored from a backup records a consent
    /// given after the backup again under the id the other side holds it by, so that a later withdrawal here
    /// reaches that copy (``grantConsent(_:presenting:)``).
    public var id: RecordID?

    public init(
        id: RecordID? = nil,
        pupil: RecordID,
        scopes: [String],
        purpose: String? = nil,
        answers: ConsentAnswers,
        method: String,
        validFrom: CivilDate? = nil,
        validUntil: CivilDate? = nil,
        recordedBy: String? = nil,
        documentRef: String? = nil
    ) {
        self.id = id
        self.pupil = pupil
        self.scopes = scopes
        self.purpose = purpose
        self.answers = answers
        self.method = method
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.recordedBy = recordedBy
        self.documentRef = documentRef
    }
}

/// A consent as a person reads it, with its status as of today (`expired` included).
public struct ConsentSummary: Hashable, Sendable {
    public let id: RecordID
    public let pupil: RecordID
    public let scopes: [String]
    public let status: String
    public let validFrom: String?
    public let validUntil: String?
    public let givenBy: [String]
    public let method: String?
}

extension Store {
    /// Records a new consent. Its status follows the rules (joint custody, the child's view, the pupil's
    /// own consent); when it is active, the pupil's fields in its scopes are sent again (backfill).
    ///
    /// With ``ConsentRequest/id`` the consent takes that id: refused when this node holds a record by that id.
    ///
    /// With a staff member's `token` (the staff API), the token is checked and the write logged
    /// (``AuditEntry/Kind/staffWrite``) in the same transaction, and the consent is recorded by the staff member.
    @discardableResult
    public func grantConsent(_ request: ConsentRequest, presenting token: StaffToken? = nil) throws -> ConsentSummary {
        guard !request.scopes.isEmpty else {
            throw StoreError(
                .invalidValue,
                "a consent needs at least one scope",
                remedy: "Give --scopes, e.g. sst_case."
            )
        }
        if let unknown = request.scopes.first(where: { !policy.scopes.contains($0) }) {
            throw StoreError(
                .invalidValue,
                "unknown consent scope \"\(unknown)\"",
                remedy: "The policy's scopes are \(policy.scopes.joined(separator: ", "))."
            )
        }
        let physical = physicalClock.milliseconds()
        let today = CivilDate(millisecondsSinceEpoch: physical)
        let id = request.id ?? RecordID.random()
        try withSession { session in
            let staff = try token.map { try Self.requireConsentStaff(presenting: $0, session.db) }
            if request.id != nil { try Self.refuseHeldConsentID(id, session.db) }
            let status = try consentStatus(request.answers, pupil: request.pupil, today: today, session.db)
            let validity: (from: CivilDate, until: CivilDate)
            do {
                validity = try ConsentRules.validity(
                    from: request.validFrom,
                    until: request.validUntil,
                    today: today,
                    settings: policy.settings
                )
            } catch let error as ConsentError {
                throw StoreError(.invalidValue, error.message, remedy: error.remedy)
            }
            var values: [String: Value] = [
                FieldName.pupilID: .string(request.pupil.rawValue), FieldName.scopes: .list(request.scopes),
                FieldName.method: .string(request.method), FieldName.status: .string(status),
                FieldName.validFrom: .string(validity.from.description),
                FieldName.validUntil: .string(validity.until.description),
                FieldName.givenBy: .list(request.answers.givenBy.map(\.rawValue)),
                FieldName.refusedBy: .list(request.answers.refusedBy.map(\.rawValue)),
            ]
            values[FieldName.purpose] = request.purpose.map(Value.string)
            values[FieldName.recordedBy] = (request.recordedBy ?? staff?.name).map(Value.string)
            values[FieldName.documentRef] = request.documentRef.map(Value.string)
            values[FieldName.pupilView] = request.answers.pupilView.map(Value.string)
            values[FieldName.pupilConsent] = request.answers.pupilConsent.map(Value.boolean)
            let changes = try set(
                entity: EntityName.consent,
                record: id,
                values: values,
                in: &session,
                physical: physical
            )
            try staff.map {
                try Self.logStaffWrite(changes, by: $0, physical: physical, session.db)
            }
        } afterwards: { session, _ in
            try Self.resend(pupil: request.pupil, &session)
        }
        return try consentSummaries(pupil: request.pupil).first { $0.id == id }!
    }

    /// Records one more guardian's yes or no on a consent, and its new status. With a staff member's `token`,
    /// as ``grantConsent(_:presenting:)``.
    @discardableResult
    public func answerConsent(
        id: RecordID,
        guardian: RecordID,
        consents: Bool,
        presenting token: StaffToken? = nil
    ) throws -> ConsentSummary {
        let physical = physicalClock.milliseconds()
        let today = CivilDate(millisecondsSinceEpoch: physical)
        let pupil = try withSession { session in
            let staff = try token.map { try Self.requireConsentStaff(presenting: $0, session.db) }
            let current = try consentRow(id, session.db)
            guard current.status != "withdrawn" else {
                throw StoreError(
                    .consentWithdrawn,
                    "consent \(id) was withdrawn",
                    remedy: "Record a new consent instead."
                )
            }
            var answers = current.answers
            answers.givenBy.removeAll { $0 == guardian }
            answers.refusedBy.removeAll { $0 == guardian }
            if consents { answers.givenBy.append(guardian) } else { answers.refusedBy.append(guardian) }
            let status = try consentStatus(answers, pupil: current.pupil, today: today, session.db)
            let changes = try set(
                entity: EntityName.consent,
                record: id,
                values: [
                    FieldName.givenBy: .list(answers.givenBy.map(\.rawValue)),
                    FieldName.refusedBy: .list(answers.refusedBy.map(\.rawValue)), FieldName.status: .string(status),
                ],
                in: &session,
                physical: physical
            )
            try staff.map {
                try Self.logStaffWrite(changes, by: $0, physical: physical, session.db)
            }
            return current.pupil
        } afterwards: { session, pupil in
            try Self.resend(pupil: pupil, &session)
        }
        return try consentSummaries(pupil: pupil).first { $0.id == id }!
    }

    /// Withdraws a consent: flow stops at once, and the other side purges what it received under it. With a
    /// staff member's `token`, as ``grantConsent(_:presenting:)``.
    @discardableResult
    public func withdrawConsent(id: RecordID, presenting token: StaffToken? = nil) throws -> ConsentSummary {
        let physical = physicalClock.milliseconds()
        let pupil = try withSession { session in
            let staff = try token.map { try Self.requireConsentStaff(presenting: $0, session.db) }
            let pupil = try consentRow(id, session.db).pupil
            let changes = try set(
                entity: EntityName.consent,
                record: id,
                values: [FieldName.status: .string("withdrawn")],
                in: &session,
                physical: physical
            )
            try staff.map { try Self.logStaffWrite(changes, by: $0, physical: physical, session.db) }
            return pupil
        }
        return try consentSummaries(pupil: pupil).first { $0.id == id }!
    }

    /// Every consent on this node (or one pupil's), with today's status.
    public func consentSummaries(pupil: RecordID? = nil) throws -> [ConsentSummary] {
        let today = CivilDate(millisecondsSinceEpoch: physicalClock.milliseconds())
        return try writer.read { db in try consentSummaries(pupil: pupil, today: today, db) }
    }

    /// The body of ``consentSummaries(pupil:)`` in a caller's database access.
    func consentSummaries(pupil: RecordID?, today: CivilDate, _ db: Database) throws -> [ConsentSummary] {
        var sql = "SELECT * FROM consent WHERE NOT _purged AND pupil_id IS NOT NULL"
        var arguments: StatementArguments = []
        if let pupil {
            sql += " AND pupil_id = ?"
            arguments = [pupil.rawValue]
        }
        return try Row.fetchAll(db, sql: sql + " ORDER BY valid_from, id", arguments: arguments).compactMap { row in
            guard let id = RecordID(row["id"]), let pupil = RecordID(row[FieldName.pupilID]) else { return nil }
            let scopes = Self.list(row[FieldName.scopes])
            let state = ConsentState(
                id: id,
                pupil: pupil,
                scopes: Set(scopes),
                status: row[FieldName.status] ?? "pending",
                validFrom: (row[FieldName.validFrom] as String?).flatMap(CivilDate.init),
                validUntil: (row[FieldName.validUntil] as String?).flatMap(CivilDate.init)
            )
            return ConsentSummary(
                id: id,
                pupil: pupil,
                scopes: scopes,
                status: state.effectiveStatus(on: today),
                validFrom: row[FieldName.validFrom],
                validUntil: row[FieldName.validUntil],
                givenBy: Self.list(row[FieldName.givenBy]),
                method: row[FieldName.method]
            )
        }
    }

    private func consentStatus(
        _ answers: ConsentAnswers,
        pupil: RecordID,
        today: CivilDate,
        _ db: Database
    ) throws
        -> String
    {
        let guardians = try Row.fetchAll(
            db,
            sql: "SELECT id, has_custody FROM guardian WHERE pupil_id = ? AND NOT _deleted AND NOT _purged",
            arguments: [pupil.rawValue]
        ).compactMap { row in
            RecordID(row["id"]).map { GuardianInfo(id: $0, hasCustody: row[FieldName.hasCustody] ?? false) }
        }
        let personnummer = try String.fetchOne(
            db,
            sql: "SELECT personnummer FROM pupil WHERE id = ?",
            arguments: [pupil.rawValue]
        )
        let age = personnummer.flatMap(ConsentRules.birthDate(personnummer:)).map { $0.years(until: today) }
        do {
            return try ConsentRules.status(
                answers: answers,
                guardians: guardians,
                pupilAge: age,
                settings: policy.settings
            )
        } catch {
            throw StoreError(.invalidValue, error.message, remedy: error.remedy)
        }
    }

    private func consentRow(
        _ id: RecordID,
        _ db: Database
    ) throws -> (pupil: RecordID, status: String?, answers: ConsentAnswers) {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM consent WHERE id = ?", arguments: [id.rawValue]),
            let pupil = (row[FieldName.pupilID] as String?).flatMap(RecordID.init)
        else {
            throw StoreError(.notFound, "there is no consent \(id) on this node", remedy: "See `sst consent list`.")
        }
        let answers = ConsentAnswers(
            givenBy: Self.list(row[FieldName.givenBy]).compactMap(RecordID.init),
            refusedBy: Self.list(row[FieldName.refusedBy]).compactMap(RecordID.init),
            pupilView: row[FieldName.pupilView],
            pupilConsent: row[FieldName.pupilConsent]
        )
        return (pupil, row[FieldName.status], answers)
    }

    /// Refuses a consent id this node already holds a consent under (withdrawn, purged or not).
    private static func refuseHeldConsentID(_ id: RecordID, _ db: Database) throws {
        let held = try StampLayout.isStamped(entity: EntityName.consent, record: id.rawValue, db)
        guard !held else {
            throw StoreError(
                .invalidValue,
                "this node already holds consent \(id); --id records a consent it does not hold",
                remedy: "See `sst consent list --pupil ID`; to record a new consent, leave out --id."
            )
        }
    }

    static func list(_ databaseValue: DatabaseValue) -> [String] {
        if case .list(let items) = ColumnCoding.value(databaseValue, type: .stringList) { return items }
        return []
    }
}
