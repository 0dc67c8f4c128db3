import Foundation
import GRDB
import SSTCore
import SSTPrivacy
import Testing

@testable import SSTStore

/// The receiver's checks (defence in depth): a set from the other side with another policy, a field the
/// sender does not own, a field the receiver's own consent state forbids, another school's record, or a
/// sender that is not its origin is refused whole — nothing applied, the cursor unmoved — and audited.
@Suite struct PrivacyRefusalTests {
    /// A pair where Björn's data (consent to everything) has reached the hub once, and Åsa (no consent)
    /// has an absence record and a health note at the school.
    struct Setup {
        let pair: PrivacyPair
        let bjorn: PrivacyPupil
        let bjornCase: RecordID
        let asa: PrivacyPupil

        init(policy: Policy = .default) throws {
            pair = try PrivacyPair.inMemory(policy: policy)
            bjorn = try PrivacyPupil.write(on: pair.school, ["given_name": .string("Björn")])
            try bjorn.grant(PrivacyNodes.allScopes, on: pair.school)
            bjornCase = try bjorn.add("case", on: pair.school, ["plan": .string("Första planen")])
            asa = try PrivacyPupil.write(on: pair.school, ["given_name": .string("Åsa")])
            try asa.add("absence", on: pair.school, ["unexcused_minutes": .integer(600)])
            try asa.add("health_note", on: pair.school, ["text": .string("Elevhälsans anteckning")])
            try pair.syncToHub()
            try pair.school.set(entity: "case", record: bjornCase, values: ["plan": .string("Andra planen")])
        }

        /// The school's next set for the hub, as the sender's filter makes it.
        func nextSet() throws -> ChangeSet {
            let since = try pair.hub.cursor(for: PrivacyNodes.schoolNode)
            return try pair.school.exportChanges(forSide: .social, peer: PrivacyNodes.hubPeer, since: since).changeSet
        }

        /// `set` with other changes (what a broken or hostile sender could put together).
        func handMade(_ set: ChangeSet, changes: [FieldChange], policyHash: String? = Policy.default.hash) -> ChangeSet
        {
            ChangeSet(
                origin: set.originNode!,
                side: set.side,
                since: set.since,
                upTo: set.upTo,
                changes: changes,
                policyHash: policyHash
            )
        }

