import SSTCore

/// A ground on which a field may cross the school ⇄ social-services boundary.
public enum Basis: Hashable, Sendable, CustomStringConvertible {
    /// The guardians' consent, in force, covering this scope (a waiver of secrecy, OSL 12 kap. 2 §).
    case consent(scope: String)
    /// A legal duty: a report of concern (*orosanmälan*) and the identity of the pupil it concerns.
    case legalDuty
    /// Bookkeeping the other side needs to keep the policy itself: consent records, purge receipts.
    case administrative

    /// The text form used in policy files: `consent:<scope>`, `legal_duty`, `administrative`.
    public var description: String {
        switch self {
        case .consent(let scope): "consent:\(scope)"
        case .legalDuty: "legal_duty"
        case .administrative: "administrative"
        }
    }

    public init?(text: String) {
        switch text {
        case "legal_duty": self = .legalDuty
        case "administrative": self = .administrative
        case _ where text.hasPrefix("consent:"): self = .consent(scope: String(text.dropFirst("consent:".count)))
        default: return nil
        }
    }
}

/// The direction of a crossing.
public enum Direction: String, Hashable, Sendable {
    case toSocial = "school_to_social"
    case toSchool = "social_to_school"

    /// The direction data travels when it goes to `destination`.
    public init(destination: Side) {
        self = destination == .social ? .toSocial : .toSchool
    }

    public var destination: Side { self == .toSocial ? .social : .school }
    public var source: Side { destination.other }
}
