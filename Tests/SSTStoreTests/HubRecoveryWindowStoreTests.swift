import Foundation
import SSTCore
import SSTPrivacy
import SSTStore
import Testing

/// A hub restored from a backup and rejoined under a new id takes back, in its recovery window only, the values of
/// social services' fields it wrote under its previous id and lost, from the school whose pupils they concern
/// (`Store.openRecoveryWindow`, `Store.hubRecoveryAnswered`, Store+RecoveredValues.swift).
@Suite struct HubRecoveryWindowStoreTests {
    static let newHub = NodeID("hub-sodermalm-r2")!
    static let newHubPeer = PeerIdentity(node: newHub, role: .hub, stadsdel: PrivacyNodes.stadsdel)

    /// A school, its hub's backup, what social services wrote after it and the school received, and the hub
    /// restored from the backup under a new id.
    struct Restored {
        let pair: PrivacyPair
        let hub: Store
        let pupil: PrivacyPupil
        let report: RecordID
        let support: RecordID

        init() throws {
            pair = try PrivacyPair.files()
            let directory = try #require(pair.directory)
            pupil = try PrivacyPupil.write(on: pair.school, [:])
            try pupil.grant(["identity", "sst_case", "social_support_flag"], on: pair.school)
            report = try pupil.add(
                "concern_report",
                on: pair.school,
                ["concern": .string("Eleven är ofta hungrig."), "reported_by": .string("Mentor Eva Lind")]
            )
            try pair.syncToHub()
            try pair.hub.backup(to: directory.path("backup.sqlite"))
            pair.advance(days: 1)
            support = RecordID.random()
            try pair.hub.set(
                entity: "social_support",
                record: support,
                values: ["pupil_id": .string(pupil.id.rawValue), "has_ongoing_support": .boolean(true)]
            )
            try pair.hub.set(
                entity: "concern_report",
                record: report,
                values: ["received_at": .string("2027-01-16T09:00:00Z"), "investigation_opened": .boolean(true)]
            )
            try pair.syncToSchool()
            pair.advance(days: 1)
            hub = try Store.open(at: directory.path("backup.sqlite"), physicalClock: pair.hubClock)
            try hub.rejoin(as: HubRecoveryWindowStoreTests.newHub)
        }

        /// The school's push to the restored hub, from the hub's cursor for it.
        func export() throws -> ChangeSet {
            let since = try hub.cursor(for: PrivacyNodes.schoolNode)
            return try pair.school.exportChanges(forSide: .social, peer: newHubPeer, since: since).changeSet
        }

        /// The school learns that the hub's window is open.
        func schoolLearnsTheWindowIsOpen() throws {
            try pair.school.hubRecoveryAnswered(
                by: newHub,
                open: true,
                previous: [PrivacyNodes.hubNode],
                until: nil
            )
        }

        /// The social values the school received after the hub's backup, as the hub holds them now.
        func socialValues() throws -> [Value?] {
            [
                try hub.record(entity: "social_support", record: support)?["has_ongoing_support"]?.value,
                try hub.record(entity: "concern_report", record: report)?["investigation_opened"]?.value,
                try hub.record(entity: "concern_report", record: report)?["received_at"]?.value,
            ]
        }
    }

    static let given: [Value?] = [.boolean(true), .boolean(true), .string("2027-01-16T09:00:00Z")]

    @Test func closedWindowRefusesWhatTheSchoolGivesBackThenTheOpenWindowTakesItAndAuditsIt() throws {
        let restored = try Restored()
        // Without the hub's word the school withholds social services' values, as ever: the push goes through.
        let plain = try restored.export()
        #expect(!plain.changes.contains { $0.entity == "social_support" || $0.field == "received_at" })
        try restored.schoolLearnsTheWindowIsOpen()
        let giving = try restored.export()
        let given = giving.changes.filter { !plain.changes.contains($0) }
        #expect(
            Set(given.map { "\($0.entity).\($0.field)" }) == [
                "social_support.pupil_id", "social_support.has_ongoing_support", "concern_report.received_at",
                "concern_report.investigation_opened",
            ]
        )
        #expect(given.allSatisfy { $0.stamp.node == PrivacyNodes.hubNode })

