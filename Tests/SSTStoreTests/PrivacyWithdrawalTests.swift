import Foundation
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import Testing

/// Withdrawal, expiry and re-grant (DESIGN §5): what the hub received under a consent is purged there —
/// from its files, not only its queries — the purge is acknowledged back to the school, a policy may
/// retain instead, expiry needs no message, and a new consent sends the data again with its original stamps.
@Suite struct PrivacyWithdrawalTests {
    /// A school pupil with a case and a guardian's phone, shared with the hub under an active consent.
    struct Shared {
        let pupil: PrivacyPupil
        let caseID: RecordID
        let consent: ConsentSummary
    }

    func share(_ pair: PrivacyPair, validUntil: CivilDate? = nil) throws -> Shared {
        let pupil = try PrivacyPupil.write(
            on: pair.school,
            ["given_name": .string("PURGE-given-Åsa")],
            guardians: [["given_name": .string("Karin"), "phone": .string("PURGE-phone-070")]]
        )
        let consent = try pupil.grant(["identity", "sst_case"], on: pair.school, validUntil: validUntil)
        let caseID = try pupil.add(
            "case",
            on: pair.school,
            ["category": .string("absence"), "plan": .string("PURGE-plan: samtal varje vecka med kuratorn")]
        )
        try pair.syncToHub()
        #expect(try pair.hub.record(entity: "case", record: caseID)?["plan"] != nil, "the plan reached the hub")
        return Shared(pupil: pupil, caseID: caseID, consent: consent)
    }

    let markers = ["PURGE-given-Åsa", "PURGE-phone-070", "PURGE-plan"]

    @Test func withdrawalPurgesAtTheHubFromFileAndWALAndTheSchoolAuditsTheAcknowledgement() throws {
        let pair = try PrivacyPair.files()
        let shared = try share(pair)
        let before = try pair.databaseFiles("hub").map(\.bytes).reduce(Data(), +)
        #expect(markers.allSatisfy { markerOccurs($0, in: before) }, "the markers are in the hub's files before")

        try pair.school.withdrawConsent(id: shared.consent.id)
        try pair.syncToHub()

        #expect(try pair.hub.record(entity: "case", record: shared.caseID)?["plan"] == nil)
        #expect(try pair.hub.record(entity: "pupil", record: shared.pupil.id)?["given_name"] == nil)
        #expect(try pair.hub.record(entity: "guardian", record: shared.pupil.guardians[0])?["phone"] == nil)
        expectNoMarker(markers, in: try pair.databaseFiles("hub"))
        let purged = try pair.hub.auditEntries(pupil: shared.pupil.id).filter { $0.entry.kind == .purged }
        #expect(purged.count == 1)
        #expect(purged.first?.entry.fields.contains("case.plan") == true)
        #expect(purged.first?.entry.fields.contains("guardian.phone") == true)
        #expect(purged.first?.entry.basis?.contains(shared.consent.id.rawValue) == true)

        // The school keeps its own data, and learns that the hub let go of its copy.
        #expect(try pair.school.auditEntries().allSatisfy { $0.entry.kind != .purgeAcknowledged })
        try pair.syncToSchool()
        let plan = try pair.school.record(entity: "case", record: shared.caseID)?["plan"]?.value
        #expect(plan == .string("PURGE-plan: samtal varje vecka med kuratorn"))
        let acknowledged = try pair.school.auditEntries(pupil: shared.pupil.id).filter {
            $0.entry.kind == .purgeAcknowledged
        }
        #expect(acknowledged.count == 1)
        #expect(acknowledged.first?.entry.peer == PrivacyNodes.hubNode.rawValue)
        #expect(acknowledged.first?.entry.fields.contains("case.plan") == true)
        #expect(acknowledged.first?.entry.basis == "consent \(shared.consent.id)")

        // Syncing again acknowledges nothing twice.
        try pair.syncToSchool()
        #expect(try pair.school.auditEntries().filter { $0.entry.kind == .purgeAcknowledged }.count == 1)
    }

