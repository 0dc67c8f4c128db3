import Crypto
import Foundation
import SSTCore

/// Reads and validates a policy file against the schema: every field of every entity must be named, with
/// a rule per direction; unknown entities, fields, scopes and bases are errors. No field is shareable by
/// omission, and no field of an entity that never crosses (``EntityRole/neverCrosses``) is shareable at all.
public enum PolicyLoader {
    public static let formatName = "sst-policy"
    private static let topLevelKeys: Set = ["format", "version", "name", "settings", "scopes", "entities"]
    private static let settingKeys: Set = [
        "consentValidityMonths", "childViewFromAge", "pupilConsentFromAge", "purgeOnWithdrawal",
    ]

    public static func load(_ data: Data, schema: Schema = .sst) throws(PolicyError) -> Policy {
        let document: CanonicalJSON
        do {
            document = try JSONDecoder().decode(CanonicalJSON.self, from: data)
        } catch {
            throw PolicyError("the file is not valid JSON (or has a number that is not an integer)")
        }
        if let path = JSONDuplicateMembers.first(in: data) {
            throw PolicyError(
                "the member \"\(path.joined(separator: "."))\" is given twice; give each member once"
            )
        }
        guard let top = document.objectMembers else { throw PolicyError("the file is not a JSON object") }
        if let unknown = Set(top.keys).subtracting(topLevelKeys).sorted().first {
            throw PolicyError("unknown member \"\(unknown)\" at the top level")
        }
        guard top["format"] == .string(formatName) else {
            throw PolicyError("\"format\" must be \"\(formatName)\"")
        }
        guard case .integer(let version)? = top["version"], version == 1 else {
            throw PolicyError("\"version\" must be 1 (this build reads policy format version 1)")
        }
        guard case .string(let name)? = top["name"], !name.isEmpty else {
            throw PolicyError("\"name\" must be a non-empty string")
        }
        let settings = try parseSettings(top["settings"])
        let scopes = try parseScopes(top["scopes"])
        let rules = try parseEntities(top["entities"], schema: schema, scopes: scopes)
        let digest = SHA256.hash(data: Data(document.rendered().utf8))
        return Policy(
            name: name,
            version: Int(version),
            settings: settings,
            scopes: scopes,
            rules: rules,
            hash: digest.map { byte in String(byte, radix: 16).leftPadded(to: 2) }.joined()
        )
    }

    private static func parseSettings(_ json: CanonicalJSON?) throws(PolicyError) -> Policy.Settings {
        guard let members = json?.objectMembers else { throw PolicyError("\"settings\" must be an object") }
        if let unknown = Set(members.keys).subtracting(settingKeys).sorted().first {
            throw PolicyError("unknown setting \"\(unknown)\"")
        }
        func integer(_ key: String, _ range: ClosedRange<Int64>) throws(PolicyError) -> Int {
            guard case .integer(let value)? = members[key], range.contains(value) else {
                throw PolicyError(
                    "setting \"\(key)\" must be an integer from \(range.lowerBound) to \(range.upperBound)"
                )
            }
            return Int(value)
        }
        guard case .bool(let purge)? = members["purgeOnWithdrawal"] else {
            throw PolicyError("setting \"purgeOnWithdrawal\" must be true or false")
        }
        let settings = Policy.Settings(
            consentValidityMonths: try integer("consentValidityMonths", 1...120),
            childViewFromAge: try integer("childViewFromAge", 0...18),
            pupilConsentFromAge: try integer("pupilConsentFromAge", 0...18),
            purgeOnWithdrawal: purge
        )
        guard settings.childViewFromAge <= settings.pupilConsentFromAge else {
            throw PolicyError("\"childViewFromAge\" must not be above \"pupilConsentFromAge\"")
        }
        return settings
    }

    private static func parseScopes(_ json: CanonicalJSON?) throws(PolicyError) -> [String] {
        guard case .array(let items)? = json else { throw PolicyError("\"scopes\" must be a list of strings") }
        var scopes: [String] = []
        for item in items {
            guard case .string(let scope) = item, Schema.consentScopes.contains(scope) else {
                throw PolicyError(
                    "unknown scope \(item.rendered()) in \"scopes\"; the schema's consent scopes are "
                        + Schema.consentScopes.joined(separator: ", ")
                )
            }
            scopes.append(scope)
        }
        return scopes
    }

