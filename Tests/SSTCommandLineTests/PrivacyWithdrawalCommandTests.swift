import Foundation
import Testing

/// `sst consent withdraw` through export files: the hub purges what it received under the consent —
/// gone from its database file and WAL — and its receipt, carried back, is audited at the school.
@Suite struct PrivacyWithdrawalCommandTests {
    @Test(.timeLimit(.minutes(10)))
    func withdrawalPurgesTheHubsFilesAndTheSchoolAuditsTheReceipt() throws {
        try withScratchDirectory { scratch in
            let school = try Node.school("ekbacken-1", in: scratch)
            let hub = try Node.hub("hub-sodermalm", in: scratch)
            let pupil = newRecordID()
            let guardian = newRecordID()
            try school.set("pupil", pupil, ["given_name=PURGE-Åsa", "family_name=Öberg", "personnummer=20160315-2388"])
            try school.set("guardian", guardian, ["pupil_id=\(pupil)", "phone=PURGE-070-1234567", "has_custody=true"])
            let consent = try school.grantConsent(pupil: pupil, scopes: "identity,sst_case", givenBy: [guardian])
            let caseID = newRecordID()
            try school.set("case", caseID, ["pupil_id=\(pupil)", "category=absence", "plan=PURGE-plan"])
            let markers = ["PURGE-Åsa", "PURGE-070-1234567", "PURGE-plan"]

            let first = scratch.appendingPathComponent("1.json")
            try school.export(for: "social", to: first)
            try hub.sst(["changes", "import", "--data", hub.data, first.path, "--school", ekbacken])
            let before = hub.databaseFiles().map(\.bytes).reduce(Data(), +)
            #expect(markers.allSatisfy { markerOccurs($0, in: before) }, "the data reached the hub's files")

            try school.sst(["consent", "withdraw", "--data", school.data, "--id", consent])
            let second = scratch.appendingPathComponent("2.json")
            try school.export(for: "social", to: second)
            let imported = try hub.sst(["changes", "import", "--data", hub.data, second.path, "--school", ekbacken])
            expectNoMarker(markers, in: hub.databaseFiles() + outputs("changes import", imported))
            let hubAudit = try hub.sst(["audit", "list", "--data", hub.data, "--pupil", pupil]).out
            #expect(hubAudit.contains("purged"), "\(hubAudit)")

            let back = scratch.appendingPathComponent("3.json")
            try hub.export(for: "school", to: back, school: ekbacken)
            try school.sst(["changes", "import", "--data", school.data, back.path])
            let schoolAudit = try school.sst(["audit", "list", "--data", school.data, "--pupil", pupil]).out
            #expect(schoolAudit.contains("purge_acknowledged"), "\(schoolAudit)")
            #expect(try school.get("case", caseID)["plan"]?.value == .string("PURGE-plan"), "the school keeps its own")
        }
    }
}