    /// The sweep after a withdrawal looks only at the pupil's records: it must still reach the interventions
    /// and meetings of the pupil's cases (found through `case_id`), and leave another pupil's shared data alone.
    @Test func withdrawalPurgesThePupilsInterventionsAndMeetingsAndNoOtherPupilsData() throws {
        let pair = try PrivacyPair.files()
        let shared = try share(pair)
        let caseLink: Value = .string(shared.caseID.rawValue)
        let intervention = RecordID.random()
        try pair.school.set(
            entity: "intervention",
            record: intervention,
            values: ["case_id": caseLink, "kind": .string("study_support"), "description": .string("PURGE-läxhjälp")]
        )
        let meeting = RecordID.random()
        try pair.school.set(
            entity: "meeting",
            record: meeting,
            values: ["case_id": caseLink, "notes": .string("PURGE-möte: uppföljning med vårdnadshavare")]
        )
        let other = try PrivacyPupil.write(on: pair.school, ["given_name": .string("KEEP-given-Björn")])
        try other.grant(["identity", "sst_case"], on: pair.school)
        let otherCase = try other.add("case", on: pair.school, ["plan": .string("KEEP-plan: studiestöd")])
        try pair.syncToHub()
        #expect(try pair.hub.record(entity: "meeting", record: meeting)?["notes"] != nil, "the notes reached the hub")

        try pair.school.withdrawConsent(id: shared.consent.id)
        try pair.syncToHub()

        #expect(try pair.hub.record(entity: "intervention", record: intervention)?["description"] == nil)
        #expect(try pair.hub.record(entity: "meeting", record: meeting)?["notes"] == nil)
        expectNoMarker(markers + ["PURGE-läxhjälp", "PURGE-möte"], in: try pair.databaseFiles("hub"))
        let purged = try pair.hub.auditEntries(pupil: shared.pupil.id).filter { $0.entry.kind == .purged }
        #expect(purged.first?.entry.fields.contains("intervention.description") == true)
        #expect(purged.first?.entry.fields.contains("meeting.notes") == true)
        #expect(
            try pair.hub.record(entity: "pupil", record: other.id)?["given_name"]?.value == .string("KEEP-given-Björn")
        )
        #expect(
            try pair.hub.record(entity: "case", record: otherCase)?["plan"]?.value == .string("KEEP-plan: studiestöd")
        )
        #expect(try pair.hub.auditEntries(pupil: other.id).allSatisfy { $0.entry.kind != .purged })
    }

    @Test func aPolicyThatRetainsKeepsTheDataAtTheHubAndAuditsRetained() throws {
        let policy = try PrivacyNodes.policy(
            replacing: #""purgeOnWithdrawal": true"#,
            with: #""purgeOnWithdrawal": false"#
        )
        let pair = try PrivacyPair.inMemory(policy: policy)
        let shared = try share(pair)
        try pair.school.withdrawConsent(id: shared.consent.id)
        try pair.syncToHub()

        let plan = try pair.hub.record(entity: "case", record: shared.caseID)?["plan"]?.value
        #expect(plan == .string("PURGE-plan: samtal varje vecka med kuratorn"))
        let entries = try pair.hub.auditEntries(pupil: shared.pupil.id)
        #expect(entries.contains { $0.entry.kind == .retained && $0.entry.fields.contains("case.plan") })
        #expect(!entries.contains { $0.entry.kind == .purged })
        // Withdrawn is withdrawn: nothing more flows, even though the hub keeps what it had.
        try pair.school.set(
            entity: "case",
            record: shared.caseID,
            values: ["plan": .string("Ny plan efter återkallelse")]
        )
        let export = try pair.syncToHub()
        #expect(!export.changeSet.changes.contains { $0.entity == "case" })
        #expect(try pair.hub.record(entity: "case", record: shared.caseID)?["plan"]?.value == plan)
    }

    @Test func expiryPurgesOnTheHubsOwnClockWithNoMessageFromTheSchool() throws {
        let pair = try PrivacyPair.files()
        let validUntil = CivilDate.day(30, after: PrivacyNodes.start)
        let shared = try share(pair, validUntil: validUntil)
        let schoolSequence = try pair.school.lastSequence()

        pair.hubClock.advance(by: 29 * PrivacyNodes.day)
        #expect(try pair.hub.sweepConsents().purgedFields == 0, "still valid on its last day")
        pair.hubClock.advance(by: 2 * PrivacyNodes.day)
        let report = try pair.hub.sweepConsents()

        #expect(report.pupils == [shared.pupil.id])
        #expect(try pair.hub.record(entity: "case", record: shared.caseID)?["plan"] == nil)
        expectNoMarker(markers, in: try pair.databaseFiles("hub"))
        let purged = try pair.hub.auditEntries(pupil: shared.pupil.id).filter { $0.entry.kind == .purged }
        #expect(purged.first?.entry.basis?.contains("expired") == true)
        // The school heard nothing and still, on its own clock, has the consent in force.
        #expect(try pair.school.lastSequence() == schoolSequence)
        #expect(try pair.school.consentSummaries(pupil: shared.pupil.id).map(\.status) == ["active"])
    }

    @Test func aNewConsentSendsTheDataAgainWithItsOriginalStamps() throws {
        let pair = try PrivacyPair.inMemory()
        let shared = try share(pair)
        let original = try #require(try pair.school.record(entity: "case", record: shared.caseID)?["plan"])
        let originalName = try #require(try pair.school.record(entity: "pupil", record: shared.pupil.id)?["given_name"])
        try pair.school.withdrawConsent(id: shared.consent.id)
        pair.advance(days: 3)
        try pair.syncToHub()
        #expect(try pair.hub.record(entity: "case", record: shared.caseID)?["plan"] == nil)

        pair.advance(days: 3)
        try shared.pupil.grant(["identity", "sst_case"], on: pair.school)
        let export = try pair.syncToHub()

        let sent = export.changeSet.changes.first { $0.entity == "case" && $0.field == "plan" }
        #expect(sent?.stamp == original.stamp, "backfill keeps the original stamp")
        let plan = try pair.hub.record(entity: "case", record: shared.caseID)?["plan"]
        #expect(plan?.value == original.value)
        #expect(plan?.stamp == original.stamp)
        #expect(
            try pair.hub.record(entity: "pupil", record: shared.pupil.id)?["given_name"]?.stamp == originalName.stamp
        )
    }

    /// The other direction: what the school received from social services under a consent (the support
    /// flag) is purged at the school when the consent is withdrawn, and no more comes.
    @Test func withdrawalPurgesTheSupportFlagTheSchoolReceivedAndStopsItsFlow() throws {
        let pair = try PrivacyPair.inMemory()
        let pupil = try PrivacyPupil.write(on: pair.school, ["given_name": .string("Östen")])
        let consent = try pupil.grant(["social_support_flag"], on: pair.school)
        try pair.syncToHub()
        let support = RecordID.random()
        try pair.hub.set(
            entity: "social_support",
            record: support,
            values: ["pupil_id": .string(pupil.id.rawValue), "has_ongoing_support": .boolean(true)]
        )
        try pair.syncToSchool()
        #expect(try pair.school.record(entity: "social_support", record: support)?["has_ongoing_support"] != nil)

        try pair.school.withdrawConsent(id: consent.id)
        try pair.school.sweepConsents()
        #expect(try pair.school.record(entity: "social_support", record: support)?["has_ongoing_support"] == nil)
        let purged = try pair.school.auditEntries(pupil: pupil.id).filter { $0.entry.kind == .purged }
        #expect(purged.first?.entry.direction == .toSchool)
        #expect(purged.first?.entry.fields.contains("social_support.has_ongoing_support") == true)

        try pair.syncToHub()
        try pair.hub.set(entity: "social_support", record: support, values: ["has_ongoing_support": .boolean(false)])
        let export = try pair.syncToSchool()
        #expect(!export.changeSet.changes.contains { $0.entity == "social_support" })
        #expect(try pair.school.record(entity: "social_support", record: support)?["has_ongoing_support"] == nil)
    }
}