    private static func parseEntities(
        _ json: CanonicalJSON?,
        schema: Schema,
        scopes: [String]
    )
        throws(PolicyError) -> [String: [String: Policy.FieldRule]]
    {
        guard let entities = json?.objectMembers else { throw PolicyError("\"entities\" must be an object") }
        if let unknown = Set(entities.keys).subtracting(schema.entities.map(\.name)).sorted().first {
            throw PolicyError("unknown entity \"\(unknown)\" in \"entities\"")
        }
        var rules: [String: [String: Policy.FieldRule]] = [:]
        for entity in schema.entities {
            guard let fields = entities[entity.name]?.objectMembers else {
                throw PolicyError(
                    "the entity \"\(entity.name)\" is missing: every entity must have a rule for every field"
                )
            }
            if let unknown = Set(fields.keys).subtracting(entity.fields.map(\.name)).sorted().first {
                throw PolicyError("unknown field \"\(entity.name).\(unknown)\"")
            }
            var entityRules: [String: Policy.FieldRule] = [:]
            for field in entity.fields {
                guard let rule = fields[field.name]?.objectMembers else {
                    throw PolicyError(
                        "the field \"\(entity.name).\(field.name)\" is missing: no field may cross by omission; "
                            + "give it a rule (\"never\" if it must not cross)"
                    )
                }
                let label = "\(entity.name).\(field.name)"
                if let unknown = Set(rule.keys).subtracting(["school_to_social", "social_to_school"]).sorted().first {
                    throw PolicyError("\(label): unknown direction \"\(unknown)\"")
                }
                let fieldRule = Policy.FieldRule(
                    toSocial: try parseBases(
                        rule["school_to_social"],
                        label: "\(label).school_to_social",
                        scopes: scopes
                    ),
                    toSchool: try parseBases(
                        rule["social_to_school"],
                        label: "\(label).social_to_school",
                        scopes: scopes
                    )
                )
                if entity.role == .neverCrosses { try refuseCrossing(fieldRule, of: entity, label: label) }
                entityRules[field.name] = fieldRule
            }
            rules[entity.name] = entityRules
        }
        return rules
    }

    /// Refuses a rule that lets a field of an entity that never crosses (health notes, child-welfare
    /// investigations: ``EntityRole/neverCrosses`` in the schema) cross in either direction.
    private static func refuseCrossing(
        _ rule: Policy.FieldRule,
        of entity: EntitySchema,
        label: String
    ) throws(PolicyError) {
        for (direction, bases) in [("school_to_social", rule.toSocial), ("social_to_school", rule.toSchool)]
        where !bases.isEmpty {
            throw PolicyError(
                "\(label).\(direction) lets the field cross (\(bases.map(\.description).joined(separator: ", "))), "
                    + "but no field of \"\(entity.name)\" may ever cross the boundary, on any basis; "
                    + "give \"never\" in both directions for every field of \"\(entity.name)\""
            )
        }
    }

    private static func parseBases(
        _ json: CanonicalJSON?,
        label: String,
        scopes: [String]
    ) throws(PolicyError)
        -> [Basis]
    {
        switch json {
        case .string("never"):
            return []
        case .array(let items) where !items.isEmpty:
            var bases: [Basis] = []
            for item in items {
                guard case .string(let text) = item, let basis = Basis(text: text) else {
                    throw PolicyError(
                        "\(label): \(item.rendered()) is not a basis; use consent:<scope>, legal_duty or administrative"
                    )
                }
                if case .consent(let scope) = basis, !scopes.contains(scope) {
                    throw PolicyError(
                        "\(label): unknown scope \"\(scope)\"; the policy's scopes are \(scopes.joined(separator: ", "))"
                    )
                }
                bases.append(basis)
            }
            return bases
        case nil:
            throw PolicyError("\(label) is missing: give \"never\" or a list of bases")
        default:
            throw PolicyError("\(label) must be \"never\" or a non-empty list of bases")
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
