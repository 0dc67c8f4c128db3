import Foundation
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import Testing

/// Edges of the boundary rules that the random histories do not reach: a consent that comes into force
/// on a later day, identity protected after it was shared, and a refused set's traces in the files.
@Suite struct PrivacyBoundaryEdgeTests {
    /// DESIGN §5 "On grant, fields that became shareable are sent (backfill)"; the policy README: "when a
    /// consent comes into force, the pupil's fields are … sent again". A consent valid from a later day
    /// comes into force by the clock alone.
    @Test func aConsentValidFromALaterDaySendsThePupilsDataOnceItIsInForce() throws {
        let pair = try PrivacyPair.inMemory()
        let pupil = try PrivacyPupil.write(on: pair.school, ["given_name": .string("Åsa")])
        let caseID = try pupil.add(
            "case",
            on: pair.school,
            ["category": .string("absence"), "plan": .string("Plan")]
        )
        let summary = try pair.school.grantConsent(
            ConsentRequest(
                pupil: pupil.id,
                scopes: ["identity", "sst_case"],
                answers: ConsentAnswers(givenBy: pupil.custodians),
                method: "written",
                validFrom: CivilDate.day(2, after: PrivacyNodes.start)
            )
        )
        #expect(summary.status == "not yet valid")
        try pair.syncToHub()
        #expect(try pair.hub.record(entity: "case", record: caseID)?["plan"] == nil, "not before it is valid")

        pair.advance(days: 3)
        #expect(try pair.school.consentSummaries(pupil: pupil.id).map(\.status) == ["active"])
        let export = try pair.syncToHub()
        #expect(
            try pair.hub.record(entity: "case", record: caseID)?["plan"]?.value == .string("Plan"),
            "the consent is in force, yet the plan written before was not sent (\(export.changeSet.changes.count) sent)"
        )
        #expect(try pair.hub.record(entity: "pupil", record: pupil.id)?["given_name"]?.value == .string("Åsa"))
    }

    /// A consent the hub receives resends its pupil's data in the merge that brings it, once: the check at the
    /// start of the hub's next session (a school's handshake) finds nothing more to send. Before, it resent
    /// every such pupil again (each of their fields a second new sequence number, sent to the school again).
    /// The fields that came in the same set are new to every peer already and keep the numbers they got.
    @Test func aConsentTheHubReceivesResendsItsPupilOnlyOnce() throws {
        let pair = try PrivacyPair.inMemory()
        let pupil = try PrivacyPupil.write(on: pair.school, ["given_name": .string("Åsa")])
        try pupil.add("case", on: pair.school, ["category": .string("absence"), "plan": .string("Plan")])
        try pupil.grant(["identity", "sst_case"], on: pair.school)
        let sent = try pair.syncToHub()
        #expect(try pair.hub.record(entity: "pupil", record: pupil.id)?["given_name"] != nil)
        let sequence = try pair.hub.lastSequence()
        #expect(sequence == Int64(sent.changeSet.changes.count), "one number for each field the set brought")

        #expect(try pair.hub.resendForConsentsComingIntoForce() == [])
        #expect(try pair.hub.lastSequence() == sequence, "after \(sent.changeSet.changes.count) fields received")
    }

    /// DESIGN §5: a report of concern (*orosanmälan*) always crosses with the pupil's identity (legal duty).
    /// A report is usually filed about a pupil the school has held, and synced, for years: the identity
    /// withheld until then must be sent with the report, and only a pupil's first report sends it again.
    @Test func aReportOfConcernAboutAPupilSyncedBeforeSendsThePupilsIdentity() throws {
        let pair = try PrivacyPair.inMemory()
        let pupil = try PrivacyPupil.write(on: pair.school, ["given_name": .string("Göran")])
        try pair.syncToHub()
        #expect(try pair.hub.record(entity: "pupil", record: pupil.id) == nil, "nothing of his crosses yet")

        try pupil.add("concern_report", on: pair.school, ["concern": .string("Lång frånvaro sedan augusti")])
        let export = try pair.syncToHub()
        let held = try pair.hub.record(entity: "pupil", record: pupil.id)
        #expect(held?["given_name"]?.value == .string("Göran"), "sent: \(export.changeSet.changes.map(\.field))")
        #expect(held?["personnummer"]?.value == .string("20160315-2388"))
        #expect(try pair.hub.record(entity: "guardian", record: pupil.guardians[0]) == nil, "no guardian contact")

        // A second report adds no basis: the pupil's fields are not sent again.
        try pupil.add("concern_report", on: pair.school, ["concern": .string("Oro för hemsituationen")])
        let second = try pair.syncToHub()
        #expect(second.changeSet.changes.allSatisfy { $0.entity == "concern_report" })
    }

    /// The identity the hub holds only by a report of concern goes when the school deletes the report: the
    /// hub's consent sweep purges it (as `sst hub serve` runs every 10 minutes), and the audit says no basis
    /// is left — not that a consent lapsed, for there was none.
    @Test func aDeletedReportOfConcernLetsTheHubsSweepPurgeTheIdentityItHeld() throws {
        let pair = try PrivacyPair.inMemory()
        let pupil = try PrivacyPupil.write(on: pair.school, ["given_name": .string("Göran")])
        let report = try pupil.add("concern_report", on: pair.school, ["concern": .string("Lång frånvaro")])
        try pair.syncToHub()
        #expect(try pair.hub.record(entity: "pupil", record: pupil.id)?["given_name"]?.value == .string("Göran"))

        try pair.school.delete(entity: "concern_report", record: report)
        try pair.syncToHub()
        let swept = try pair.hub.sweepConsents()
        #expect(swept.purgedFields > 0)
        #expect(try pair.hub.record(entity: "pupil", record: pupil.id)?["given_name"] == nil)
        let purge = try #require(try pair.hub.auditEntries(pupil: pupil.id).last { $0.entry.kind == .purged })
        #expect(purge.entry.detail.contains("no consent in force and no report of concern"), "\(purge.entry.detail)")
    }

    /// DESIGN §5: "A pupil with protected identity never has identity or guardian contact fields synced,
    /// whatever the consent." Protection often comes after the pupil is known to the team.
    @Test func aPupilWhoGetsProtectedIdentityLaterHasNoIdentityLeftAtTheHub() throws {
        let pair = try PrivacyPair.inMemory()
        let pupil = try PrivacyPupil.write(
            on: pair.school,
            ["given_name": .string("Märta"), "family_name": .string("Åkesson")],
            guardians: [["given_name": .string("Ingrid"), "phone": .string("070-123 45 67")]]
        )
        try pupil.grant(["identity", "sst_case"], on: pair.school)
        let caseID = try pupil.add(
            "case",
            on: pair.school,
            ["category": .string("behaviour"), "plan": .string("Plan")]
        )
        try pair.syncToHub()
        #expect(try pair.hub.record(entity: "pupil", record: pupil.id)?["family_name"] != nil)

        try pair.school.set(entity: "pupil", record: pupil.id, values: ["protected_identity": .boolean(true)])
        try pair.syncToHub()
        try pair.hub.sweepConsents()

        let name = try pair.hub.record(entity: "pupil", record: pupil.id)?["family_name"]?.value
        let phone = try pair.hub.record(entity: "guardian", record: pupil.guardians[0])?["phone"]?.value
        #expect(name == nil, "the hub still holds the protected pupil's family name: \(String(describing: name))")
        #expect(phone == nil, "the hub still holds the guardian's phone: \(String(describing: phone))")
        // The case can still be worked on under its record id.
        #expect(try pair.hub.record(entity: "case", record: caseID)?["plan"]?.value == .string("Plan"))
    }

    /// A set refused for a forbidden field leaves its values in neither the hub's database file nor its WAL.
    @Test func aRefusedSetLeavesNoTraceInTheHubsFiles() throws {
        let pair = try PrivacyPair.files()
        let pupil = try PrivacyPupil.write(on: pair.school, ["given_name": .string("Björn")])
        try pupil.grant(["identity", "sst_case"], on: pair.school)
        try pupil.add("case", on: pair.school, ["plan": .string("REFUSED-plan: får inte landa")])
        try pupil.add("health_note", on: pair.school, ["text": .string("REFUSED-health: elevhälsans anteckning")])
        let everything = try pair.school.exportChanges(since: 0)
        let forged = ChangeSet(
            origin: PrivacyNodes.schoolNode,
            side: .school,
            since: 0,
            upTo: everything.upTo,
            changes: everything.changes,
            policyHash: Policy.default.hash
        )
        let error = #expect(throws: ChangeSetError.self) { try pair.hub.apply(forged, from: PrivacyNodes.schoolPeer) }
        #expect(error?.code == .policyViolation)
        expectNoMarker(["REFUSED-plan", "REFUSED-health"], in: try pair.databaseFiles("hub"))
        expectNoMarker(
            ["REFUSED-plan", "REFUSED-health"],
            in: [("the hub's audit trail", try privacyAuditText(pair.hub))]
        )
        #expect(try pair.hub.auditEntries().last?.entry.kind == .refused)
    }

    /// A school's text that waits in a conflict at the hub was received under the consent too: a withdrawal
    /// must purge it, even after someone at the hub has edited the visible value since.
    @Test func withdrawalPurgesTheSchoolsTextThatWaitsInAConflictAtTheHub() throws {
        let pair = try PrivacyPair.files()
        let pupil = try PrivacyPupil.write(on: pair.school, ["given_name": .string("Björn")])
        let consent = try pupil.grant(["sst_case"], on: pair.school)
        let caseID = try pupil.add("case", on: pair.school, ["plan": .string("Första planen")])
        try pair.syncToHub()
        try pair.hub.set(entity: "case", record: caseID, values: ["plan": .string("Hubbens plan")])
        try pair.school.set(entity: "case", record: caseID, values: ["plan": .string("CONFLICT-school-text")])
        try pair.syncToHub()
        try #require(try pair.hub.conflicts().contains { $0.record == caseID }, "a conflict at the hub")
        try pair.hub.set(entity: "case", record: caseID, values: ["plan": .string("Hubbens andra plan")])

        try pair.school.withdrawConsent(id: consent.id)
        try pair.syncToHub()

        let left = try pair.hub.conflicts().filter { $0.record == caseID }.flatMap { [$0.current] + $0.others }
        #expect(!left.contains { $0.value == .string("CONFLICT-school-text") }, "still at the hub: \(left)")
        expectNoMarker(["CONFLICT-school-text"], in: try pair.databaseFiles("hub"))
    }

    /// At the hub, a school's text that loses to the hub's own concurrent text stays marked as the school's
    /// and the winner as the hub's: a withdrawal purges the school's value and never the hub's own writing.
    @Test func withdrawalPurgesTheSchoolsLosingTextAndKeepsTheHubsOwn() throws {
        let pair = try PrivacyPair.inMemory()
        let pupil = try PrivacyPupil.write(on: pair.school, ["given_name": .string("Björn")])
        let consent = try pupil.grant(["sst_case"], on: pair.school)
        let caseID = try pupil.add("case", on: pair.school, ["plan": .string("Första planen")])
        try pair.syncToHub()
        try pair.school.set(entity: "case", record: caseID, values: ["plan": .string("Skolans plan")])
        pair.hubClock.advance(by: 60_000)  // the hub's edit is the later one and wins
        try pair.hub.set(entity: "case", record: caseID, values: ["plan": .string("Hubbens plan")])
        try pair.syncToHub()
        let conflict = try #require(try pair.hub.conflicts().first { $0.record == caseID })
        #expect(conflict.current.value == .string("Hubbens plan"))
        #expect(conflict.others.map(\.value) == [.string("Skolans plan")])

        try pair.school.withdrawConsent(id: consent.id)
        try pair.syncToHub()

        #expect(try pair.hub.record(entity: "case", record: caseID)?["plan"]?.value == .string("Hubbens plan"))
        #expect(try pair.hub.conflicts().filter { $0.record == caseID }.isEmpty, "the school's text is purged")
        #expect(try pair.hub.record(entity: "case", record: caseID)?["category"] == nil, "school fields purged")
    }

    /// A school that records protected identity after sharing gets the hub's purge receipt back.
    @Test func theSchoolIsToldThatTheHubLetGoOfAProtectedPupilsIdentity() throws {
        let pair = try PrivacyPair.inMemory()
        let pupil = try pair.pupilProtectedAfterSharing()
        try pair.syncToSchool()

        let acknowledged = try pair.school.auditEntries().map(\.entry).filter { $0.kind == .purgeAcknowledged }
        #expect(acknowledged.count == 1)
        #expect(acknowledged.first?.fields.contains("pupil.family_name") == true)
        #expect(acknowledged.first?.fields.contains("pupil.protected_identity") == false)
        #expect(try pair.hub.record(entity: "pupil", record: pupil.id)?["protected_identity"]?.value == .boolean(true))
    }

    /// The hub sends a school only that school's records (policy README) — also in an export file for a
    /// school (`sst changes export --for school` at the hub), which otherwise carries other schools' cases.
    @Test func aHubsExportFileForASchoolHoldsNoOtherSchoolsRecords() throws {
        let pair = try PrivacyPair.inMemory()
        let bjorn = try PrivacyPupil.write(on: pair.school, ["given_name": .string("Björn")])
        try bjorn.grant(["sst_case"], on: pair.school)
        let bjornCase = try bjorn.add("case", on: pair.school, ["plan": .string("Ekbackens plan")])
        try pair.syncToHub()
        let skarpnack = try Store.inMemory(
            identity: NodeIdentity(
                node: PrivacyNodes.otherSchoolNode,
                role: .school,
                school: PrivacyNodes.otherSchool,
                stadsdel: PrivacyNodes.stadsdel
            ),
            physicalClock: TestPhysicalClock(PrivacyNodes.start)
        )
        let noor = try PrivacyPupil.write(on: skarpnack, ["school": .string(PrivacyNodes.otherSchool)])
        try noor.grant(["sst_case"], on: skarpnack)
        let noorCase = try noor.add("case", on: skarpnack, ["plan": .string("SKARPNACK-plan")])
        let set = try skarpnack.exportChanges(forSide: .social, peer: PrivacyNodes.hubPeer, since: 0).changeSet
        try pair.hub.apply(set, from: PrivacyNodes.otherSchoolPeer)
        try pair.hub.set(entity: "case", record: noorCase, values: ["plan": .string("SKARPNACK-plan från hubben")])
        try pair.hub.set(entity: "case", record: bjornCase, values: ["plan": .string("Hubbens plan för Björn")])

        // Pulled over the network by Ekbacken's certificate, only Ekbacken's case comes.
        let pulled = try pair.hub.exportChanges(forSide: .school, peer: PrivacyNodes.schoolPeer, since: 0)
        #expect(!pulled.changeSet.changes.contains { $0.record == noorCase })
        // Written to a file for a school, the same must hold — and the file must import at Ekbacken.
        #expect(throws: StoreError.self) { try pair.hub.exportChanges(forSide: .school, peer: nil, since: 0) }
        let forFile = PeerIdentity(node: NodeID("file")!, role: .school, school: PrivacyNodes.schoolPeer.school)
        let file = try pair.hub.exportChanges(forSide: .school, peer: forFile, since: 0)
        #expect(
            !file.changeSet.changes.contains { $0.record == noorCase },
            "the export file carries Skarpnäck's case: \(file.changeSet.changes.filter { $0.record == noorCase })"
        )
        #expect(throws: Never.self) { try pair.school.apply(file.changeSet) }
    }

    /// A push does not come back on the next pull: the hub leaves out what the pulling node wrote itself —
    /// and still sends it to another node of the same school.
    @Test func aHubSendsANodeNoneOfItsOwnChangesBack() throws {
        let pair = try PrivacyPair.inMemory()
        let bjorn = try PrivacyPupil.write(on: pair.school, ["given_name": .string("Björn")])
        try bjorn.grant(["sst_case"], on: pair.school)
        let bjornCase = try bjorn.add("case", on: pair.school, ["plan": .string("Ekbackens plan")])
        try pair.syncToHub()
        let echo = try pair.hub.exportChanges(forSide: .school, peer: PrivacyNodes.schoolPeer, since: 0).changeSet
        #expect(echo.changes.isEmpty, "the hub sends the school its own changes: \(echo.changes)")

        let sibling = PeerIdentity(
            node: NodeID("ekbacken-2")!,
            role: .school,
            school: PrivacyNodes.school,
            stadsdel: PrivacyNodes.stadsdel
        )
        let forSibling = try pair.hub.exportChanges(forSide: .school, peer: sibling, since: 0).changeSet
        #expect(forSibling.changes.contains { $0.record == bjornCase && $0.stamp.node == PrivacyNodes.schoolNode })

        try pair.hub.set(entity: "case", record: bjornCase, values: ["plan": .string("Hubbens plan för Björn")])
        let pulled = try pair.syncToSchool().changeSet
        #expect(pulled.changes.allSatisfy { $0.stamp.node == PrivacyNodes.hubNode })
        #expect(pulled.changes.contains { $0.record == bjornCase && $0.field == "plan" })
        #expect(
            try pair.school.record(entity: "case", record: bjornCase)?["plan"]?.value
                == .string("Hubbens plan för Björn")
        )
    }

    /// A consent that arrives without a grant on this node — granted at another node of the school and
    /// imported from its file — sends the pupil's withheld data at the next export, although an export the
    /// same day had found no consent to come into force (the store remembers that only until it changes).
    @Test func aConsentImportedFromAnotherNodeSendsThePupilsDataAtTheNextExport() throws {
        let pair = try PrivacyPair.inMemory()
        let bjorn = try PrivacyPupil.write(on: pair.school, ["given_name": .string("Björn")])
        let withheld = try pair.syncToHub().changeSet
        #expect(!withheld.changes.contains { $0.record == bjorn.id && $0.field == "given_name" })

        let sibling = try pair.schoolSibling()
        try bjorn.grant(["identity"], on: sibling)
        try pair.school.apply(try sibling.exportChanges(since: 0))

        let sent = try pair.syncToHub().changeSet
        #expect(sent.changes.contains { $0.record == bjorn.id && $0.field == "given_name" })
        #expect(try pair.hub.record(entity: "pupil", record: bjorn.id)?["given_name"]?.value == .string("Björn"))
    }

    /// Protection lifted at the school (the flag switched back off): with the identity consent still in
    /// force, the pupil's identity may cross again, and reaches the hub that had purged it.
    @Test func aPupilWhoseProtectionIsLiftedHasTheIdentitySentAgain() throws {
        let pair = try PrivacyPair.inMemory()
        let pupil = try pair.pupilProtectedAfterSharing()
        #expect(try pair.hub.record(entity: "pupil", record: pupil.id)?["family_name"]?.value == nil)

        try pair.school.set(entity: "pupil", record: pupil.id, values: ["protected_identity": .boolean(false)])
        try pair.syncToHub()
        let hubPupil = try pair.hub.record(entity: "pupil", record: pupil.id)
        #expect(hubPupil?["protected_identity"]?.value == .boolean(false))
        #expect(hubPupil?["family_name"]?.value == .string("Åkesson"))
    }

    /// The same when the protection is lifted at another node of the school and imported from its file.
    @Test func aProtectionLiftedAtAnotherNodeHasTheIdentitySentAgain() throws {
        let pair = try PrivacyPair.inMemory()
        let pupil = try PrivacyPupil.write(on: pair.school, ["family_name": .string("Åkesson")])
        try pupil.grant(["identity"], on: pair.school)
        try pair.school.set(entity: "pupil", record: pupil.id, values: ["protected_identity": .boolean(true)])
        try pair.syncToHub()
        #expect(try pair.hub.record(entity: "pupil", record: pupil.id)?["family_name"]?.value == nil)

        let sibling = try pair.schoolSibling()
        try sibling.set(entity: "pupil", record: pupil.id, values: ["protected_identity": .boolean(false)])
        try pair.school.apply(try sibling.exportChanges(since: 0))
        try pair.syncToHub()
        #expect(try pair.hub.record(entity: "pupil", record: pupil.id)?["family_name"]?.value == .string("Åkesson"))
    }

    /// A report of concern filed at another node of the school and imported from its file sends the pupil's
    /// identity from this node too, as a report written here does; a report already in force adds nothing.
    @Test func aReportOfConcernFiledAtAnotherNodeSendsThePupilsIdentity() throws {
        let pair = try PrivacyPair.inMemory()
        let pupil = try PrivacyPupil.write(on: pair.school, ["given_name": .string("Göran")])
        try pair.syncToHub()
        #expect(try pair.hub.record(entity: "pupil", record: pupil.id) == nil, "nothing of his crosses yet")

        let sibling = try pair.schoolSibling()
        try pupil.add("concern_report", on: sibling, ["concern": .string("Lång frånvaro sedan augusti")])
        try pair.school.apply(try sibling.exportChanges(since: 0))
        let sent = try pair.syncToHub().changeSet
        #expect(sent.changes.contains { $0.record == pupil.id && $0.field == "given_name" }, "\(sent.changes)")
        #expect(try pair.hub.record(entity: "pupil", record: pupil.id)?["given_name"]?.value == .string("Göran"))

        try pupil.add("concern_report", on: sibling, ["concern": .string("Oro för hemsituationen")])
        try pair.school.apply(try sibling.exportChanges(since: 0))
        let second = try pair.syncToHub().changeSet
        #expect(second.changes.allSatisfy { $0.entity == "concern_report" }, "\(second.changes.map(\.field))")
    }
}
