/// How concurrent values of one field merge. Every kind is deterministic: all replicas that have seen
/// the same values hold the same winner, whatever order the values arrived in.
public enum MergeKind: String, Hashable, Sendable, CaseIterable {
    /// Last writer wins: the greater stamp.
    case lww
    /// Last writer wins, but a concurrent overwrite is kept as a conflict for a person to resolve.
    case text
    /// The greater ``Phase`` wins (then the greater stamp); a case never moves back.
    case phase
    /// Consent status: `withdrawn` beats every other status, whatever the stamps.
    case withdrawWins = "withdraw_wins"
    /// Record purge (*gallring*): once purged, a record stays purged and its values are erased.
    case purge
}

/// Which side of the secrecy boundary a node or a field belongs to.
public enum Side: String, Hashable, Sendable, CaseIterable {
    /// A school node.
    case school
    /// Social services: the district hub.
    case social

    public var other: Side { self == .school ? .social : .school }
}

/// Which side may write a field.
public enum Owner: String, Hashable, Sendable {
    case school
    case social
    /// Both sides write it (the SST case, its interventions and meetings).
    case shared

    public func allowsWrites(from side: Side) -> Bool {
        switch self {
        case .shared: true
        case .school: side == .school
        case .social: side == .social
        }
    }
}

/// The privacy class of a field: the row of the privacy policy (DESIGN §5) that decides whether it may
/// cross the school ⇄ social-services boundary.
public enum PrivacyClass: String, Hashable, Sendable, CaseIterable {
    case identity
    case guardianContact = "guardian_contact"
    case consent
    case absence
    case schoolAssessment = "school_assessment"
    /// Elevhälsa medical and psychological notes: never cross.
    case health
    case sstCase = "sst_case"
    /// Barnavårdsutredning: never crosses.
    case socialInvestigation = "social_investigation"
    case socialDecision = "social_decision"
    case socialSupportFlag = "social_support_flag"
    /// Orosanmälan: crosses school → social services under legal duty.
    case concernReport = "concern_report"
    /// What the school may see back of its report of concern.
    case concernReceipt = "concern_receipt"
    /// Record bookkeeping (tombstones, purge markers): follows the record.
    case record
}
