import SSTCore
import SSTPrivacy
import SSTStore
import SSTTestSupport

/// What may be at the hub, by DESIGN §5, computed from the test's own record of what happened at the
/// school — independently of the product's filter, consent rules and sweep.
struct PrivacyReferenceModel {
    struct Pupil {
        let id: RecordID
        let birth: CivilDate
        let protected: Bool
        let guardians: [RecordID]
        let custodians: Set<RecordID>
    }

    struct Consent {
        let id: RecordID
        let pupil: RecordID
        let scopes: Set<String>
        var givenBy: Set<RecordID>
        var refusedBy: Set<RecordID>
        let pupilConsent: Bool?
        let validFrom: CivilDate
        let validUntil: CivilDate
        var withdrawn = false
        /// The status decided when the consent was recorded or last answered.
        var decided = "pending"
    }

    private(set) var pupils: [RecordID: Pupil] = [:]
    private(set) var consents: [RecordID: Consent] = [:]
    /// The consents in the order they were recorded (record ids are random: never order by them).
    private(set) var consentOrder: [RecordID] = []
    /// Every record written at the school, with the pupil it concerns.
    private(set) var records: [(entity: String, id: RecordID, pupil: RecordID)] = []
    /// The pupils with a report of concern (*orosanmälan*); the histories never delete one.
    private(set) var reported: Set<RecordID> = []

    mutating func add(_ pupil: Pupil) {
        pupils[pupil.id] = pupil
        records.append(("pupil", pupil.id, pupil.id))
        records += pupil.guardians.map { ("guardian", $0, pupil.id) }
    }

    mutating func add(_ entity: String, _ id: RecordID, pupil: RecordID) {
        records.append((entity, id, pupil))
        if entity == "concern_report" { reported.insert(pupil) }
    }

    /// Joint custody: pending until every custodian said yes (and from 15 the pupil too); any no refuses.
    func status(of consent: Consent, on today: CivilDate) -> String {
        let pupil = pupils[consent.pupil]!
        var age = today.year - pupil.birth.year
        if (today.month, today.day) < (pupil.birth.month, pupil.birth.day) { age -= 1 }
        if !consent.refusedBy.isEmpty || consent.pupilConsent == false { return "refused" }
        if !pupil.custodians.isSubset(of: consent.givenBy) { return "pending" }
        if age >= 15 && consent.pupilConsent != true { return "pending" }
        return "active"
    }

    mutating func record(_ consent: Consent, on today: CivilDate) {
        var consent = consent
        consent.decided = status(of: consent, on: today)
        consents[consent.id] = consent
        consentOrder.append(consent.id)
        records.append(("consent", consent.id, consent.pupil))
    }

    mutating func answer(_ id: RecordID, guardian: RecordID, yes: Bool, on today: CivilDate) {
        guard var consent = consents[id], !consent.withdrawn else { return }
        consent.givenBy.remove(guardian)
        consent.refusedBy.remove(guardian)
        if yes { consent.givenBy.insert(guardian) } else { consent.refusedBy.insert(guardian) }
        consent.decided = status(of: consent, on: today)
        consents[id] = consent
    }

    mutating func withdraw(_ id: RecordID) {
        consents[id]?.withdrawn = true
    }

    func isInForce(_ consent: Consent, on today: CivilDate) -> Bool {
        !consent.withdrawn && consent.decided == "active" && consent.validFrom <= today && today <= consent.validUntil
    }

    func hasConsent(_ pupil: RecordID, scope: String, on today: CivilDate) -> Bool {
        consents.values.contains { $0.pupil == pupil && $0.scopes.contains(scope) && isInForce($0, on: today) }
    }

    /// Whether `entity.field` of a record concerning `pupil` may be at the hub on `today`.
    func mayBeAtHub(entity: String, field: String, pupil: RecordID, on today: CivilDate) -> Bool {
        let protected = pupils[pupil]?.protected ?? false
        switch entity {
        case "consent": return field != "pupil_view"
        // A report of concern gives the pupil's identity a basis of its own (legal duty), not the guardians'.
        case "pupil" where field == "protected_identity":
            return hasConsent(pupil, scope: "identity", on: today) || reported.contains(pupil)
        case "pupil": return !protected && (hasConsent(pupil, scope: "identity", on: today) || reported.contains(pupil))
        case "guardian": return !protected && hasConsent(pupil, scope: "identity", on: today)
        case "concern_report": return true  // the report itself, by legal duty, whatever the consents
        case "absence": return hasConsent(pupil, scope: "absence", on: today)
        case "school_assessment": return hasConsent(pupil, scope: "school_assessment", on: today)
        case "case", "intervention", "meeting": return hasConsent(pupil, scope: "sst_case", on: today)
        default: return false  // health_note never
        }
    }

    /// Every difference between what the hub holds and what the model says it must hold: for each record
    /// the school wrote, exactly the allowed fields with the school's current value and stamp (or, with
    /// `atMost`, nothing beyond them — between syncs, when the school may have newer values).
    func differences(school: Store, hub: Store, today: CivilDate, atMost: Bool = false) throws -> [String] {
        var problems: [String] = []
        for (entity, id, pupil) in records {
            let atSchool = try school.record(entity: entity, record: id) ?? [:]
            let atHub = (try hub.record(entity: entity, record: id) ?? [:]).filter { !$0.key.hasPrefix("_") }
            var expected: [String: FieldState] = [:]
            for (field, state) in atSchool where !field.hasPrefix("_") {
                if mayBeAtHub(entity: entity, field: field, pupil: pupil, on: today) { expected[field] = state }
            }
            for field in Set(expected.keys).union(atHub.keys).sorted() {
                let want = expected[field]
                let have = atHub[field]
                if atMost && (have == nil || want != nil) { continue }
                if want?.value != have?.value || want?.stamp != have?.stamp {
                    problems.append(
                        "\(entity).\(field) of \(id): the hub should hold "
                            + (want.map { "\($0.value) @\($0.stamp)" } ?? "nothing")
                            + ", holds " + (have.map { "\($0.value) @\($0.stamp)" } ?? "nothing")
                    )
                }
            }
        }
        return problems
    }
}
