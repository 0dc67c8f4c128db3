import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync

/// A synthetic pupil of the demo (Swedish names, clearly fake personnummer ending in -0000) and what the school
/// records about them.
struct DemoPupil: Sendable {
    let school: Int
    let givenName: String
    let familyName: String
    let personnummer: String
    let grade: Int
    /// The consent scopes the guardian grants; empty: no consent.
    let consent: [String]
    var protectedIdentity = false
    /// A report of concern (crosses by legal duty, without consent).
    var concern: String?

    var name: String { "\(givenName) \(familyName)" }

    static let all: [DemoPupil] = [
        DemoPupil(
            school: 0,
            givenName: "Åsa",
            familyName: "Öberg",
            personnummer: "20130101-0003",
            grade: 7,
            consent: ["identity", "absence", "sst_case", "social_support_flag"]
        ),
        DemoPupil(
            school: 0,
            givenName: "Björn",
            familyName: "Ängström",
            personnummer: "20140312-0007",
            grade: 6,
            consent: [],
            concern: "Hemma ensam i flera veckor, orolig granne har hört av sig."
        ),
        DemoPupil(
            school: 0,
            givenName: "Märta",
            familyName: "Lindqvist",
            personnummer: "20120824-0000",
            grade: 8,
            consent: ["identity", "sst_case"],
            protectedIdentity: true
        ),
        DemoPupil(
            school: 1,
            givenName: "Östen",
            familyName: "Håkansson",
            personnummer: "20130605-0004",
            grade: 7,
            consent: ["identity", "absence", "sst_case"]
        ),
        DemoPupil(
            school: 1,
            givenName: "Ylva",
            familyName: "Sjöström",
            personnummer: "20150210-0009",
            grade: 5,
            consent: []
        ),
        DemoPupil(
            school: 2,
            givenName: "Kåre",
            familyName: "Nyström",
            personnummer: "20141119-0000",
            grade: 6,
            consent: ["absence", "sst_case"]
        ),
        DemoPupil(
            school: 2,
            givenName: "Sara",
            familyName: "Åkesson",
            personnummer: "20131230-0005",
            grade: 7,
            consent: []
        ),
    ]
}

/// The ids the demo gave a pupil's records.
struct DemoRecords: Sendable {
    let spec: DemoPupil
    let pupil: RecordID
    let guardian: RecordID
    let healthNote: RecordID
    var absence: RecordID?
    var caseID: RecordID?
    var concern: RecordID?

    /// Writes the pupil, a guardian with custody, a health note and, by the spec, consent, absence, a case and a
    /// report of concern.
    static func write(_ spec: DemoPupil, at node: DemoNode, today: String) throws -> DemoRecords {
        let store = node.store
        var records = DemoRecords(spec: spec, pupil: .random(), guardian: .random(), healthNote: .random())
        try store.set(
            entity: EntityName.pupil,
            record: records.pupil,
            assignments: [
                (FieldName.givenName, spec.givenName), (FieldName.familyName, spec.familyName),
                (FieldName.personnummer, spec.personnummer),
                (FieldName.grade, String(spec.grade)), (FieldName.className, "\(spec.grade)B"),
                (FieldName.school, node.identity.school ?? ""),
                (FieldName.stadsdel, node.identity.stadsdel ?? ""),
                (FieldName.protectedIdentity, String(spec.protectedIdentity)),
            ]
        )
        try store.set(
            entity: EntityName.guardian,
            record: records.guardian,
            assignments: [
                (FieldName.pupilID, records.pupil.rawValue), (FieldName.givenName, "Göran"),
                (FieldName.familyName, spec.familyName),
                (FieldName.phone, "070-000 00 00"), (FieldName.hasCustody, "true"),
            ]
        )
        try store.set(
            entity: EntityName.healthNote,
            record: records.healthNote,
            assignments: [
                (FieldName.pupilID, records.pupil.rawValue),
                (FieldName.text, "Skolsköterskans anteckning (stannar på skolan)."),
            ]
        )
        if !spec.consent.isEmpty {
            try store.grantConsent(
                ConsentRequest(
                    pupil: records.pupil,
                    scopes: spec.consent,
                    purpose: "Skolsocialt team",
                    answers: ConsentAnswers(
                        givenBy: [records.guardian],
                        pupilView: "Vill ha hjälp att komma till skolan."
                    ),
                    method: "written",
                    recordedBy: "Kurator Ingrid Ek"
                )
            )
            records.absence = try writeAbsence(records.pupil, at: store, today: today, unexcused: 240)
            let caseID = RecordID.random()
            try store.set(
                entity: EntityName.case,
                record: caseID,
                assignments: [
                    (FieldName.pupilID, records.pupil.rawValue), (FieldName.category, "absence"),
                    (FieldName.phase, "planning"),
                    (FieldName.concern, "Upprepad ogiltig frånvaro sedan september."),
                    (FieldName.plan, "Motiverande samtal varje vecka; anpassat schema."),
                ]
            )
            records.caseID = caseID
        }
        if let concern = spec.concern {
            let id = RecordID.random()
            try store.set(
                entity: EntityName.concernReport,
                record: id,
                assignments: [
                    (FieldName.pupilID, records.pupil.rawValue), (FieldName.concern, concern),
                    (FieldName.reportedBy, "Rektor Åke Berg"),
                ]
            )
            records.concern = id
        }
        return records
    }

    /// Writes (or rewrites) the pupil's absence for the month so far.
    @discardableResult
    static func writeAbsence(
        _ pupil: RecordID,
        at store: Store,
        today: String,
        unexcused: Int,
        id: RecordID? = nil
    )
        throws -> RecordID
    {
        let id = id ?? RecordID.random()
        try store.set(
            entity: EntityName.absence,
            record: id,
            assignments: [
                (FieldName.pupilID, pupil.rawValue), (FieldName.periodStart, String(today.prefix(8)) + "01"),
                (FieldName.periodEnd, today),
                (FieldName.scheduledMinutes, "4800"), (FieldName.excusedMinutes, "120"),
                (FieldName.unexcusedMinutes, String(unexcused)),
            ]
        )
        return id
    }
}
