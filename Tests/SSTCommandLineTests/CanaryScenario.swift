import Foundation
import Testing

/// The canary pupils of a school: every field that must not cross the boundary holds a unique marker
/// (`CANARY-…`), and what may cross holds `ALLOWED-…`.
struct CanaryScenario {
    /// The markers that must never be found on the other side.
    let forbidden: [String]
    /// The markers that must arrive.
    static let allowed = [
        "ALLOWED-B-given", "ALLOWED-B-plan", "ALLOWED-C-plan", "ALLOWED-C-concern", "ALLOWED-D-given",
        "ALLOWED-D-concern",
    ]
    /// Björn, with consent to everything, and his case.
    let bjorn: String
    let bjornCase: String

    /// Writes the pupils on `school` with `sst record set` and `sst consent grant`.
    static func write(on school: Node) throws -> CanaryScenario {
        var forbidden: [String] = []
        func canary(_ field: String, _ name: String) -> String {
            forbidden.append("CANARY-\(name)")
            return "\(field)=Får ej lämna skolan CANARY-\(name)"
        }
        let pupil = ["personnummer=20160315-2388", "grade=4", "school=\(ekbacken)", "stadsdel=\(sodermalm)"]

        // Åsa: no consent. Everything of hers stays at the school.
        let asa = newRecordID()
        try school.set("pupil", asa, pupil + [canary("given_name", "A-given"), canary("family_name", "A-family")])
        try school.set(
            "guardian",
            newRecordID(),
            ["pupil_id=\(asa)", "has_custody=true", canary("given_name", "A-guardian"), canary("phone", "A-phone")]
        )
        try school.set("health_note", newRecordID(), ["pupil_id=\(asa)", canary("text", "A-health")])
        try school.set("school_assessment", newRecordID(), ["pupil_id=\(asa)", canary("summary", "A-summary")])
        let asaCase = newRecordID()
        try school.set("case", asaCase, ["pupil_id=\(asa)", "category=absence", canary("plan", "A-plan")])
        try school.set("meeting", newRecordID(), ["case_id=\(asaCase)", canary("notes", "A-meeting")])

        // Björn, 13: consent to everything; his health note and his own view never cross.
        let bjorn = newRecordID()
        let bjornGuardians = [newRecordID(), newRecordID()]
        try school.set("pupil", bjorn, ["personnummer=20130101-0003", "given_name=ALLOWED-B-given", "grade=7"])
        for (guardian, name) in zip(bjornGuardians, ["Märta", "Östen"]) {
            try school.set("guardian", guardian, ["pupil_id=\(bjorn)", "given_name=\(name)", "has_custody=true"])
        }
        forbidden.append("CANARY-B-view")
        try school.grantConsent(
            pupil: bjorn,
            scopes: "identity,absence,school_assessment,sst_case,social_support_flag",
            givenBy: bjornGuardians,
            ["--pupil-view", "Jag vill ha hjälp CANARY-B-view"]
        )
        try school.set("health_note", newRecordID(), ["pupil_id=\(bjorn)", canary("text", "B-health")])
        let bjornCase = newRecordID()
        try school.set("case", bjornCase, ["pupil_id=\(bjorn)", "category=absence", "plan=ALLOWED-B-plan"])

        // Märta, protected identity, with consent and a report of concern: no identity crosses.
        let marta = newRecordID()
        let martaGuardian = newRecordID()
        try school.set(
            "pupil",
            marta,
            pupil + ["protected_identity=true", canary("given_name", "C-given"), canary("class_name", "C-class")]
        )
        try school.set(
            "guardian",
            martaGuardian,
            ["pupil_id=\(marta)", "has_custody=true", canary("phone", "C-phone"), canary("email", "C-email")]
        )
        try school.grantConsent(pupil: marta, scopes: "identity,sst_case", givenBy: [martaGuardian])
        try school.set("case", newRecordID(), ["pupil_id=\(marta)", "category=behaviour", "plan=ALLOWED-C-plan"])
        try school.set("concern_report", newRecordID(), ["pupil_id=\(marta)", "concern=ALLOWED-C-concern"])

        // Göran: no consent, a report of concern (legal duty): identity and concern only.
        let goran = newRecordID()
        try school.set("pupil", goran, pupil + ["given_name=ALLOWED-D-given"])
        try school.set("concern_report", newRecordID(), ["pupil_id=\(goran)", "concern=ALLOWED-D-concern"])
        try school.set(
            "case",
            newRecordID(),
            ["pupil_id=\(goran)", "category=behaviour", canary("plan", "D-plan")]
        )
        return CanaryScenario(forbidden: forbidden, bjorn: bjorn, bjornCase: bjornCase)
    }
}
