import Foundation
import SSTCore

/// A privacy policy: for every field of the schema and each direction, the bases on which it may cross
/// (none: never), plus the settings for consent. Loaded from a policy file by ``PolicyLoader``.
public struct Policy: Hashable, Sendable {
    /// Settings that a municipality may change.
    public struct Settings: Hashable, Sendable {
        /// A consent without an end date is valid this many months.
        public var consentValidityMonths: Int
        /// From this age the child's view is recorded with a consent.
        public var childViewFromAge: Int
        /// From this age the pupil's own consent is also required.
        public var pupilConsentFromAge: Int
        /// Whether data received under a consent is purged on the receiving side when the consent is
        /// withdrawn or expires (true), or retained there (false).
        public var purgeOnWithdrawal: Bool
    }

    /// The bases for one field, per direction. An empty list means the field never crosses that way.
    public struct FieldRule: Hashable, Sendable {
        public let toSocial: [Basis]
        public let toSchool: [Basis]

        public func bases(_ direction: Direction) -> [Basis] {
            direction == .toSocial ? toSocial : toSchool
        }
    }

    public let name: String
    public let version: Int
    public let settings: Settings
    /// The consent scopes the policy knows.
    public let scopes: [String]
    /// Entity name → field name → rule; covers every field of the schema.
    public let rules: [String: [String: FieldRule]]
    /// The SHA-256 of the policy's canonical JSON, in hex. Two sides sync only with equal hashes.
    public let hash: String

    public func rule(entity: String, field: String) -> FieldRule? {
        rules[entity]?[field]
    }
}

extension Policy {
    /// The default policy shipped with SST Sync (`Protocol/policy/default.json`).
    public static let `default`: Policy = {
        do {
            return try PolicyLoader.load(Data(PolicyLoader.defaultPolicyText.utf8))
        } catch {
            fatalError("the built-in default policy is invalid: \(error)")
        }
    }()
}
