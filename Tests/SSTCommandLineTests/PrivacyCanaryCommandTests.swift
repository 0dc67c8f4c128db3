import Foundation
import Testing

/// Canary tests through the real `sst` binary: every field that must not cross holds a unique marker;
/// after `sst changes export` and `sst changes import` no marker is in the export file, the receiving
/// node's database file or WAL, or anything the commands printed — and what may cross did.
@Suite struct PrivacyCanaryCommandTests {
    @Test(.timeLimit(.minutes(10)))
    func nothingForbiddenCrossesThroughChangesExportAndImport() throws {
        try withScratchDirectory { scratch in
            let school = try Node.school("ekbacken-1", in: scratch)
            let hub = try Node.hub("hub-sodermalm", in: scratch)
            let scenario = try CanaryScenario.write(on: school)
            let (forbidden, bjorn, bjornCase) = (scenario.forbidden, scenario.bjorn, scenario.bjornCase)
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
            for allowed in CanaryScenario.allowed {
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
