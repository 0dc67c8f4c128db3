import SSTCore
import SSTPrivacy
import Testing

/// The whole default policy against ``DesignRule``, DESIGN §5 written out by hand: every field of every
/// entity, both directions, under every combination of one consent scope, a report of concern and
/// protected identity. The system fields follow their record.
@Suite struct FilterModelTests {
    struct Scenario: Sendable, CustomTestStringConvertible {
        let scopes: Set<String>
        let concernReport: Bool
        let protectedIdentity: Bool

        var testDescription: String {
            "scopes \(scopes.sorted()) concern \(concernReport) protected \(protectedIdentity)"
        }

        var context: DictionaryContext {
            World.context(scopes: scopes, concernReport: concernReport, protectedIdentity: protectedIdentity)
        }

        func expected(_ entity: String, _ field: String, _ direction: Direction) -> Bool {
            DesignRule.of(entity, field, direction).holds(
                entity: entity,
                field: field,
                scopes: scopes,
                concernReport: concernReport,
                protectedIdentity: protectedIdentity
            )
        }
    }

    static let scenarios: [Scenario] = {
        let scopeSets: [Set<String>] = [[]] + Schema.consentScopes.map { [$0] } + [World.everyScope]
        return scopeSets.flatMap { scopes in
            [false, true].flatMap { concern in
                [false, true].map { Scenario(scopes: scopes, concernReport: concern, protectedIdentity: $0) }
            }
        }
    }()

    @Test(arguments: scenarios, [Direction.toSocial, .toSchool])
    func everyFieldCrossesExactlyAsDesignSection5Says(scenario: Scenario, direction: Direction) throws {
        let context = scenario.context
        for (entity, field) in World.allFields {
            let decision = try World.decide(entity, field, direction, context)
            let expected = scenario.expected(entity, field, direction)
            #expect(decision.isAllowed == expected, "\(entity).\(field) \(direction.rawValue)")
            if !expected {
                #expect(decision.reason?.isEmpty == false, "\(entity).\(field) has no reason")
            }
        }
    }

    @Test(arguments: scenarios, [Schema.deletedField, Schema.purgedField])
    func systemFieldsCrossIffSomeFieldOfTheRecordWould(scenario: Scenario, systemField: String) throws {
        let context = scenario.context
        for entity in Schema.sst.entities {
            for direction in [Direction.toSocial, .toSchool] {
                let expected = entity.fields.contains { scenario.expected(entity.name, $0.name, direction) }
                let decision = try World.decide(entity.name, systemField, direction, context)
                #expect(decision.isAllowed == expected, "\(entity.name).\(systemField) \(direction.rawValue)")
                if !expected {
                    #expect(decision.reason?.contains("no field of this \(entity.name) may cross") == true)
                }
            }
        }
    }

    @Test func aTombstoneCrossesOnTheBasisOfTheFieldsThatWould() throws {
        let context = World.context(scopes: ["identity"])
        let guardian = try World.decide("guardian", Schema.deletedField, .toSocial, context)
        #expect(guardian.allows(pupil: World.pupil, basis: .consent(scope: "identity"), consent: World.consentID(1)))
        let health = try World.decide(
            "health_note",
            Schema.purgedField,
            .toSocial,
            World.context(scopes: World.everyScope)
        )
        #expect(!health.isAllowed)
    }

    @Test func theModelCoversEveryRuleOfThePolicyFile() throws {
        // The hand-written model and the policy agree on which fields can ever cross each way.
        for (entity, field) in World.allFields {
            let rule = try #require(Policy.default.rule(entity: entity, field: field), "\(entity).\(field)")
            for direction in [Direction.toSocial, .toSchool] {
                let design = DesignRule.of(entity, field, direction)
                #expect(rule.bases(direction).isEmpty == (design == .never), "\(entity).\(field) \(direction)")
            }
        }
    }
}
