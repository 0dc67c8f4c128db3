import Foundation
import SSTCore
import SSTPrivacy
import Testing

/// A bad policy file is refused with a ``PolicyError`` whose message names what is wrong.
@Suite struct PolicyErrorTests {
    /// One broken policy: the default with one change, and what the message must say.
    struct BadPolicy: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let text: @Sendable () throws -> String
        let messageNames: [String]

        /// The default policy with the member at `path` set to `value` (removed when nil).
        init(_ description: String, _ path: [String], _ value: CanonicalJSON?, names: [String]) {
            self.testDescription = description
            self.text = { try PolicyLoadingTests.defaultDocument().replacing(path, with: value).rendered() }
            self.messageNames = names
        }

        init(_ description: String, text: String, names: [String]) {
            self.testDescription = description
            self.text = { text }
            self.messageNames = names
        }
    }

    private static func bases(_ items: String...) -> CanonicalJSON { .array(items.map(CanonicalJSON.string)) }

    static let badPolicies: [BadPolicy] = [
        BadPolicy("not JSON", text: #"{"format": "sst-policy", "#, names: ["not valid JSON"]),
        BadPolicy("not an object", text: #"["sst-policy", 1]"#, names: ["not a JSON object"]),
        BadPolicy("wrong format", ["format"], .string("sst-changes"), names: [#""format" must be "sst-policy""#]),
        BadPolicy("version 2", ["version"], .integer(2), names: [#""version" must be 1"#]),
        BadPolicy("missing name", ["name"], nil, names: [#""name""#]),
        BadPolicy("empty name", ["name"], .string(""), names: [#""name" must be a non-empty string"#]),
        BadPolicy("unknown top-level member", ["comment"], .string("x"), names: [#"unknown member "comment""#]),
        BadPolicy("settings not an object", ["settings"], .integer(12), names: [#""settings" must be an object"#]),
        BadPolicy(
            "unknown setting",
            ["settings", "retainDays"],
            .integer(30),
            names: [#"unknown setting "retainDays""#]
        ),
        BadPolicy(
            "validity of 0 months",
            ["settings", "consentValidityMonths"],
            .integer(0),
            names: [#""consentValidityMonths" must be an integer from 1 to 120"#]
        ),
        BadPolicy(
            "validity of 121 months",
            ["settings", "consentValidityMonths"],
            .integer(121),
            names: ["consentValidityMonths"]
        ),
        BadPolicy("child's view at 19", ["settings", "childViewFromAge"], .integer(19), names: ["childViewFromAge"]),
        BadPolicy(
            "pupil consent from -1",
            ["settings", "pupilConsentFromAge"],
            .integer(-1),
            names: ["pupilConsentFromAge"]
        ),
        BadPolicy(
            "purge not a boolean",
            ["settings", "purgeOnWithdrawal"],
            .string("yes"),
            names: [#""purgeOnWithdrawal" must be true or false"#]
        ),
        BadPolicy(
            "child's view after pupil consent",
            ["settings", "childViewFromAge"],
            .integer(16),
            names: [#""childViewFromAge" must not be above "pupilConsentFromAge""#]
        ),
        BadPolicy(
            "unknown scope in scopes",
            ["scopes"],
            bases("identity", "absence", "school_assessment", "sst_case", "social_support_flag", "health"),
            names: [#"unknown scope "health" in "scopes""#]
        ),
        BadPolicy("scopes not a list", ["scopes"], .string("identity"), names: [#""scopes" must be a list"#]),
        BadPolicy("entities not an object", ["entities"], .array([]), names: [#""entities" must be an object"#]),
        BadPolicy("unknown entity", ["entities", "teacher"], .object([:]), names: [#"unknown entity "teacher""#]),
        BadPolicy("missing entity", ["entities", "meeting"], nil, names: [#"entity "meeting" is missing"#]),
        BadPolicy(
            "unknown field",
            ["entities", "pupil", "shoe_size"],
            .object(["school_to_social": .string("never"), "social_to_school": .string("never")]),
            names: [#"unknown field "pupil.shoe_size""#]
        ),
        BadPolicy(
            "missing field",
            ["entities", "health_note", "text"],
            nil,
            names: [#"field "health_note.text" is missing"#]
        ),
        BadPolicy(
            "missing field added in schema version 2",
            ["entities", "consent", "pupil_view"],
            nil,
            names: ["consent.pupil_view"]
        ),
        BadPolicy(
            "unknown direction",
            ["entities", "health_note", "text", "school_to_hub"],
            .string("never"),
            names: [#"health_note.text: unknown direction "school_to_hub""#]
        ),
        BadPolicy(
            "missing direction",
            ["entities", "case", "plan", "social_to_school"],
            nil,
            names: ["case.plan.social_to_school is missing"]
        ),
        BadPolicy(
            "a basis that is not a basis",
            ["entities", "absence", "period_end", "school_to_social"],
            bases("consent:absence", "because"),
            names: [#"absence.period_end.school_to_social: "because" is not a basis"#]
        ),
        BadPolicy(
            "a number as a basis",
            ["entities", "absence", "period_end", "school_to_social"],
            .array([.integer(1)]),
            names: ["absence.period_end.school_to_social", "is not a basis"]
        ),
        BadPolicy(
            "a consent scope the policy does not list",
            ["scopes"],
            bases("identity", "absence", "school_assessment", "sst_case"),
            names: ["social_support.pupil_id.social_to_school", #"unknown scope "social_support_flag""#]
        ),
        BadPolicy(
            "a consent scope nobody knows",
            ["entities", "case", "plan", "school_to_social"],
            bases("consent:medical"),
            names: [#"case.plan.school_to_social: unknown scope "medical""#]
        ),
        BadPolicy(
            "an empty list",
            ["entities", "case", "plan", "school_to_social"],
            .array([]),
            names: [#"case.plan.school_to_social must be "never" or a non-empty list"#]
        ),
        BadPolicy(
            "always instead of a list",
            ["entities", "case", "plan", "school_to_social"],
            .string("always"),
            names: ["case.plan.school_to_social must be"]
        ),
    ]

    @Test(arguments: badPolicies)
    func aBadPolicyIsRefusedWithAMessageNamingTheProblem(bad: BadPolicy) throws {
        let text = try bad.text()
        let error = #expect(throws: PolicyError.self) { try PolicyLoader.load(Data(text.utf8)) }
        for name in bad.messageNames {
            #expect(error?.message.contains(name) == true, "\(error?.message ?? "no error") should name \(name)")
        }
        #expect(error?.description.contains(error?.message ?? "-") == true)
    }

    @Test func aNumberThatIsNotAnIntegerIsRefused() throws {
        let text = PolicyLoader.defaultPolicyText.replacingOccurrences(of: #""version": 1"#, with: #""version": 1.5"#)
        #expect(text != PolicyLoader.defaultPolicyText)
        let error = #expect(throws: PolicyError.self) { try PolicyLoader.load(Data(text.utf8)) }
        #expect(error?.message.contains("not an integer") == true)
    }

    @Test func aDuplicateMemberIsRefusedAndNamed() throws {
        // Two rules for one field: a reader of the file may see the second while a loader used the first
        // (Foundation keeps the first; Python's json keeps the last), so the file would mean different
        // things to different readers.
        let needle = #""text": {"school_to_social": "never", "social_to_school": "never"}"#
        #expect(PolicyLoader.defaultPolicyText.contains(needle))
        let duplicated = PolicyLoader.defaultPolicyText.replacingOccurrences(
            of: needle,
            with: needle + #", "text": {"school_to_social": ["consent:identity"], "social_to_school": "never"}"#
        )
        let error = #expect(throws: PolicyError.self) { try PolicyLoader.load(Data(duplicated.utf8)) }
        #expect(error?.message.contains("entities.health_note.text") == true, "\(String(describing: error))")
        #expect(error?.message.contains("twice") == true)
    }

    @Test func theDefaultEditedBackAndForthStillLoads() throws {
        // The mutation helper itself changes nothing when it puts a member back as it was.
        let document = try PolicyLoadingTests.defaultDocument()
        let rule = try #require(document.member(["entities", "health_note", "text"]))
        let roundTrip = document.replacing(["entities", "health_note", "text"], with: nil)
            .replacing(["entities", "health_note", "text"], with: rule)
        #expect(try PolicyLoader.load(Data(roundTrip.rendered().utf8)).hash == Policy.default.hash)
    }
}