        // The hub's window is not open: refused whole, as a push of a field the school does not own.
        let before = try restored.hub.dumpText()
        let refused = #expect(throws: ChangeSetError.self) {
            try restored.hub.apply(giving, from: PrivacyNodes.schoolPeer)
        }
        #expect(refused?.code == .notOwner)
        #expect(try restored.hub.dumpText() == before)

        let window = try restored.hub.openRecoveryWindow()
        #expect(window.previous == [PrivacyNodes.hubNode] && window.until == nil)
        #expect(try restored.hub.auditEntries().last?.entry.detail.contains("recovery window opened") == true)
        let applied = try restored.hub.apply(giving, from: PrivacyNodes.schoolPeer)
        #expect(applied.received == giving.changes.count)
        #expect(try restored.socialValues() == Self.given)
        // Stamped as they were, and kept as this side's own values.
        let stamp = try #require(try restored.hub.record(entity: "social_support", record: restored.support))
        #expect(stamp["has_ongoing_support"]?.stamp.node == PrivacyNodes.hubNode)
        let recovered = try restored.hub.auditEntries().map(\.entry).filter { $0.detail.hasPrefix("recovered from") }
        #expect(recovered.count == 1)
        let entry = try #require(recovered.first)
        #expect(entry.kind == .received && entry.peer == PrivacyNodes.schoolNode.rawValue)
        #expect(entry.pupil == restored.pupil.id)
        #expect(entry.detail.contains(PrivacyNodes.school) && entry.detail.contains(PrivacyNodes.hubNode.rawValue))
        #expect(Set(entry.fields) == Set(given.map { "\($0.entity).\($0.field)" }))
        let sent = try restored.pair.school.auditEntries().map(\.entry).filter {
            $0.kind == .sent && $0.detail.hasPrefix("given back to the hub")
        }
        #expect(sent.count == 1 && sent.allSatisfy { $0.pupil == restored.pupil.id })
        #expect(try restored.hub.verifyAudit().problems.isEmpty)

        // Closed again: refused once more.
        #expect(try restored.hub.closeRecoveryWindow())
        #expect(try restored.hub.recoveryWindow() == nil)
        #expect(try restored.hub.auditEntries().last?.entry.detail.contains("recovery window closed") == true)
        #expect(throws: ChangeSetError.self) { try restored.hub.apply(giving, from: PrivacyNodes.schoolPeer) }
        #expect(try !restored.hub.closeRecoveryWindow())
    }

    @Test func anotherSchoolsPupilIsRefusedInTheWindow() throws {
        let restored = try Restored()
        try restored.schoolLearnsTheWindowIsOpen()
        try restored.hub.openRecoveryWindow()
        let giving = try restored.export()
        let social = giving.changes.filter { $0.stamp.node == PrivacyNodes.hubNode }
        let before = try restored.hub.dumpText()
        // Another school gives back Ekbacken's pupil's values: its report, its support record (whose pupil the set
        // names), and the support flag alone (its record's pupil is not known here).
        for changes in [
            social.filter { $0.entity == "concern_report" },
            social.filter { $0.entity == "social_support" },
            social.filter { $0.field == "has_ongoing_support" },
        ] {
            let set = ChangeSet(
                origin: PrivacyNodes.otherSchoolNode,
                side: .school,
                since: 0,
                upTo: 1,
                changes: changes,
                policyHash: giving.policyHash
            )
            let refused = #expect(throws: ChangeSetError.self) {
                try restored.hub.apply(set, from: PrivacyNodes.otherSchoolPeer)
            }
            #expect(refused?.code == .notAuthorized, "\(changes.map(\.field))")
        }
        #expect(try restored.hub.dumpText() == before)
    }

    @Test func aValueStampedByTheNewHubIDOrASchoolOrThePolicysSecretIsRefusedInTheWindow() throws {
        let restored = try Restored()
        try restored.hub.openRecoveryWindow()
        let policyHash = try restored.export().policyHash
        let before = try restored.hub.dumpText()
        func value(_ field: String, _ value: Value, by node: NodeID) -> FieldChange {
            FieldChange(
                entity: "social_support",
                record: restored.support,
                field: field,
                state: FieldState(
                    value: value,
                    stamp: Stamp(timestamp: Timestamp(milliseconds: PrivacyNodes.start, counter: 9), node: node)
                )
            )
        }
        for change in [
            value("has_ongoing_support", .boolean(false), by: Self.newHub),
            value("has_ongoing_support", .boolean(false), by: PrivacyNodes.schoolNode),
            value("has_ongoing_support", .boolean(false), by: PrivacyNodes.otherSchoolNode),
            // Kept at social services by the policy: never the school's to give back.
            value("decision_notes", .string("Beslut om stöd."), by: PrivacyNodes.hubNode),
        ] {
            let set = ChangeSet(
                origin: PrivacyNodes.schoolNode,
                side: .school,
                since: 0,
                upTo: 1,
                changes: [
                    value("pupil_id", .string(restored.pupil.id.rawValue), by: PrivacyNodes.hubNode), change,
                ],
                policyHash: policyHash
            )
            let refused = #expect(throws: ChangeSetError.self) {
                try restored.hub.apply(set, from: PrivacyNodes.schoolPeer)
            }
            #expect(refused?.code == .notOwner, "\(change.field) by \(change.stamp.node)")
        }
        #expect(try restored.hub.dumpText() == before)
    }

    @Test func theSchoolGivesBackWhatItsCursorIsPastOnceItLearnsOfTheWindow() throws {
        let restored = try Restored()
        // The school syncs with the restored hub before the window opens: its cursor passes the social values.
        let first = try restored.export()
        try restored.hub.apply(first, from: PrivacyNodes.schoolPeer)
        #expect(try restored.export().changes.isEmpty)
        try restored.hub.openRecoveryWindow(until: PrivacyNodes.start + 10 * PrivacyNodes.day)
        try restored.pair.school.hubRecoveryAnswered(
            by: Self.newHub,
            open: true,
            previous: [PrivacyNodes.hubNode],
            until: PrivacyNodes.start + 10 * PrivacyNodes.day
        )
        #expect(try restored.pair.school.hubRecoveryOffer()?.hub == Self.newHub)
        let again = try restored.export()
        #expect(again.changes.count == 4 && again.changes.allSatisfy { $0.stamp.node == PrivacyNodes.hubNode })
        let before = try restored.hub.dumpText()
        // Past the window's end the hub refuses them, as ever.
        let now = restored.pair.hubClock.milliseconds()
        restored.pair.hubClock.set(PrivacyNodes.start + 10 * PrivacyNodes.day)
        let lapsed = #expect(throws: ChangeSetError.self) {
            try restored.hub.apply(again, from: PrivacyNodes.schoolPeer)
        }
        #expect(lapsed?.code == .notOwner)
        #expect(try restored.hub.dumpText() == before)
        restored.pair.hubClock.set(now)
        try restored.hub.apply(again, from: PrivacyNodes.schoolPeer)
        #expect(try restored.socialValues() == Self.given)
        // The school hears the window is closed: it withholds them again.
        try restored.pair.school.hubRecoveryAnswered(by: Self.newHub, open: false, previous: [], until: nil)
        #expect(try restored.pair.school.hubRecoveryOffer() == nil)
        let all = try restored.pair.school.exportChanges(forSide: .social, peer: Self.newHubPeer, since: 0)
        #expect(!all.changeSet.changes.contains { $0.stamp.node == PrivacyNodes.hubNode })
    }

    @Test func theWindowOpensOnlyOnARejoinedHubAndLapsesAtItsEnd() throws {
        let pair = try PrivacyPair.inMemory()
        #expect(throws: StoreError.self) { try pair.school.openRecoveryWindow() }
        let notRejoined = #expect(throws: StoreError.self) { try pair.hub.openRecoveryWindow() }
        #expect(notRejoined?.code == .invalidValue && notRejoined?.remedy.contains("sst node rejoin") == true)
        try pair.hub.rejoin(as: Self.newHub)
        #expect(try pair.hub.previousNodeIDs() == [PrivacyNodes.hubNode])
        let past = #expect(throws: StoreError.self) { try pair.hub.openRecoveryWindow(until: PrivacyNodes.start) }
        #expect(past?.code == .invalidValue)
        #expect(try pair.hub.recoveryWindow() == nil)
        let window = try pair.hub.openRecoveryWindow(until: PrivacyNodes.start + PrivacyNodes.day)
        #expect(window.isOpen(at: PrivacyNodes.start) && !window.isOpen(at: PrivacyNodes.start + PrivacyNodes.day))
        #expect(try pair.hub.recoveryWindow() == window)
        #expect(throws: StoreError.self) {
            try pair.hub.hubRecoveryAnswered(by: Self.newHub, open: true, previous: [], until: nil)
        }
    }
}
