import Foundation
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import Testing

/// A school's certificate speaks for its own school only: random change sets pushed at the hub as school B
/// (any entity, field, record, reference and side) never change a record of school A, nor point a record at
/// one; at a school node, a set from another node of the school side never brings another school's records.
struct SchoolAuthorityPropertyTests {
    static let otherPeer = PrivacyNodes.otherSchoolPeer

    /// School A's records at the hub, and those the hub wrote about A's pupil.
    struct Victim {
        let keys: [(entity: String, record: RecordID)]
        var ids: Set<RecordID> { Set(keys.map(\.record)) }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func randomPushesFromSchoolBNeverTouchSchoolA(seed: UInt64) throws {
        let pair = try PrivacyPair.inMemory()
        let victim = try Self.schoolA(pair)
        let bagarmossen = try Store.inMemory(
            identity: NodeIdentity(
                node: PrivacyNodes.otherSchoolNode,
                role: .school,
                school: PrivacyNodes.otherSchool,
                stadsdel: PrivacyNodes.stadsdel
            ),
            physicalClock: pair.schoolClock
        )
        let own = try PrivacyPupil.write(on: bagarmossen, ["school": .string(PrivacyNodes.otherSchool)])
        try own.grant(PrivacyNodes.allScopes, on: bagarmossen)
        let ownCase = try own.add("case", on: bagarmossen, ["category": .string("absence")])
        try pair.hub.apply(
            try bagarmossen.exportChanges(forSide: .social, peer: PrivacyNodes.hubPeer, since: 0).changeSet,
            from: Self.otherPeer
        )
        let before = try victim.keys.map { try pair.hub.record(entity: $0.entity, record: $0.record) }
        #expect(before.allSatisfy { $0 != nil })
        var ownIDs: [String: [RecordID]] = ["pupil": [own.id], "guardian": own.guardians, "case": [ownCase]]
        for consent in try bagarmossen.consentSummaries(pupil: own.id) {
            ownIDs["consent", default: []].append(consent.id)
        }
        var random = SplitMix64(seed: seed)
        var written: Set<RecordID> = []
        var applied = 0
        for round in 0..<400 {
            let changes = (0..<(1 + Int(random.next() % 2))).map { index in
                Self.randomChange(&random, victim: victim, own: ownIDs, counter: UInt16(round * 4 + index))
            }
            let cursor = try pair.hub.cursor(for: PrivacyNodes.otherSchoolNode)
            let changeSet = ChangeSet(
                origin: PrivacyNodes.otherSchoolNode,
                side: random.next() % 5 == 0 ? .social : .school,
                since: cursor,
                upTo: cursor + 1,
                changes: changes,
                policyHash: pair.hub.policy.hash
            )
            do {
                try pair.hub.apply(changeSet, from: Self.otherPeer)
                applied += 1
                written.formUnion(changes.map(\.record))
            } catch is ChangeSetError {
                // Refused whole: the invariant below must hold all the same.
            }
            let now = try victim.keys.map { try pair.hub.record(entity: $0.entity, record: $0.record) }
            #expect(now == before, "round \(round) changed school A's records: \(changeSet.changes)")
            for record in written {
                for entity in Schema.sst.entities {
                    guard let fields = try pair.hub.record(entity: entity.name, record: record) else { continue }
                    let named = fields.flatMap { name, state in
                        entity.field(named: name)?.type.referencedEntity == nil ? [] : state.value.referencedRecords
                    }
                    #expect(victim.ids.isDisjoint(with: named), "\(entity.name) \(record) names school A's record")
                }
            }
            if now != before { break }
        }
        #expect(applied >= 12, "too few random pushes were allowed to say anything")
    }

    @Test func aSetFromAnotherSchoolsNodeIsRefusedAtASchoolNode() throws {
        let pair = try PrivacyPair.inMemory()
        let other = try Store.inMemory(
            identity: NodeIdentity(node: PrivacyNodes.otherSchoolNode, role: .school, school: PrivacyNodes.otherSchool),
            physicalClock: pair.schoolClock
        )
        _ = try PrivacyPupil.write(on: other, ["school": .string(PrivacyNodes.otherSchool)])
        let before = try pair.school.dumpText()
        #expect(throws: ChangeSetError.self) { try pair.school.apply(try other.exportChanges(since: 0)) }
        #expect(try pair.school.dumpText() == before)
        #expect(try pair.school.auditEntries().last?.entry.kind == .refused)
        // A node of the same school is heard: its guardian of this school's pupil applies.
        let pupil = try PrivacyPupil.write(on: pair.school, [:])
        let sibling = try pair.schoolSibling()
        _ = try sibling.set(
            entity: "guardian",
            record: RecordID.random(),
            values: ["pupil_id": .string(pupil.id.rawValue), "family_name": .string("Öberg")]
        )
        let report = try pair.school.apply(try sibling.exportChanges(since: 0))
        #expect(report.applied == 2)
    }

