import Foundation
import Testing

/// Canary tests through the real `sst` binary: every field that must not cross holds a unique marker;
/// after `sst changes export` and `sst changes import` no marker is in the export file, the receiving
/// node's database file or WAL, or anything the commands printed — and what may cross did.
@Suite struct PrivacyCanaryCommandTests {
    @Test(.timeLimit(.minutes(3)))
    func nothingForbiddenCrossesThroughChangesExportAndImport() throws {
        try withScratchDirectory { scratch in
            let school = try Node.school("ekbacken-1", in: scratch)
            let hub = try Node.hub("hub-sodermalm", in: scratch)
            var forbidden: [String] = []
            func canary(_ field: String, _ name: String) -> String {
                forbidden.append("CANARY-\(name)")
                return "\(field)=Får ej lämna skolan CANARY-\(name)"
            }
            let pupil = ["personnummer=20160315-2386", "grade=4", "school=\(ekbacken)", "stadsdel=\(sodermalm)"]

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
            try school.set("pupil", bjorn, ["personnummer=20130101-0000", "given_name=ALLOWED-B-given", "grade=7"])
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

            let toHub = scratch.appendingPathComponent("till-hubben.json")
            let exported = try school.export(for: "social", to: toHub)
            #expect(exported.out.contains("Withheld by the privacy policy"), "\(exported)")
            let imported = try hub.sst(["changes", "import", "--data", hub.data, toHub.path, "--school", ekbacken])
            let hubDump = try hub.sst(["dump", "--data", hub.data, "--json"])
            let hubAudit = try hub.sst(["audit", "list", "--data", hub.data])
            let hubConsents = try hub.sst(["consent", "list", "--data", hub.data])
            let fileBytes = try Data(contentsOf: toHub)
            let hubFiles = hub.databaseFiles()
            #expect(!hubFiles.isEmpty)
            expectNoMarker(
                forbidden,
                in: [("the export file", fileBytes)] + hubFiles + outputs("changes export", exported)
                    + outputs("changes import", imported) + outputs("hub dump", hubDump)
                    + outputs("hub audit list", hubAudit) + outputs("hub consent list", hubConsents)
            )
            let schoolBytes = school.databaseFiles().map(\.bytes).reduce(Data(), +)
            for marker in forbidden {
                #expect(markerOccurs(marker, in: schoolBytes), "the search must find \(marker) where it was written")
            }

            // And the other way round: what may cross did arrive.
            let hubBytes = hubFiles.map(\.bytes).reduce(Data(), +)
            for allowed in [
                "ALLOWED-B-given", "ALLOWED-B-plan", "ALLOWED-C-plan", "ALLOWED-C-concern", "ALLOWED-D-given",
                "ALLOWED-D-concern",
            ] {
                #expect(markerOccurs(allowed, in: fileBytes), "\(allowed) is missing from the export file")
                #expect(markerOccurs(allowed, in: hubBytes), "\(allowed) is missing from the hub's database")
            }
            #expect(try hub.get("case", bjornCase)["plan"]?.value == .string("ALLOWED-B-plan"))
            #expect(hubAudit.out.contains("received"), "\(hubAudit)")

            // Social services → school: the investigation and decision notes stay at the hub.
            let hubForbidden = ["CANARY-S-investigation", "CANARY-S-decision"]
            try hub.set("social_investigation", newRecordID(), ["pupil_id=\(bjorn)", "notes=CANARY-S-investigation"])
            let support = newRecordID()
            try hub.set(
                "social_support",
                support,
                ["pupil_id=\(bjorn)", "has_ongoing_support=true", "decision_notes=CANARY-S-decision"]
            )
            try hub.set("case", bjornCase, ["plan=ALLOWED-S-plan"])
            let toSchool = scratch.appendingPathComponent("till-skolan.json")
            let back = try hub.export(for: "school", to: toSchool, school: ekbacken)
            let backImported = try school.sst(["changes", "import", "--data", school.data, toSchool.path])
            let schoolAudit = try school.sst(["audit", "list", "--data", school.data])
            expectNoMarker(
                hubForbidden,
                in: [("the export file to the school", try Data(contentsOf: toSchool))] + school.databaseFiles()
                    + outputs("changes export at the hub", back) + outputs("changes import at the school", backImported)
                    + outputs("school audit list", schoolAudit)
            )
            #expect(try school.get("case", bjornCase)["plan"]?.value == .string("ALLOWED-S-plan"))
            #expect(try school.get("social_support", support)["has_ongoing_support"]?.value == .bool(true))
            #expect(try school.get("social_support", support)["decision_notes"] == nil)
        }
    }
}
