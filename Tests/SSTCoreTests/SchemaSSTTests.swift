import Testing

@testable import SSTCore

/// The SST schema is the contract of DESIGN §4: entity and field names, owners, merge kinds, privacy.
@Suite struct SchemaSSTTests {
    private static let design: [(entity: String, owner: Owner, fields: [String])] = [
        (
            "pupil", .school,
            [
                "personnummer", "given_name", "family_name", "grade", "class_name", "school", "stadsdel",
                "protected_identity",
            ]
        ),
        ("guardian", .school, ["pupil_id", "given_name", "family_name", "phone", "email", "has_custody"]),
        (
            "consent", .school,
            [
                "pupil_id", "scopes", "purpose", "given_by", "method", "valid_from", "valid_until", "status",
                "recorded_by", "document_ref", "refused_by", "pupil_view", "pupil_consent",
            ]
        ),
        (
            "absence", .school,
            ["pupil_id", "period_start", "period_end", "scheduled_minutes", "excused_minutes", "unexcused_minutes"]
        ),
        ("school_assessment", .school, ["pupil_id", "causes", "summary"]),
        ("health_note", .school, ["pupil_id", "text"]),
        ("case", .shared, ["pupil_id", "category", "phase", "concern", "plan", "opened_at", "closed_at"]),
        ("intervention", .shared, ["case_id", "kind", "description", "starts", "ends", "responsible"]),
        ("meeting", .shared, ["case_id", "held_at", "participants", "notes"]),
        ("social_investigation", .social, ["pupil_id", "notes"]),
        ("social_support", .social, ["pupil_id", "has_ongoing_support", "decision_notes"]),
        (
            "concern_report", .school,
            ["pupil_id", "concern", "reported_by", "reported_at", "received_at", "investigation_opened"]
        ),
        // Schema version 2: the purge acknowledgement of issue 3 (DESIGN §5, "the purge is itself audited").
        ("purge_receipt", .shared, ["consent_id", "pupil_id", "purged_at", "fields", "reason"]),
    ]

    private static let textFields: Set<String> = [
        "plan", "notes", "concern", "summary", "text", "description", "decision_notes", "pupil_view",
    ]

    @Test func fieldsAddedAfterTheFirstVersionSayWhen() throws {
        for name in ["refused_by", "pupil_view", "pupil_consent"] {
            #expect(try Self.field("consent", name).addedIn == 2)
        }
        #expect(Schema.sst.entity(named: "purge_receipt")?.addedIn == 2)
        #expect(Schema.sst.version == 2)
    }

    private static func field(_ entity: String, _ name: String) throws -> FieldSchema {
        try #require(Schema.sst.entity(named: entity)?.field(named: name), "\(entity).\(name)")
    }

    @Test func entitiesAreExactlyThoseOfTheDesign() {
        #expect(Schema.sst.entities.map(\.name) == Self.design.map(\.entity))
    }

    @Test(arguments: design.map(\.entity))
    func fieldNamesAreExactlyThoseOfTheDesign(entity: String) throws {
        let schema = try #require(Schema.sst.entity(named: entity))
        let expected = try #require(Self.design.first { $0.entity == entity }?.fields)
        #expect(schema.fields.map(\.name).sorted() == expected.sorted())
        #expect(schema.fields.allSatisfy { !$0.isSystem })
    }

    @Test(arguments: design.map(\.entity))
    func entityOwnerIsThatOfTheDesign(entity: String) throws {
        let expected = try #require(Self.design.first { $0.entity == entity }?.owner)
        #expect(Schema.sst.entity(named: entity)?.owner == expected)
    }

    @Test func fieldsAreOwnedByTheirEntityExceptTheReceiptOfAConcernReport() throws {
        let socialFields = ["concern_report.received_at", "concern_report.investigation_opened"]
        for entity in Schema.sst.entities {
            for field in entity.fields {
                let name = "\(entity.name).\(field.name)"
                #expect(field.owner == (socialFields.contains(name) ? .social : entity.owner), "\(name)")
            }
        }
        #expect(try Self.field("concern_report", "concern").owner == .school)
    }

