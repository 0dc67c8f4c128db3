import Foundation
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import Testing

/// `sst report`'s figures: what a hub holds, counted per stadsdel, with small counts suppressed.
@Suite struct FollowUpReportTests {
    static let vallby = NodeIdentity(
        node: NodeID("vallby-1")!,
        role: .school,
        school: "Vällingby skola",
        stadsdel: "Hässelby-Vällingby"
    )
    static let vallbyPeer = PeerIdentity(
        node: vallby.node,
        role: .school,
        school: vallby.school,
        stadsdel: vallby.stadsdel
    )

    /// A pupil with an `sst_case` consent and one case in `phase`.
    @discardableResult
    static func pupilWithCase(
        on school: Store,
        phase: String,
        category: String = "absence"
    ) throws -> (
        pupil: PrivacyPupil, caseID: RecordID
    ) {
        let pupil = try PrivacyPupil.write(on: school, ["school": .string(try #require(school.identity().school))])
        try pupil.grant(["sst_case"], on: school)
        let caseID = try pupil.add(
            "case",
            on: school,
            ["category": .string(category), "phase": .phase(Phase(text: phase)!)]
        )
        return (pupil, caseID)
    }

    @Test func countsEachStadsdelsLiveRecordsAndSuppressesSmallCounts() throws {
        let pair = try PrivacyPair.inMemory()
        // Ekbacken (Södermalm): seven pupils with a case, six in planning and one just noticed; six
        // interventions; two reports of concern, one followed by an investigation at the hub.
        var cases: [RecordID] = []
        for index in 0..<7 {
            let (_, caseID) = try Self.pupilWithCase(
                on: pair.school,
                phase: index == 0 ? "1:noticed" : "1:planning",
                category: index == 0 ? "behaviour" : "absence"
            )
            cases.append(caseID)
        }
        for (index, caseID) in cases.prefix(6).enumerated() {
            try pair.school.set(
                entity: "intervention",
                record: RecordID.random(),
                values: [
                    "case_id": .string(caseID.rawValue),
                    "kind": .string(index == 5 ? "parenting_support" : "study_support"),
                ]
            )
        }
        // Left out: a deleted case, its pupil and its intervention, a purged case and its pupil, and a deleted
        // intervention.
        let (_, deletedCase) = try Self.pupilWithCase(on: pair.school, phase: "1:planning")
        try pair.school.set(
            entity: "intervention",
            record: RecordID.random(),
            values: ["case_id": .string(deletedCase.rawValue), "kind": .string("study_support")]
        )
        try pair.school.delete(entity: "case", record: deletedCase)
        let (_, purgedCase) = try Self.pupilWithCase(on: pair.school, phase: "1:planning")
        try pair.school.purge(entity: "case", record: purgedCase)
        let deletedIntervention = RecordID.random()
        try pair.school.set(
            entity: "intervention",
            record: deletedIntervention,
            values: ["case_id": .string(cases[0].rawValue), "kind": .string("other")]
        )
        try pair.school.delete(entity: "intervention", record: deletedIntervention)
        var reports: [RecordID] = []
        for _ in 0..<2 {
            let pupil = try PrivacyPupil.write(on: pair.school, [:])
            reports.append(try pupil.add("concern_report", on: pair.school, ["concern": .string("Lång frånvaro.")]))
        }
        try pair.syncToHub()
        try pair.hub.set(entity: "concern_report", record: reports[0], values: ["investigation_opened": .boolean(true)])

        // Vällingby (Hässelby-Vällingby): two pupils with a case.
        let vallby = try Store.inMemory(identity: Self.vallby, physicalClock: pair.schoolClock)
        for _ in 0..<2 { try Self.pupilWithCase(on: vallby, phase: "1:opened") }
        let export = try vallby.exportChanges(forSide: .social, peer: PrivacyNodes.hubPeer, since: 0)
        try pair.hub.apply(export.changeSet, from: Self.vallbyPeer)

        let report = try pair.hub.followUpReport()
        #expect(report.hub == PrivacyNodes.hubNode)
        #expect(report.stadsdelar.map(\.name) == ["Hässelby-Vällingby", "Södermalm"])
        let small = ShownCount.small(threshold: 5)
        let sodermalm = try #require(report.stadsdelar.last)
        #expect(sodermalm.schools == 1)
        #expect(sodermalm.pupilsWithCase == .count(7), "the deleted case's pupil is not counted")
        #expect(
            sodermalm.casesByPhase.map(\.count) == [small, small, .count(6), small, small, small, small],
            "\(sodermalm.casesByPhase)"
        )
        #expect(sodermalm.casesByPhase.map(\.label) == Phase.Step.allCases.map(\.rawValue))
        // 6 absence and 1 behaviour: the 1 is under five, and the 6 would give it away (the cases are 7).
        #expect(
            sodermalm.casesByCategory == [
                .init(label: "absence", count: .hidden), .init(label: "behaviour", count: small),
            ]
        )
        #expect(sodermalm.interventionsByKind.first { $0.label == "study_support" }?.count == .count(5))
        #expect(sodermalm.interventionsByKind.first { $0.label == "other" }?.count == small)
        #expect(sodermalm.reportsOfConcern == small)
        #expect(sodermalm.investigationsOpened == small)
        let vallbyRow = try #require(report.stadsdelar.first)
        #expect(vallbyRow.schools == 1)
        #expect(vallbyRow.pupilsWithCase == small)

        // Nothing in the report names a pupil, a record or a person.
        let text = "\(report)"
        for id in cases + reports { #expect(!text.contains(id.rawValue)) }
        for name in ["Åsa", "Öberg", "20160315-2388", "Lång frånvaro"] { #expect(!text.contains(name)) }
    }

    /// Each stadsdel's schools are counted once however many records each sent: two in Södermalm, one in
    /// Hässelby-Vällingby (the report seeks from one school to the next through an index).
    @Test func countsTheSchoolsOfEachStadsdelOnce() throws {
        let pair = try PrivacyPair.inMemory()
        for _ in 0..<3 { try Self.pupilWithCase(on: pair.school, phase: "1:opened") }
        try pair.syncToHub()
        let rosendal = NodeIdentity(
            node: NodeID("rosendal-1")!,
            role: .school,
            school: "Rosendalsskolan",
            stadsdel: "Södermalm"
        )
        for identity in [Self.vallby, rosendal] {
            let school = try Store.inMemory(identity: identity, physicalClock: pair.schoolClock)
            for _ in 0..<2 { try Self.pupilWithCase(on: school, phase: "1:opened") }
            let export = try school.exportChanges(forSide: .social, peer: PrivacyNodes.hubPeer, since: 0)
            let peer = PeerIdentity(
                node: identity.node,
                role: .school,
                school: identity.school,
                stadsdel: identity.stadsdel
            )
            try pair.hub.apply(export.changeSet, from: peer)
        }
        let report = try pair.hub.followUpReport()
        #expect(report.stadsdelar.map(\.name) == ["Hässelby-Vällingby", "Södermalm"])
        #expect(report.stadsdelar.map(\.schools) == [1, 2])
        #expect(report.stadsdelar.map(\.pupilsWithCase) == [.small(threshold: 5), .count(5)])
    }

    /// A pupil with several cases is one pupil with a case, and each of the cases counts in its phase and category.
    @Test func aPupilWithTwoCasesCountsOnceAndEachCaseCounts() throws {
        let pair = try PrivacyPair.inMemory()
        for _ in 0..<3 {
            let (pupil, _) = try Self.pupilWithCase(on: pair.school, phase: "1:opened")
            try pupil.add(
                "case",
                on: pair.school,
                ["category": .string("behaviour"), "phase": .phase(Phase(text: "2:closed")!)]
            )
        }
        try Self.pupilWithCase(on: pair.school, phase: "1:planning")
        try pair.syncToHub()
        let row = try #require(
            pair.hub.followUpReport(suppression: SmallCountSuppression(threshold: 1)).stadsdelar.first
        )
        #expect(row.pupilsWithCase == .count(4))
        #expect(
            row.casesByPhase.map(\.count) == [0, 3, 1, 0, 0, 0, 3].map { $0 == 0 ? .small(threshold: 1) : .count($0) }
        )
        #expect(row.casesByCategory.map(\.count) == [.count(4), .count(3)])
    }

    /// Six reports, five followed by an investigation: with 6 and 5 shown, the one without would be found.
    @Test func aLoneReportWithoutAnInvestigationIsNotGivenAway() throws {
        let pair = try PrivacyPair.inMemory()
        var reports: [RecordID] = []
        for _ in 0..<6 {
            let pupil = try PrivacyPupil.write(on: pair.school, [:])
            reports.append(try pupil.add("concern_report", on: pair.school, ["concern": .string("Lång frånvaro.")]))
        }
        try pair.syncToHub()
        for report in reports.prefix(5) {
            try pair.hub.set(entity: "concern_report", record: report, values: ["investigation_opened": .boolean(true)])
        }
        var row = try #require(pair.hub.followUpReport().stadsdelar.first)
        #expect(row.reportsOfConcern == .count(6))
        #expect(row.investigationsOpened == .hidden)
        try pair.hub.set(entity: "concern_report", record: reports[5], values: ["investigation_opened": .boolean(true)])
        row = try #require(pair.hub.followUpReport().stadsdelar.first)
        #expect(row.investigationsOpened == .count(6), "all six: none without, and a zero gives nobody away")
    }

    /// A case social services opened at the hub for a pupil no school has sent: no stadsdel to count it under.
    @Test func aCaseWhosePupilNoSchoolSentCountsUnderUnknown() throws {
        let pair = try PrivacyPair.inMemory()
        try pair.hub.set(
            entity: "case",
            record: RecordID.random(),
            values: ["pupil_id": .string(RecordID.random().rawValue), "category": .string("absence")]
        )
        let report = try pair.hub.followUpReport()
        #expect(report.stadsdelar.map(\.name) == [FollowUpReport.unknownStadsdel])
        #expect(report.stadsdelar.first?.schools == 0)
    }

    @Test func aHubWithNothingYetHasNoStadsdelar() throws {
        let pair = try PrivacyPair.inMemory()
        #expect(try pair.hub.followUpReport().stadsdelar.isEmpty)
    }

    @Test func aSchoolNodeHasNoDistrictView() throws {
        let pair = try PrivacyPair.inMemory()
        let error = try #require(throws: StoreError.self) { try pair.school.followUpReport() }
        #expect(error.code == .wrongSide)
        #expect(error.remedy.contains("hub's data directory"))
    }
}
