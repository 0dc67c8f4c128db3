import Foundation
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import Testing

/// Canary tests: every field that must not cross holds a unique marker; a real export file is written and
/// imported into a node with real files; no marker may turn up on the other side — not in the export
/// file, the database file, its WAL, or the audit trail — while the data that may cross does arrive.
@Suite struct PrivacyCanaryTests {
    /// School → social services: never-fields, consent-scoped fields without consent in force, and identity
    /// of a pupil with protected identity stay at the school; consented data and reports of concern cross.
    @Test func nothingForbiddenLeavesTheSchoolInAnExportFileOrReachesTheHubsFiles() throws {
        let pair = try PrivacyPair.files()
        let school = pair.school
        var forbidden: [String] = []
        func marker(_ name: String) -> Value {
            forbidden.append("CANARY-\(name)")
            return .string("Uppgift CANARY-\(name) får ej lämna skolan")
        }

        // Åsa: a consent pending (one of two custodians said yes) is no consent.
        let asa = try PrivacyPupil.write(
            on: school,
            ["given_name": marker("A-given"), "family_name": marker("A-family"), "class_name": marker("A-class")],
            guardians: [
                ["given_name": marker("A-guardian"), "phone": marker("A-phone"), "email": marker("A-email")],
                ["given_name": .string("Örjan")],
            ]
        )
        try school.grantConsent(
            ConsentRequest(
                pupil: asa.id,
                scopes: PrivacyNodes.allScopes,
                answers: ConsentAnswers(givenBy: [asa.custodians[0]], pupilView: "CANARY-A-view"),
                method: "oral"
            )
        )
        forbidden.append("CANARY-A-view")
        let asaAbsence = try asa.add(
            "absence",
            on: school,
            [
                "period_start": .string("2026-12-01"), "scheduled_minutes": .integer(1200),
                "unexcused_minutes": .integer(480),
            ]
        )
        try asa.add(
            "school_assessment",
            on: school,
            ["causes": .list(["CANARY-A-cause"]), "summary": marker("A-summary")]
        )
        try asa.add("health_note", on: school, ["text": marker("A-health")])
        forbidden.append("CANARY-A-cause")
        let asaCase = try asa.add(
            "case",
            on: school,
            ["category": .string("absence"), "concern": marker("A-concern"), "plan": marker("A-plan")]
        )
        for (entity, fields) in [
            ("intervention", ["description": marker("A-intervention"), "responsible": marker("A-responsible")]),
            ("meeting", ["notes": marker("A-meeting"), "participants": .list(["CANARY-A-participant"])]),
        ] {
            var values = fields
            values["case_id"] = .string(asaCase.rawValue)
            try school.set(entity: entity, record: RecordID.random(), values: values)
        }
        forbidden.append("CANARY-A-participant")

        // Björn, 13: consent to everything; his health note and his own view still never cross.
        let bjorn = try PrivacyPupil.write(
            on: school,
            ["personnummer": .string("20130610-2391"), "given_name": .string("ALLOWED-B-given"), "grade": .integer(7)],
            guardians: [["given_name": .string("Märta"), "phone": .string("ALLOWED-B-phone")]]
        )
        try bjorn.grant(PrivacyNodes.allScopes, on: school, pupilView: "CANARY-B-view")
        forbidden.append("CANARY-B-view")
        try bjorn.add("health_note", on: school, ["text": marker("B-health")])
        try bjorn.add("school_assessment", on: school, ["summary": .string("ALLOWED-B-summary")])
        let bjornAbsence = try bjorn.add("absence", on: school, ["unexcused_minutes": .integer(300)])
        let bjornCase = try bjorn.add(
            "case",
            on: school,
            ["category": .string("absence"), "plan": .string("ALLOWED-B-plan")]
        )

        // Märta, protected identity: consent to everything and a report of concern, yet no identity crosses.
        let marta = try PrivacyPupil.write(
            on: school,
            [
                "personnummer": .string("20140707-9878"), "given_name": marker("C-given"),
                "family_name": marker("C-family"), "class_name": marker("C-class"),
                "protected_identity": .boolean(true),
            ],
            guardians: [["given_name": marker("C-guardian"), "phone": marker("C-phone"), "email": marker("C-email")]]
        )
        forbidden.append("20140707-9878")
        try marta.grant(PrivacyNodes.allScopes, on: school, pupilView: "CANARY-C-view")
        forbidden.append("CANARY-C-view")
        let martaCase = try marta.add(
            "case",
            on: school,
            ["category": .string("behaviour"), "plan": .string("ALLOWED-C-plan")]
        )
        try marta.add("concern_report", on: school, ["concern": .string("ALLOWED-C-concern")])

        // Göran: no consent, but a report of concern: his identity and the concern cross, nothing else.
        let goran = try PrivacyPupil.write(
            on: school,
            ["given_name": .string("ALLOWED-D-given")],
            guardians: [["given_name": .string("Ingrid"), "phone": marker("D-phone")]]
        )
        try goran.add(
            "concern_report",
            on: school,
            [
                "concern": .string("ALLOWED-D-concern"), "reported_by": .string("Rektor Åke Söderberg"),
                "reported_at": .string("2027-01-14T10:00:00Z"),
            ]
        )
        try goran.add("case", on: school, ["category": .string("behaviour"), "plan": marker("D-plan")])
        try goran.add("health_note", on: school, ["text": marker("D-health")])

        let schoolBytes = try pair.databaseFiles("school").map(\.bytes).reduce(Data(), +)
        for marker in forbidden {
            #expect(markerOccurs(marker, in: schoolBytes), "the search must find \(marker) where it was written")
        }
        let export = try school.exportChanges(forSide: .social, peer: nil, since: 0)
        #expect(export.withheld.contains { $0.change.entity == "health_note" && $0.change.field == "text" })
        let file = try #require(pair.directory).url.appendingPathComponent("to-hub.json")
        try ChangeSetCodec.encode(export.changeSet).write(to: file)
        let fileBytes = try Data(contentsOf: file)
        try pair.hub.apply(ChangeSetCodec.decode(fileBytes))

        let hubFiles = try pair.databaseFiles("hub")
        #expect(hubFiles.map(\.name).contains("hub/sst.sqlite"))
        expectNoMarker(forbidden, in: [("the export file", fileBytes)] + hubFiles)
        expectNoMarker(forbidden, in: [("the hub's audit trail", try privacyAuditText(pair.hub))])
        expectNoMarker(forbidden, in: [("the hub's dump", Data(try pair.hub.dumpText().utf8))])
        #expect(try pair.hub.record(entity: "absence", record: asaAbsence) == nil)
        #expect(try pair.hub.record(entity: "pupil", record: asa.id) == nil)
        #expect(try pair.hub.record(entity: "pupil", record: marta.id)?.keys.contains("given_name") != true)

        // The canary can fail the other way too: what may cross did arrive.
        let hubBytes = hubFiles.map(\.bytes).reduce(Data(), +)
        for allowed in [
            "ALLOWED-B-given", "ALLOWED-B-phone", "ALLOWED-B-summary", "ALLOWED-B-plan", "ALLOWED-C-plan",
            "ALLOWED-C-concern", "ALLOWED-D-given", "ALLOWED-D-concern",
        ] {
            #expect(markerOccurs(allowed, in: fileBytes), "\(allowed) is missing from the export file")
            #expect(markerOccurs(allowed, in: hubBytes), "\(allowed) is missing from the hub's files")
        }
        #expect(try pair.hub.record(entity: "case", record: bjornCase)?["plan"]?.value == .string("ALLOWED-B-plan"))
        #expect(try pair.hub.record(entity: "case", record: martaCase)?["plan"]?.value == .string("ALLOWED-C-plan"))
        #expect(
            try pair.hub.record(entity: "absence", record: bjornAbsence)?["unexcused_minutes"]?.value == .integer(300)
        )
        #expect(
            try pair.hub.record(entity: "pupil", record: goran.id)?["given_name"]?.value == .string("ALLOWED-D-given")
        )
        let received = try pair.hub.auditEntries().filter { $0.entry.kind == .received }
        #expect(received.contains { $0.entry.pupil == goran.id && $0.entry.basis == "legal_duty" })
        #expect(
            received.contains { $0.entry.pupil == bjorn.id && $0.entry.basis?.hasPrefix("consent:sst_case") == true }
        )
    }

    /// Social services → school: the investigation and decision notes never cross; the support flag (with
    /// consent), the shared plan and the receipt of a report of concern do.
    @Test func socialInvestigationAndDecisionNotesNeverReachTheSchool() throws {
        let pair = try PrivacyPair.files()
        let bjorn = try PrivacyPupil.write(on: pair.school, ["given_name": .string("Björn")])
        try bjorn.grant(PrivacyNodes.allScopes, on: pair.school)
        let bjornCase = try bjorn.add(
            "case",
            on: pair.school,
            ["category": .string("absence"), "plan": .string("Plan")]
        )
        let goran = try PrivacyPupil.write(on: pair.school, ["given_name": .string("Göran")])
        let report = try goran.add("concern_report", on: pair.school, ["concern": .string("Oro för hemsituationen")])
        try pair.syncToHub()

        let hub = pair.hub
        let forbidden = [
            "CANARY-S-investigation-B", "CANARY-S-decision-B", "CANARY-S-investigation-D", "CANARY-S-decision-D",
        ]
        for (pupil, suffix) in [(bjorn.id, "B"), (goran.id, "D")] {
            try hub.set(
                entity: "social_investigation",
                record: RecordID.random(),
                values: [
                    "pupil_id": .string(pupil.rawValue), "notes": .string("Utredning CANARY-S-investigation-\(suffix)"),
                ]
            )
            try hub.set(
                entity: "social_support",
                record: RecordID.random(),
                values: [
                    "pupil_id": .string(pupil.rawValue), "has_ongoing_support": .boolean(true),
                    "decision_notes": .string("Beslut CANARY-S-decision-\(suffix)"),
                ]
            )
        }
        let goranSupport = RecordID.random()
        try hub.set(
            entity: "social_support",
            record: goranSupport,
            values: ["pupil_id": .string(goran.id.rawValue), "has_ongoing_support": .boolean(true)]
        )
        let bjornSupport = RecordID.random()
        try hub.set(
            entity: "social_support",
            record: bjornSupport,
            values: ["pupil_id": .string(bjorn.id.rawValue), "has_ongoing_support": .boolean(true)]
        )
        try hub.set(entity: "case", record: bjornCase, values: ["plan": .string("ALLOWED-S-plan")])
        try hub.set(
            entity: "concern_report",
            record: report,
            values: ["received_at": .string("2027-01-15T09:00:00Z"), "investigation_opened": .boolean(true)]
        )

        let hubBytes = try pair.databaseFiles("hub").map(\.bytes).reduce(Data(), +)
        for marker in forbidden {
            #expect(markerOccurs(marker, in: hubBytes), "the search must find \(marker) where it was written")
        }
        let export = try hub.exportChanges(forSide: .school, peer: PrivacyNodes.schoolPeer, since: 0)
        let file = try #require(pair.directory).url.appendingPathComponent("to-school.json")
        try ChangeSetCodec.encode(export.changeSet).write(to: file)
        let fileBytes = try Data(contentsOf: file)
        try pair.school.apply(ChangeSetCodec.decode(fileBytes))

        expectNoMarker(forbidden, in: [("the export file", fileBytes)] + (try pair.databaseFiles("school")))
        expectNoMarker(forbidden, in: [("the school's audit trail", try privacyAuditText(pair.school))])
        expectNoMarker(forbidden, in: [("the school's dump", Data(try pair.school.dumpText().utf8))])
        #expect(try pair.school.record(entity: "social_support", record: goranSupport) == nil, "no consent for Göran")
        #expect(
            try pair.school.record(entity: "social_support", record: bjornSupport)?["has_ongoing_support"]?.value
                == .boolean(true)
        )
        #expect(try pair.school.record(entity: "case", record: bjornCase)?["plan"]?.value == .string("ALLOWED-S-plan"))
        let receipt = try pair.school.record(entity: "concern_report", record: report)
        #expect(receipt?["investigation_opened"]?.value == .boolean(true))
        #expect(receipt?["received_at"]?.value == .string("2027-01-15T09:00:00Z"))
        #expect(markerOccurs("ALLOWED-S-plan", in: fileBytes))
    }
}