    @Test func textFieldsMergeAsTextAndNothingElseDoes() {
        for entity in Schema.sst.entities {
            for field in entity.fields {
                let name = "\(entity.name).\(field.name)"
                let isText = Self.textFields.contains(field.name)
                #expect((field.merge == .text) == isText, "\(name) merges as \(field.merge)")
                #expect((field.type == .text) == isText, "\(name) has type \(field.type)")
            }
        }
    }

    @Test func specialMergeKindsAreCasePhaseAndConsentStatusOnly() throws {
        #expect(try Self.field("case", "phase").merge == .phase)
        #expect(try Self.field("case", "phase").type == .phase)
        #expect(try Self.field("consent", "status").merge == .withdrawWins)
        #expect(
            try Self.field("consent", "status").type == .enumeration(["pending", "active", "refused", "withdrawn"])
        )
        for entity in Schema.sst.entities {
            for field in entity.fields where !Self.textFields.contains(field.name) {
                let name = "\(entity.name).\(field.name)"
                let special = name == "case.phase" || name == "consent.status"
                #expect((field.merge != .lww) == special, "\(name) merges as \(field.merge)")
            }
        }
    }

    @Test(arguments: design.map(\.entity))
    func everyEntityHasTombstoneAndPurgeMarker(entity: String) throws {
        let deleted = try Self.field(entity, "_deleted")
        let purged = try Self.field(entity, "_purged")
        #expect(Schema.deletedField == "_deleted" && Schema.purgedField == "_purged")
        #expect(deleted.merge == .lww && deleted.type == .boolean && deleted.isSystem)
        #expect(purged.merge == .purge && purged.type == .boolean && purged.isSystem)
        #expect(deleted.privacy == .record && purged.privacy == .record)
        #expect(deleted.owner == Schema.sst.entity(named: entity)?.owner)
    }

    @Test func elevhalsaAndSocialInvestigationNotesHaveTheirNeverCrossingClasses() throws {
        #expect(try Self.field("health_note", "text").privacy == .health)
        #expect(try Self.field("health_note", "pupil_id").privacy == .health)
        #expect(try Self.field("social_investigation", "notes").privacy == .socialInvestigation)
        #expect(try Self.field("social_investigation", "pupil_id").privacy == .socialInvestigation)
        #expect(try Self.field("social_support", "decision_notes").privacy == .socialDecision)
        #expect(try Self.field("social_support", "has_ongoing_support").privacy == .socialSupportFlag)
        for entity in Schema.sst.entities where !["health_note", "social_investigation"].contains(entity.name) {
            for field in entity.fields {
                #expect(![.health, .socialInvestigation].contains(field.privacy), "\(entity.name).\(field.name)")
            }
        }
    }

    @Test func concernReportReceiptHasItsOwnClass() throws {
        #expect(try Self.field("concern_report", "concern").privacy == .concernReport)
        #expect(try Self.field("concern_report", "received_at").privacy == .concernReceipt)
        #expect(try Self.field("concern_report", "investigation_opened").privacy == .concernReceipt)
    }

    @Test func enumerationsMatchTheDesign() throws {
        #expect(
            try Self.field("intervention", "kind").type
                == .enumeration([
                    "motivational_talks", "parenting_support", "school_adaptations", "relationship_activities",
                    "study_support", "other",
                ])
        )
        #expect(try Self.field("case", "category").type == .enumeration(["absence", "behaviour"]))
        #expect(try Self.field("consent", "method").type == .enumeration(["written", "oral"]))
        #expect(try Self.field("pupil", "personnummer").type == .personnummer)
    }

    @Test func unknownNamesAreNotFound() {
        #expect(Schema.sst.entity(named: "elev") == nil)
        #expect(Schema.sst.entity(named: "Pupil") == nil)
        #expect(Schema.sst.entity(named: "pupil")?.field(named: "_id") == nil)
    }
}