        /// Expects `apply` to refuse `set` with `code`, change nothing and audit the refusal.
        func expectRefused(
            _ set: ChangeSet,
            from peer: PeerIdentity?,
            _ code: ChangeSetError.Code,
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            let hub = pair.hub
            let dump = try hub.dumpText()
            let cursor = try hub.cursor(for: PrivacyNodes.schoolNode)
            let audited = try hub.auditEntries().count
            let homes = try Self.recordHomes(hub)
            let error = #expect(throws: ChangeSetError.self, sourceLocation: sourceLocation) {
                try hub.apply(set, from: peer)
            }
            #expect(error?.code == code, "\(String(describing: error))", sourceLocation: sourceLocation)
            #expect(try hub.dumpText() == dump, "a refused set changed the hub", sourceLocation: sourceLocation)
            #expect(try hub.cursor(for: PrivacyNodes.schoolNode) == cursor, sourceLocation: sourceLocation)
            // The school check records the homes of new records as it goes: a refusal takes them back.
            #expect(
                try Self.recordHomes(hub) == homes,
                "a refused set left record homes",
                sourceLocation: sourceLocation
            )
            let entries = try hub.auditEntries()
            #expect(entries.count == audited + 1, sourceLocation: sourceLocation)
            #expect(entries.last?.entry.kind == .refused, sourceLocation: sourceLocation)
            #expect(entries.last?.entry.detail.hasPrefix("\(code)") == true, sourceLocation: sourceLocation)
            #expect(try hub.verifyAudit().problems.isEmpty, sourceLocation: sourceLocation)
        }

        /// The hub's record homes (`sst_record_home`), which the dump leaves out.
        static func recordHomes(_ store: Store) throws -> [[String?]] {
            try store.writer.read { db in
                try Row.fetchAll(db, sql: "SELECT entity, record_id, school FROM sst_record_home ORDER BY 1, 2")
                    .map { row in [row[0], row[1], row[2]] }
            }
        }
    }

    @Test func aSetWithoutThePolicyHashIsRefusedAsPolicyMismatch() throws {
        let setup = try Setup()
        let set = try setup.nextSet()
        try setup.expectRefused(
            setup.handMade(set, changes: set.changes, policyHash: nil),
            from: PrivacyNodes.schoolPeer,
            .policyMismatch
        )
    }

    @Test func aSetFromASchoolWithAnotherPolicyIsRefusedAsPolicyMismatch() throws {
        let setup = try Setup()
        let other = try PrivacyNodes.policy(
            replacing: "SST default policy (DESIGN §5)",
            with: "Nackas policy (samma regler, annat namn)"
        )
        #expect(other.hash != Policy.default.hash)
        let clock = TestPhysicalClock(PrivacyNodes.start)
        let school = try Store.inMemory(identity: PrivacyNodes.schoolIdentity, policy: other, physicalClock: clock)
        let pupil = try PrivacyPupil.write(on: school, ["given_name": .string("Örjan")])
        try pupil.grant(["identity"], on: school)
        let set = try school.exportChanges(forSide: .social, peer: PrivacyNodes.hubPeer, since: 0).changeSet
        #expect(set.policyHash == other.hash)
        #expect(!set.changes.isEmpty)
        try setup.expectRefused(set, from: PrivacyNodes.schoolPeer, .policyMismatch)
    }

    @Test func aSchoolWritingASocialServicesFieldIsRefusedAsNotOwner() throws {
        let setup = try Setup()
        let report = try setup.asa.add("concern_report", on: setup.pair.school, ["concern": .string("Oro")])
        let set = try setup.nextSet()
        let stamp = try #require(set.changes.last?.stamp)
        let receivedAt = FieldChange(
            entity: "concern_report",
            record: report,
            field: "received_at",
            state: FieldState(value: .string("2027-01-15T08:00:00Z"), stamp: stamp)
        )
        try setup.expectRefused(
            setup.handMade(set, changes: set.changes + [receivedAt]),
            from: PrivacyNodes.schoolPeer,
            .notOwner
        )
    }

    /// A field without consent, or a never-field, slipped into an otherwise allowed set.
    @Test(arguments: ["absence", "health_note"])
    func aFieldThePolicyForbidsRefusesTheWholeSetAsPolicyViolation(_ entity: String) throws {
        let setup = try Setup()
        let allowed = try setup.nextSet()
        #expect(allowed.changes.contains { $0.entity == "case" && $0.field == "plan" })
        let everything = try setup.pair.school.exportChanges(since: 0)
        let forbidden = everything.changes.filter { $0.entity == entity }
        #expect(!forbidden.isEmpty)
        try setup.expectRefused(
            setup.handMade(allowed, changes: allowed.changes + forbidden),
            from: PrivacyNodes.schoolPeer,
            .policyViolation
        )
        // The same set without the forbidden field is applied.
        try setup.pair.hub.apply(allowed, from: PrivacyNodes.schoolPeer)
        let plan = try setup.pair.hub.record(entity: "case", record: setup.bjornCase)?["plan"]?.value
        #expect(plan == .string("Andra planen"))
    }

    @Test func aSchoolWritingAnotherSchoolsRecordIsRefusedAsNotAuthorized() throws {
        let setup = try Setup()
        // Skarpnäck's pupil and case reach the hub from Skarpnäck's own node.
        let clock = TestPhysicalClock(PrivacyNodes.start)
        let skarpnack = try Store.inMemory(
            identity: NodeIdentity(
                node: PrivacyNodes.otherSchoolNode,
                role: .school,
                school: PrivacyNodes.otherSchool,
                stadsdel: PrivacyNodes.stadsdel
            ),
            physicalClock: clock
        )
        let noor = try PrivacyPupil.write(
            on: skarpnack,
            ["given_name": .string("Noor"), "school": .string(PrivacyNodes.otherSchool)]
        )
        try noor.grant(PrivacyNodes.allScopes, on: skarpnack)
        let noorCase = try noor.add("case", on: skarpnack, ["plan": .string("Skarpnäcks plan")])
        let fromSkarpnack = try skarpnack.exportChanges(forSide: .social, peer: PrivacyNodes.hubPeer, since: 0)
        try setup.pair.hub.apply(fromSkarpnack.changeSet, from: PrivacyNodes.otherSchoolPeer)

        // Ekbacken's node now sends a change to Skarpnäck's case.
        let set = try setup.nextSet()
        let stamp = try #require(set.changes.last?.stamp)
        let intrusion = FieldChange(
            entity: "case",
            record: noorCase,
            field: "plan",
            state: FieldState(value: .string("Ekbackens plan"), stamp: stamp)
        )
        try setup.expectRefused(
            setup.handMade(set, changes: set.changes + [intrusion]),
            from: PrivacyNodes.schoolPeer,
            .notAuthorized
        )
    }

    @Test func aPupilRegisteredAtAnotherSchoolIsRefusedAsNotAuthorized() throws {
        let setup = try Setup()
        let ali = try PrivacyPupil.write(
            on: setup.pair.school,
            ["given_name": .string("Ali"), "school": .string(PrivacyNodes.otherSchool)]
        )
        try ali.grant(["identity"], on: setup.pair.school)
        let set = try setup.nextSet()
        #expect(set.changes.contains { $0.record == ali.id && $0.field == "school" })
        try setup.expectRefused(set, from: PrivacyNodes.schoolPeer, .notAuthorized)
    }

    @Test func aSetWhoseOriginIsNotTheSenderIsRefusedAsNotAuthorized() throws {
        let setup = try Setup()
        let set = try setup.nextSet()
        let impostor = PeerIdentity(
            node: PrivacyNodes.otherSchoolNode,
            role: .school,
            school: PrivacyNodes.school,
            stadsdel: PrivacyNodes.stadsdel
        )
        try setup.expectRefused(set, from: impostor, .notAuthorized)
        // From its true sender the same set is applied.
        try setup.pair.hub.apply(set, from: PrivacyNodes.schoolPeer)
        #expect(try setup.pair.hub.cursor(for: PrivacyNodes.schoolNode) == set.upTo)
    }
}
