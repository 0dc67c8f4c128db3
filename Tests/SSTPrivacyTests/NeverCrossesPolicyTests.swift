import Foundation
import SSTCore
import SSTPrivacy
import Testing

/// A policy that lets a field of an entity that never crosses (``EntityRole/neverCrosses``: health notes,
/// child-welfare investigations) cross is refused when it is loaded, in either direction and on any basis.
@Suite struct NeverCrossesPolicyTests {
    /// The default policy with `entity.field` given `bases` in `direction`.
    private static func policy(
        _ entity: String,
        _ field: String,
        _ direction: String,
        _ bases: [String]
    ) throws -> Data {
        let document = try PolicyLoadingTests.defaultDocument()
            .replacing(["entities", entity, field, direction], with: .array(bases.map(CanonicalJSON.string)))
        return Data(document.rendered().utf8)
    }

    private static func refusal(_ data: Data) -> PolicyError? {
        do {
            _ = try PolicyLoader.load(data)
            return nil
        } catch {
            return error
        }
    }

    @Test func theDefaultPolicyStillLoads() throws {
        let policy = try PolicyLoader.load(Data(PolicyLoader.defaultPolicyText.utf8))
        #expect(policy == Policy.default)
        for entity in Schema.sst.entities(withRole: .neverCrosses) {
            for field in entity.fields {
                let rule = try #require(policy.rule(entity: entity.name, field: field.name))
                #expect(rule.toSocial.isEmpty && rule.toSchool.isEmpty, "\(entity.name).\(field.name)")
            }
        }
    }

    @Test func theSchemaMarksHealthNotesAndInvestigationsAsNeverCrossing() {
        #expect(Schema.sst.entities(withRole: .neverCrosses).map(\.name) == ["health_note", "social_investigation"])
    }

    @Test func aHealthNoteWhoseTextCrossesToSocialServicesIsRefused() throws {
        let error = try #require(
            Self.refusal(try Self.policy("health_note", "text", "school_to_social", ["consent:school_assessment"]))
        )
        #expect(error.message.contains("health_note.text.school_to_social"))
        #expect(error.message.contains("consent:school_assessment"))
        #expect(error.message.contains(#"no field of "health_note" may ever cross"#))
        #expect(error.message.contains(#"give "never" in both directions"#))
        #expect(error.description.contains("Correct the policy file"))
    }

    @Test func aHealthNoteWhoseTextCrossesToTheSchoolIsRefused() throws {
        let error = try #require(
            Self.refusal(try Self.policy("health_note", "text", "social_to_school", ["legal_duty"]))
        )
        #expect(error.message.contains("health_note.text.social_to_school"))
        #expect(error.message.contains("legal_duty"))
    }

    @Test func anInvestigationWhosePupilCrossesByBookkeepingIsRefused() throws {
        let error = try #require(
            Self.refusal(
                try Self.policy("social_investigation", "pupil_id", "social_to_school", ["administrative"])
            )
        )
        #expect(error.message.contains("social_investigation.pupil_id.social_to_school"))
        #expect(error.message.contains(#"no field of "social_investigation" may ever cross"#))
    }

    @Test func anotherEntityMayStillLetAFieldCross() throws {
        // The school assessment's summary crosses on consent in the default; letting it cross back is a
        // policy choice, not refused by this rule.
        let data = try Self.policy("school_assessment", "summary", "social_to_school", ["consent:school_assessment"])
        let policy = try PolicyLoader.load(data)
        #expect(
            policy.rule(entity: "school_assessment", field: "summary")?.toSchool == [
                .consent(scope: "school_assessment")
            ]
        )
    }
}
