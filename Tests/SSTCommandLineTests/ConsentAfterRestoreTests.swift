import Foundation
import Testing

/// What a node restored from a backup meets of what was recorded after the backup (issue 23, items 6 and 7), as
/// an administrator meets it: `sst hub serve` and `sst sync` processes over HTTPS. A consent given after the
/// backup is recorded again under the id the hub holds it by, so that its withdrawal reaches the hub's copy; a
/// report of concern written after it is named, with the command that unblocks the node.
@Suite struct ConsentAfterRestoreTests {
    /// What `sst consent list --json` prints of one consent.
    struct Listed: Decodable {
        let id: String
        let status: String
    }

    @Test(.timeLimit(.minutes(10)))
    func aConsentRecordedAgainUnderItsIDThenWithdrawnPurgesTheHubsCopy() throws {
        try withScratchDirectory { scratch in
            let school = try Node.school("ekbacken-1", in: scratch)
            let hub = try Node.hub("hub-sodermalm", in: scratch)
            let pupil = newRecordID()
            let guardian = newRecordID()
            let caseID = newRecordID()
            try school.set("pupil", pupil, ["given_name=Åsa", "family_name=Öberg", "personnummer=20160315-2388"])
            try school.set("guardian", guardian, ["pupil_id=\(pupil)", "given_name=Karin", "has_custody=true"])
            try school.set("case", caseID, ["pupil_id=\(pupil)", "category=absence", "plan=SAMTAL-EFTER-BACKUP"])
            let district = try LoopbackDistrict.issue(hub: hub, school: school, in: scratch)
            let (server, port) = try district.serve(hub)
            defer { server.terminate() }
            try school.sst(district.syncArguments(school, port: port))

            // Backed up; the guardian's consent is recorded the next day and the case crosses under it.
            let restored = try PurgeAfterRestoreTests.backUp(school, in: scratch)
            let original = try school.grantConsent(pupil: pupil, scopes: "sst_case", givenBy: [guardian])
            try school.sst(district.syncArguments(school, port: port))
            #expect(try hub.get("case", caseID)["plan"]?.value == .string("SAMTAL-EFTER-BACKUP"))

            try PurgeAfterRestoreTests.rejoin(restored, as: "ekbacken-1-r2", ca: district.ca, in: scratch)
            let refused = try SST.run(["sync", "--data", restored.data])
            expectRefusal(refused, mentions: ["pupil \(pupil)", "restored from a backup", "--id CONSENT-ID"])

            // The district's administrator reads the id at the hub; the school records the consent again under it.
            let atHub = try decode(
                [Listed].self,
                try hub.sst(["consent", "list", "--data", hub.data, "--pupil", pupil, "--json"])
            )
            #expect(atHub.map(\.id) == [original])
            try restored.grantConsent(pupil: pupil, scopes: "sst_case", givenBy: [guardian], ["--id", original])
            expectRefusal(
                try SST.run(
                    ["consent", "grant", "--data", restored.data, "--pupil", pupil, "--scopes", "sst_case"]
                        + ["--given-by", guardian, "--method", "written", "--id", original]
                ),
                mentions: ["already holds consent \(original)"]
            )
            try restored.sst(["sync", "--data", restored.data])

            // Withdrawn at the restored node: the hub's copy is withdrawn and what it received under it purged.
            try restored.sst(["consent", "withdraw", "--data", restored.data, "--id", original])
            try restored.sst(["sync", "--data", restored.data])
            let after = try decode(
                [Listed].self,
                try hub.sst(["consent", "list", "--data", hub.data, "--pupil", pupil, "--json"])
            )
            #expect(after.map(\.status) == ["withdrawn"], "\(after.map(\.status))")
            let caseAtHub = try SST.run(["record", "get", "--data", hub.data, "--entity", "case", "--id", caseID])
            #expect(
                caseAtHub.status != 0 || !caseAtHub.out.contains("SAMTAL"),
                "the hub keeps the case it received under the consent: \(caseAtHub)"
            )
            expectNoMarker(["SAMTAL-EFTER-BACKUP"], in: hub.databaseFiles())
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func aReportOfConcernWrittenAfterTheBackupIsNamedWithTheCommandThatUnblocksTheNode() throws {
        try withScratchDirectory { scratch in
            let school = try Node.school("ekbacken-1", in: scratch)
            let hub = try Node.hub("hub-sodermalm", in: scratch)
            let pupil = newRecordID()
            let report = newRecordID()
            try school.set("pupil", pupil, ["given_name=Åsa", "family_name=Öberg", "personnummer=20160315-2388"])
            let district = try LoopbackDistrict.issue(hub: hub, school: school, in: scratch)
            let (server, port) = try district.serve(hub)
            defer { server.terminate() }
            try school.sst(district.syncArguments(school, port: port))

            let restored = try PurgeAfterRestoreTests.backUp(school, in: scratch)
            let written = [
                "concern=Oro för hemsituationen", "reported_by=Kurator Lena", "reported_at=2026-12-01T09:00:00Z",
            ]
            try school.set("concern_report", report, ["pupil_id=\(pupil)"] + written)
            try school.sst(district.syncArguments(school, port: port))
            // Social services answer the report at the hub.
            try hub.set("concern_report", report, ["received_at=2026-12-02T09:00:00Z", "investigation_opened=true"])

            try PurgeAfterRestoreTests.rejoin(restored, as: "ekbacken-1-r2", ca: district.ca, in: scratch)
            let refused = try SST.run(["sync", "--data", restored.data])
            expectRefusal(
                refused,
                mentions: [
                    "concern_report \(report)", "restored from a backup", "sst school-key recover",
                    "sst record set --data DIR --entity concern_report --id \(report) pupil_id=PUPIL-ID",
                ]
            )
            // The operator enters the report again under its id, with its pupil: the answer then comes back.
            try restored.set("concern_report", report, ["pupil_id=\(pupil)"] + written)
            try restored.sst(["sync", "--data", restored.data])
            #expect(try restored.get("concern_report", report)["investigation_opened"]?.value == .bool(true))
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func withTheSchoolKeyBackTheConsentComesBackThroughTheMailboxUnderItsID() throws {
        try withScratchDirectory { scratch in
            let school = try Node.school("ekbacken-1", in: scratch)
            let hub = try Node.hub("hub-sodermalm", in: scratch)
            let pupil = newRecordID()
            let guardian = newRecordID()
            let caseID = newRecordID()
            try school.set("pupil", pupil, ["given_name=Åsa", "family_name=Öberg", "personnummer=20160315-2388"])
            try school.set("guardian", guardian, ["pupil_id=\(pupil)", "given_name=Karin", "has_custody=true"])
            try school.set("case", caseID, ["pupil_id=\(pupil)", "category=absence", "plan=Samtal"])
            let recovery = scratch.appendingPathComponent("school-key.txt").path
            try school.sst(["school-key", "recovery", "--data", school.data, "--out", recovery])
            let district = try LoopbackDistrict.issue(hub: hub, school: school, in: scratch)
            let (server, port) = try district.serve(hub)
            defer { server.terminate() }
            try school.sst(district.syncArguments(school, port: port))

            let restored = try PurgeAfterRestoreTests.backUp(school, in: scratch)
            let original = try school.grantConsent(pupil: pupil, scopes: "sst_case", givenBy: [guardian])
            try school.sst(district.syncArguments(school, port: port))

            try PurgeAfterRestoreTests.rejoin(restored, as: "ekbacken-1-r2", ca: district.ca, in: scratch)
            try restored.sst(["school-key", "recover", "--data", restored.data, recovery])
            try restored.sst(["sync", "--data", restored.data])
            let listed = try decode(
                [Listed].self,
                try restored.sst(["consent", "list", "--data", restored.data, "--pupil", pupil, "--json"])
            )
            #expect(listed.map(\.id) == [original] && listed.map(\.status) == ["active"], "\(listed)")
            try restored.sst(["consent", "withdraw", "--data", restored.data, "--id", original])
            try restored.sst(["sync", "--data", restored.data])
            let atHub = try decode(
                [Listed].self,
                try hub.sst(["consent", "list", "--data", hub.data, "--pupil", pupil, "--json"])
            )
            #expect(atHub.map(\.status) == ["withdrawn"], "\(atHub)")
        }
    }
}
