import Foundation
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import Testing

/// Every reference field of the schema, pointed at a record of the writer's own school, of another school, or at
/// no record, through the two other ways in than a push: a change-set file a hub imports with `--school` (as
/// `sst changes import` builds its peer), and a staff member's write at a school node.
struct SchoolAuthorityMatrixTests {
    enum Target: CaseIterable { case own, otherSchool, missing }

    /// The reference fields of the schema, with the entity each names.
    static let referenceFields: [(entity: EntitySchema, field: FieldSchema, target: String)] =
        Schema.sst.entities.flatMap { entity in
            entity.fields.compactMap { field in field.type.referencedEntity.map { (entity, field, $0) } }
        }

    @Test func aFileImportedWithSchoolIsCheckedAsAPushFromThatSchool() throws {
        let pair = try PrivacyPair.inMemory()
        let other = try Self.sharedRecords(on: pair.school, school: PrivacyNodes.school)
        try pair.syncToHub()
        let bagarmossen = try Store.inMemory(
            identity: NodeIdentity(
                node: PrivacyNodes.otherSchoolNode,
                role: .school,
                school: PrivacyNodes.otherSchool,
                stadsdel: PrivacyNodes.stadsdel
            ),
            physicalClock: pair.schoolClock
        )
        let own = try Self.sharedRecords(on: bagarmossen, school: PrivacyNodes.otherSchool)
        // The hub's administrator imports the school's file, naming the school (`--school`): the same peer the
        // command builds, whatever side the file names.
        let fromFile = PeerIdentity(node: PrivacyNodes.otherSchoolNode, role: .school, school: PrivacyNodes.otherSchool)
        try pair.hub.apply(
            try bagarmossen.exportChanges(forSide: .social, peer: PrivacyNodes.hubPeer, since: 0).changeSet,
            from: fromFile
        )
        var counter: UInt16 = 0
        for (entity, field, targetEntity) in Self.referenceFields {
            for target in Target.allCases {
                for side in [Side.school, .social] {
                    let named =
                        switch target {
                        case .own: own[targetEntity]!
                        case .otherSchool: other[targetEntity]!
                        case .missing: RecordID.random()
                        }
                    counter += 1
                    let cursor = try pair.hub.cursor(for: PrivacyNodes.otherSchoolNode)
                    let changeSet = ChangeSet(
                        origin: PrivacyNodes.otherSchoolNode,
                        side: side,
                        since: cursor,
                        upTo: cursor + 1,
                        changes: [
                            FieldChange(
                                entity: entity.name,
                                record: RecordID.random(),
                                field: field.name,
                                state: FieldState(
                                    value: Self.value(named, for: field),
                                    stamp: Stamp(
                                        timestamp: Timestamp(milliseconds: PrivacyNodes.start, counter: counter),
                                        node: PrivacyNodes.otherSchoolNode
                                    )
                                )
                            )
                        ],
                        policyHash: pair.hub.policy.hash
                    )
                    let label = "\(entity.name).\(field.name) → \(target), side \(side)"
                    let before = try pair.hub.dumpText()
                    do {
                        try pair.hub.apply(changeSet, from: fromFile)
                        #expect(side == .school && target != .otherSchool && entity.owner != .social, "\(label)")
                    } catch let error as ChangeSetError {
                        #expect(try pair.hub.dumpText() == before, "\(label)")
                        switch (side, entity.owner, target) {
                        case (.social, _, _): #expect(error.code == .notAuthorized, "\(label): \(error)")
                        case (_, .social, _): #expect(error.code == .notOwner, "\(label): \(error)")
                        case (_, _, .otherSchool): #expect(error.code == .notAuthorized, "\(label): \(error)")
                        default: #expect(error.code != .notAuthorized, "\(label): \(error)")
                        }
                        #expect(try pair.hub.auditEntries().last?.entry.kind == .refused, "\(label)")
                    }
                }
            }
        }
    }

    @Test func aStaffWriteAtASchoolNodeNamesOnlyRecordsOfItsSchoolThatItHolds() throws {
        let pair = try PrivacyPair.inMemory()
        let own = try Self.sharedRecords(on: pair.school, school: PrivacyNodes.school)
        // A pupil of another school at this node (brought by an earlier version, or typed in wrongly).
        let other = try Self.sharedRecords(on: pair.school, school: PrivacyNodes.otherSchool)
        let token = try pair.school.addStaff(name: "Kurator Lena Sjögren", healthRecords: true)
        for (entity, field, targetEntity) in Self.referenceFields {
            for target in Target.allCases {
                let named =
                    switch target {
                    case .own: own[targetEntity]!
                    case .otherSchool: other[targetEntity]!
                    case .missing: RecordID.random()
                    }
                let label = "\(entity.name).\(field.name) → \(target)"
                let before = try pair.school.dumpText()
                do {
                    try pair.school.writeRecord(
                        entity: entity.name,
                        record: RecordID.random(),
                        values: [field.name: Self.value(named, for: field)],
                        presenting: token
                    )
                    #expect(target == .own && entity.owner != .social && entity.name != "consent", "\(label)")
                } catch let error as StoreError {
                    #expect(try pair.school.dumpText() == before, "\(label)")
                    switch (entity.name, entity.owner, target) {
                    case ("consent", _, _), (_, .social, _):
                        #expect(error.code == .notOwner, "\(label): \(error)")
                    case (_, _, .otherSchool):
                        #expect(error.code == .notPermitted, "\(label): \(error)")
                    case (_, _, .missing):
                        #expect(error.code == .invalidValue, "\(label): \(error)")
                    default:
                        Issue.record("\(label) refused: \(error)")
                    }
                }
            }
        }
    }

    /// A pupil of `school` with a guardian, a consent and a case, on `store`: the records a reference can name.
    static func sharedRecords(on store: Store, school: String) throws -> [String: RecordID] {
        let pupil = try PrivacyPupil.write(on: store, ["school": .string(school)])
        let consent = try pupil.grant(PrivacyNodes.allScopes, on: store)
        let sstCase = try pupil.add("case", on: store, ["category": .string("absence")])
        return ["pupil": pupil.id, "guardian": pupil.guardians[0], "consent": consent.id, "case": sstCase]
    }

    static func value(_ record: RecordID, for field: FieldSchema) -> Value {
        if case .referenceList = field.type { return .list([record.rawValue]) }
        return .string(record.rawValue)
    }
}
