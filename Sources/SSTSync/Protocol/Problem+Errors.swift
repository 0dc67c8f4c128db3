import SSTCore
import SSTStore

extension Problem {
    /// The problem a refused change set answers with: 400 for a damaged or unreadable set, 422 for a set that
    /// fails validation, 403 for a denial by the policy or the sender's rights, 409 for a disagreement of state.
    public init(_ error: ChangeSetError, expected: Int64? = nil) {
        let status: Int
        let title: String
        switch error.code {
        case .corrupt, .notAChangeSet, .newerVersion:
            (status, title) = (400, "The change set cannot be read")
        case .unknownEntity, .unknownField, .invalidValue:
            (status, title) = (422, "The change set is invalid")
        case .clockAhead:
            (status, title) = (422, "A change is stamped too far in the future")
        case .wrongSide, .policyViolation, .notOwner, .notAuthorized:
            (status, title) = (403, "Refused by the privacy policy or the sender's rights")
        case .policyMismatch:
            (status, title) = (409, "The two sides run different privacy policies")
        case .sequenceGap:
            (status, title) = (409, "The push leaves a gap in the sequence")
        default:
            (status, title) = (400, "The change set was refused")
        }
        self.init(
            status: status,
            code: error.code.description,
            title: title,
            detail: "\(error.message). Nothing was applied",
            remedy: error.remedy,
            expected: expected
        )
    }

    /// The problem a store refusal answers with.
    public init(_ error: StoreError) {
        let status: Int
        switch error.code {
        case .wrongSide, .notOwner, .notPermitted:
            status = 403
        case .unauthorized:
            status = 401
        case .alreadyExists, .noConflict:
            status = 409
        case .notInitialized:
            status = 503
        case .storageFull:
            status = 507
        case .unknownEntity, .unknownField, .invalidValue, .purged, .phaseBackwards, .consentWithdrawn:
            status = 422
        case .notFound:
            status = 404
        default:
            status = 500
        }
        self.init(
            status: status,
            code: error.code.description,
            title: status == 403
                ? "Refused by the privacy policy" : status == 401 ? "Not authorized" : "The store refused the request",
            detail: error.message,
            remedy: error.remedy
        )
    }

    /// Whether this problem is a denial (403): logged, counted and, past the store, audited.
    public var isDenial: Bool { statusCode == 403 }
}
