import Foundation
import SSTCore
import SSTPrivacy
import Testing

/// The default policy loads, matches the shipped file byte for byte, and has a stable content hash.
@Suite struct PolicyLoadingTests {
    /// `Protocol/policy/default.json`, found by walking up from this file to the package root.
    static func shippedDefaultPolicy() throws -> Data {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("Protocol/policy/default.json")
            if FileManager.default.fileExists(atPath: candidate.path) { return try Data(contentsOf: candidate) }
            directory.deleteLastPathComponent()
        }
        Issue.record("Protocol/policy/default.json not found above \(#filePath)")
        throw CancellationError()
    }

    static func defaultDocument() throws -> CanonicalJSON {
        try JSONDecoder().decode(CanonicalJSON.self, from: Data(PolicyLoader.defaultPolicyText.utf8))
    }

    /// The document as compact JSON with every object's members in reverse order: same content, other bytes.
    static func compactReversed(_ json: CanonicalJSON) -> String {
        switch json {
        case .array(let items): return "[" + items.map(compactReversed).joined(separator: ",") + "]"
        case .object(let members):
            let keys = CanonicalJSON.sortedKeys(members.keys).reversed()
            return "{"
                + keys.map { "\(compactReversed(.string($0))):\(compactReversed(members[$0]!))" }
                .joined(separator: ",") + "}"
        default: return json.rendered()
        }
    }

    @Test func theBuiltInDefaultIsTheShippedFileByteForByte() throws {
        let shipped = try Self.shippedDefaultPolicy()
        #expect(Data(PolicyLoader.defaultPolicyText.utf8) == shipped)
    }

    @Test func theShippedFileLoads() throws {
        let policy = try PolicyLoader.load(try Self.shippedDefaultPolicy())
        #expect(policy == Policy.default)
    }

    @Test func theDefaultHasTheSettingsOfDesignSection5() {
        let policy = Policy.default
        #expect(policy.version == 1)
        #expect(!policy.name.isEmpty)
        #expect(policy.settings.consentValidityMonths == 12)
        #expect(policy.settings.childViewFromAge == 12)
        #expect(policy.settings.pupilConsentFromAge == 15)
        #expect(policy.settings.purgeOnWithdrawal)
        #expect(policy.scopes.sorted() == Schema.consentScopes.sorted())
    }

    @Test func theDefaultHasARuleForEveryFieldOfTheSchemaAndNoOther() {
        let policy = Policy.default
        #expect(Set(policy.rules.keys) == Set(Schema.sst.entities.map(\.name)))
        for entity in Schema.sst.entities {
            let named = Set(policy.rules[entity.name].map { Array($0.keys) } ?? [])
            #expect(named == Set(entity.fields.map(\.name)), "\(entity.name)")
        }
    }

    @Test func theHashIsSixtyFourLowerCaseHexDigits() {
        let hash = Policy.default.hash
        #expect(hash.count == 64)
        #expect(hash.allSatisfy { "0123456789abcdef".contains($0) })
    }

    @Test func theHashIsTheSameOnEveryLoad() throws {
        let again = try PolicyLoader.load(Data(PolicyLoader.defaultPolicyText.utf8))
        #expect(again.hash == Policy.default.hash)
    }

    @Test func theHashOfTheDefaultIsPinned() {
        // Nodes compare this hash at sync: if it changes, nodes of older builds refuse to sync with newer
        // ones. Change it only with a deliberate policy change (and say so in the release notes).
        #expect(Policy.default.hash == Self.pinnedDefaultHash)
    }

    /// Also what Python gives: `sha256(json.dumps(policy, indent=2, sort_keys=True, ensure_ascii=False))`.
    static let pinnedDefaultHash = "5beb6e35352981058a9713216116fa2019b829b77aef0363b0f9a0e00ee3deed"

    @Test func whitespaceAndMemberOrderDoNotChangeTheHash() throws {
        let document = try Self.defaultDocument()
        let compact = Self.compactReversed(document)
        #expect(compact != PolicyLoader.defaultPolicyText)
        let reordered = try PolicyLoader.load(Data(compact.utf8))
        #expect(reordered.hash == Policy.default.hash)
        let canonical = try PolicyLoader.load(Data(document.rendered().utf8))
        #expect(canonical.hash == Policy.default.hash)
    }

    @Test func changingOneRuleOrSettingChangesTheHash() throws {
        let document = try Self.defaultDocument()
        let ruleChanged = document.replacing(
            ["entities", "case", "plan", "social_to_school"],
            with: .string("never")
        )
        let settingChanged = document.replacing(["settings", "purgeOnWithdrawal"], with: .bool(false))
        let nameChanged = document.replacing(["name"], with: .string("Synthetic municipality policy"))
        var hashes = [Policy.default.hash]
        for changed in [ruleChanged, settingChanged, nameChanged] {
            hashes.append(try PolicyLoader.load(Data(changed.rendered().utf8)).hash)
        }
        #expect(Set(hashes).count == 4)
        let changedPolicy = try PolicyLoader.load(Data(ruleChanged.rendered().utf8))
        #expect(changedPolicy.rule(entity: "case", field: "plan")?.toSchool == [])
    }
}

extension CanonicalJSON {
    /// A copy with the member at `path` set to `value`, or removed when `value` is nil.
    func replacing(_ path: [String], with value: CanonicalJSON?) -> CanonicalJSON {
        guard let key = path.first, case .object(var members) = self else { return self }
        if path.count == 1 {
            members[key] = value
        } else {
            members[key] = (members[key] ?? .object([:])).replacing(Array(path.dropFirst()), with: value)
        }
        return .object(members)
    }

    /// The member at `path`, if any.
    func member(_ path: [String]) -> CanonicalJSON? {
        guard let key = path.first else { return self }
        return objectMembers?[key]?.member(Array(path.dropFirst()))
    }
}
