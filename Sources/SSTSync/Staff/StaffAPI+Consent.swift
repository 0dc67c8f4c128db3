import SSTCore
import SSTServices
import SSTStore

extension StaffAPI {
    /// The consents endpoint: `POST /api/v1/consents`, `POST /api/v1/consents/{id}/answers`,
    /// `POST /api/v1/consents/{id}/withdraw`.
    public static let consentsPath = "/\(pathPrefix)/consents"

    /// The body of `POST /api/v1/consents`: a consent as `sst consent grant` records it.
    public struct ConsentGrant: Codable, Hashable, Sendable {
        public var pupil: String
        public var scopes: [String]
        /// The guardians who said yes (record ids).
        public var givenBy: [String]
        /// The guardians who said no.
        public var refusedBy: [String]?
        /// `written` or `oral`.
        public var method: String
        /// The child's view, in the child's words (required from the policy's age, 12).
        public var pupilView: String?
        /// The pupil's own consent (required from the policy's age, 15).
        public var pupilConsent: Bool?
        public var purpose: String?
        /// `YYYY-MM-DD`; default today.
        public var validFrom: String?
        /// `YYYY-MM-DD`; default twelve months on.
        public var validUntil: String?
        /// Where the signed form is kept.
        public var documentRef: String?

        public init(pupil: String, scopes: [String], givenBy: [String], method: String) {
            self.pupil = pupil
            self.scopes = scopes
            self.givenBy = givenBy
            self.method = method
        }
    }

    /// The body of `POST /api/v1/consents/{id}/answers`: one more guardian's yes or no.
    public struct ConsentAnswer: Codable, Hashable, Sendable {
        public var guardian: String
        public var consents: Bool

        public init(guardian: String, consents: Bool) {
            self.guardian = guardian
            self.consents = consents
        }
    }

    /// A consent as the consent endpoints answer it, with its status as of today.
    public struct Consent: Codable, Hashable, Sendable {
        public let id: String
        public let pupil: String
        public let scopes: [String]
        /// `pending`, `active`, `refused`, `withdrawn` or `expired`.
        public let status: String
        public let validFrom: String?
        public let validUntil: String?
        public let givenBy: [String]
        public let method: String?

        public init(_ summary: ConsentSummary) {
            id = summary.id.rawValue
            pupil = summary.pupil.rawValue
            scopes = summary.scopes
            status = summary.status
            validFrom = summary.validFrom
            validUntil = summary.validUntil
            givenBy = summary.givenBy
            method = summary.method
        }
    }
}