    /// School A's pupil with every consent, guardian, case, meeting and absence synced to the hub, plus a
    /// case and a support decision the hub wrote about the pupil.
    static func schoolA(_ pair: PrivacyPair) throws -> Victim {
        let pupil = try PrivacyPupil.write(on: pair.school, [:])
        let consent = try pupil.grant(PrivacyNodes.allScopes, on: pair.school)
        let sstCase = try pupil.add("case", on: pair.school, ["category": .string("absence")])
        let meeting = RecordID.random()
        try pair.school.set(
            entity: "meeting",
            record: meeting,
            values: ["case_id": .string(sstCase.rawValue), "notes": .string("Möte med vårdnadshavare.")]
        )
        let absence = try pupil.add("absence", on: pair.school, ["scheduled_minutes": .integer(600)])
        try pair.syncToHub()
        let hubCase = RecordID.random()
        try pair.hub.set(
            entity: "case",
            record: hubCase,
            values: ["pupil_id": .string(pupil.id.rawValue), "category": .string("behaviour")]
        )
        let support = try pupil.add("social_support", on: pair.hub, ["has_ongoing_support": .boolean(true)])
        return Victim(keys: [
            ("pupil", pupil.id), ("guardian", pupil.guardians[0]), ("consent", consent.id), ("case", sstCase),
            ("meeting", meeting), ("absence", absence), ("case", hubCase), ("social_support", support),
        ])
    }

    /// A change as school B might send it: any entity and field, a record of A's, of B's or new, a value of the
    /// field's type whose references name A's, B's or unknown records.
    static func randomChange(
        _ random: inout SplitMix64,
        victim: Victim,
        own: [String: [RecordID]],
        counter: UInt16
    ) -> FieldChange {
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        let entity = pick(Schema.sst.entities)
        let field = pick(entity.fields + [entity.field(named: Schema.deletedField)!])
        let victims = victim.keys.filter { $0.entity == entity.name }.map(\.record)
        // Half the time one of B's own records or references, so that many sets are allowed and the property
        // is checked after real applies too.
        let ownRecords = own[entity.name] ?? []
        let record: RecordID =
            switch random.next() % 4 {
            case 0 where !victims.isEmpty: pick(victims)
            case 1 where !ownRecords.isEmpty, 2 where !ownRecords.isEmpty: pick(ownRecords)
            default: RecordID.random()
            }
        func reference(_ target: String) -> String {
            let a = victim.keys.filter { $0.entity == target }.map(\.record)
            let b = own[target] ?? []
            switch random.next() % 4 {
            case 0 where !a.isEmpty: return pick(a).rawValue
            case 1 where !b.isEmpty, 2 where !b.isEmpty: return pick(b).rawValue
            default: return RecordID.random().rawValue
            }
        }
        let value: Value =
            switch field.type {
            case .string, .text: .string("Bagarmossen")
            case .integer(let minimum, _): .integer(minimum ?? 0)
            case .boolean: .boolean(true)
            case .date: .string("2027-01-20")
            case .instant: .string("2027-01-20T08:00:00Z")
            case .personnummer: .string("20130101-0003")
            case .reference(let target): .string(reference(target))
            case .referenceList(let target): .list([reference(target)])
            case .enumeration(let allowed): .string(allowed[0])
            case .enumerationList(let allowed): .list([allowed[0]])
            case .stringList: .list(["Bagarmossen"])
            case .phase: .phase(Phase(generation: 0, step: .opened))
            }
        return FieldChange(
            entity: entity.name,
            record: record,
            field: field.name,
            state: FieldState(
                value: value,
                stamp: Stamp(
                    timestamp: Timestamp(milliseconds: PrivacyNodes.start, counter: counter),
                    node: PrivacyNodes.otherSchoolNode
                )
            )
        )
    }
}
