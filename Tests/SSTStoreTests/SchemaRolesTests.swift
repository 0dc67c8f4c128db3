import Foundation
import GRDB
import SSTCore
import SSTPrivacy
import SSTServices
import Testing

@testable import SSTStore

/// The store's privacy rules find the fields and entities they read by their roles in the schema, never by
/// name. These tests pin the roles of the SST schema to the names the rules meant, and check that the pupil
/// the store's privacy contexts resolve for real records is the one ``Schema/pupilPath(of:)`` says: if a role
/// were dropped or moved, the rules would read another field, and these fail.
@Suite struct SchemaRolesTests {
    @Test func theSchemaDeclaresOnePupilCaseAndConsentEntity() {
        for role in [EntityRole.pupil, .case, .consent, .purgeReceipt] {
            #expect(Schema.sst.entities(withRole: role).count == 1, "\(role)")
        }
        #expect(Schema.sst.entity(withRole: .pupil).name == "pupil")
        #expect(Schema.sst.entity(withRole: .case).name == "case")
        #expect(Schema.sst.entity(withRole: .consent).name == "consent")
        #expect(Schema.sst.entities(withRole: .legalDuty).map(\.name) == ["concern_report"])
        #expect(Schema.sst.entities(withRole: .neverCrosses).map(\.name) == ["health_note", "social_investigation"])
        #expect(Schema.sst.caseEntities == ["intervention", "meeting"])
    }

    @Test func everyPupilPathIsTheOneTheRulesMeant() {
        let expected: [String: PupilPath] = [
            "pupil": .itself,
            "guardian": .reference(field: "pupil_id"),
            "consent": .reference(field: "pupil_id"),
            "absence": .reference(field: "pupil_id"),
            "school_assessment": .reference(field: "pupil_id"),
            "health_note": .reference(field: "pupil_id"),
            "case": .reference(field: "pupil_id"),
            "intervention": .throughCase(field: "case_id"),
            "meeting": .throughCase(field: "case_id"),
            "social_investigation": .reference(field: "pupil_id"),
            "social_support": .reference(field: "pupil_id"),
            "concern_report": .reference(field: "pupil_id"),
            "purge_receipt": .reference(field: "pupil_id"),
        ]
        #expect(Set(expected.keys) == Set(Schema.sst.entities.map(\.name)))
        for entity in Schema.sst.entities {
            #expect(Schema.sst.pupilPath(of: entity.name) == expected[entity.name], "\(entity.name)")
            #expect(SchemaRoles.sst.pupilPath(of: entity.name) == expected[entity.name], "\(entity.name)")
        }
        #expect(Schema.sst.pupilPath(of: "no_such_entity") == .none)
    }

    @Test func theStoreReadsTheFieldsTheRulesMeant() {
        let roles = SchemaRoles.sst
        #expect(roles.pupil == "pupil")
        #expect(roles.protectionFlag == "protected_identity")
        #expect(roles.school == "school")
        #expect(roles.stadsdel == "stadsdel")
        #expect(roles.sstCase == "case")
        #expect(roles.caseEntities == ["intervention", "meeting"])
        #expect(roles.consent == "consent")
        #expect(roles.consentPupil == "pupil_id")
        #expect(StorePrivacyContext.consentColumns == ["scopes", "status", "valid_from", "valid_until"])
        #expect(roles.legalDuty.map(\.entity) == ["concern_report"])
        #expect(roles.legalDuty.map(\.pupilField) == ["pupil_id"])
        #expect(roles.purgeReceipt == "purge_receipt")
        #expect(roles.purgeReceiptPupil == "pupil_id")
        #expect(roles.referenceFields == ["pupil_id", "case_id"])
        #expect(roles.linkField(of: "pupil") == nil)
        #expect(roles.linkField(of: "meeting") == "case_id")
        #expect(roles.linkField(of: "guardian") == "pupil_id")
    }

    /// What the receiver's filter reads, field by field: the references, the protection flag, a consent's
    /// scopes, status and validity, a report's tombstone, every purge marker; nothing else.
    @Test func theFilterInputsAreTheFieldsTheFilterReads() {
        var inputs: Set<String> = []
        for entity in Schema.sst.entities {
            for field in entity.fields.map(\.name) + [Schema.deletedField, Schema.purgedField]
            where ReceiverOverlay.isFilterInput(entity: entity.name, field: field) {
                inputs.insert("\(entity.name).\(field)")
            }
        }
        var expected: Set<String> = [
            "pupil.protected_identity", "consent.scopes", "consent.status", "consent.valid_from",
            "consent.valid_until", "concern_report._deleted", "intervention.case_id", "meeting.case_id",
        ]
        for entity in Schema.sst.entities {
            expected.insert("\(entity.name).\(Schema.purgedField)")
            if entity.field(named: "pupil_id") != nil { expected.insert("\(entity.name).pupil_id") }
        }
        #expect(inputs == expected)
    }

    /// Real records of a school node and its hub: the pupil each resolves to in the store's context (and in
    /// the receiver's overlay context over an empty set) is the one its pupil path gives, followed by hand
    /// through the values written.
    @Test func theStoreResolvesEveryRecordAsItsPupilPathSays() throws {
        let pair = try PrivacyPair.inMemory()
        let pupil = try PrivacyPupil.write(on: pair.school, ["family_name": .string("Lindqvist")])
        let other = try PrivacyPupil.write(on: pair.school, ["family_name": .string("Nyström")])
        let consent = try pupil.grant(["identity", "sst_case"], on: pair.school).id
        let caseID = try pupil.add("case", on: pair.school, ["category": .string("absence")])
        var written: [(entity: String, record: RecordID, values: [String: Value])] = [
            ("pupil", pupil.id, [:]),
            ("pupil", other.id, [:]),
            ("guardian", pupil.guardians[0], ["pupil_id": .string(pupil.id.rawValue)]),
            ("guardian", other.guardians[0], ["pupil_id": .string(other.id.rawValue)]),
            ("consent", consent, ["pupil_id": .string(pupil.id.rawValue)]),
            ("case", caseID, ["pupil_id": .string(pupil.id.rawValue)]),
        ]
        func add(_ entity: String, _ values: [String: Value]) throws {
            let id = RecordID.random()
            try pair.school.set(entity: entity, record: id, values: values)
            written.append((entity, id, values))
        }
        try add("intervention", ["case_id": .string(caseID.rawValue), "kind": .string("study_support")])
        try add("meeting", ["case_id": .string(caseID.rawValue), "notes": .string("Uppföljning")])
        try add("concern_report", ["pupil_id": .string(other.id.rawValue), "concern": .string("Hög frånvaro")])
        try add("absence", ["pupil_id": .string(other.id.rawValue), "scheduled_minutes": .integer(600)])
        try add("school_assessment", ["pupil_id": .string(pupil.id.rawValue), "causes": .list(["trötthet"])])
        try add("health_note", ["pupil_id": .string(pupil.id.rawValue), "text": .string("Samtal")])
        let records = written

        /// The pupil a record concerns, followed through the values written by its pupil path.
        func expectedPupil(_ entity: String, _ record: RecordID) -> RecordID? {
            switch Schema.sst.pupilPath(of: entity) {
            case .itself:
                return record
            case .reference(let field):
                let values = records.first { $0.entity == entity && $0.record == record }?.values
                guard case .string(let text)? = values?[field] else { return nil }
                return RecordID(text)
            case .throughCase(let field):
                let values = records.first { $0.entity == entity && $0.record == record }?.values
                guard case .string(let text)? = values?[field], let caseRecord = RecordID(text) else { return nil }
                return expectedPupil(Schema.sst.entity(withRole: .case).name, caseRecord)
            case .none:
                return nil
            }
        }

        try pair.school.writer.read { db in
            let today = CivilDate(millisecondsSinceEpoch: PrivacyNodes.start)
            let context = StorePrivacyContext(db: db, today: today)
            let overlay = StorePrivacyContext(db: db, today: today, overlay: ReceiverOverlay([]))
            for record in records {
                let expected = try #require(expectedPupil(record.entity, record.record), "\(record.entity)")
                #expect(try context.pupil(entity: record.entity, record: record.record) == expected, "\(record.entity)")
                #expect(try overlay.pupil(entity: record.entity, record: record.record) == expected, "\(record.entity)")
            }
            // The pupil's records as the context lists them: every record resolving to the pupil, and no other.
            for subject in [pupil.id, other.id] {
                let listed = try context.records(of: [subject], schema: .sst)
                let resolving = records.filter { expectedPupil($0.entity, $0.record) == subject }
                #expect(
                    Set(listed.map { "\($0.entity) \($0.record)" })
                        == Set(resolving.map { "\($0.entity) \($0.record)" }),
                    "records of \(subject)"
                )
            }
            // The legal-duty entity gives its pupil the basis, the consent entity its consents.
            #expect(try context.hasConcernReport(pupil: other.id))
            #expect(try !context.hasConcernReport(pupil: pupil.id))
            #expect(try overlay.hasConcernReport(pupil: other.id))
            #expect(try context.concernReport(pupil: other.id)?.entity == "concern_report")
            #expect(try context.consents(pupil: pupil.id).map(\.id) == [consent])
            #expect(try overlay.consents(pupil: pupil.id).map(\.id) == [consent])
            #expect(try context.consents(pupil: pupil.id).first?.scopes == ["identity", "sst_case"])
            #expect(try context.consents(pupil: other.id).isEmpty)
        }

        // The protection flag is the one both contexts read.
        func protection() throws -> [Bool] {
            try pair.school.writer.read { db in
                let today = CivilDate(millisecondsSinceEpoch: 0)
                let overlay = StorePrivacyContext(db: db, today: today, overlay: ReceiverOverlay([]))
                return [
                    try StorePrivacyContext(db: db, today: today).hasProtectedIdentity(pupil: pupil.id),
                    try overlay.hasProtectedIdentity(pupil: pupil.id),
                    try StorePrivacyContext(db: db, today: today).hasProtectedIdentity(pupil: other.id),
                ]
            }
        }
        #expect(try protection() == [false, false, false])
        try pair.school.set(entity: "pupil", record: pupil.id, values: ["protected_identity": .boolean(true)])
        #expect(try protection() == [true, true, false])
    }
}
