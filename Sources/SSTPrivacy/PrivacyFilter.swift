import SSTCore

/// Decides, per field change and direction, whether it may cross the school ⇄ social-services boundary
/// and on what basis — or why it is withheld. The same filter runs at the sender (nothing forbidden
/// leaves) and at the receiver (a set with anything forbidden is refused whole).
public struct PrivacyFilter: Sendable {
    /// Why a change may cross: the basis and, for consent, the consent record in force.
    public struct Grant: Hashable, Sendable, CustomStringConvertible {
        public let basis: Basis
        public let consent: RecordID?

        /// `consent:<scope> <consent id>`, `legal_duty` or `administrative`, as written in the audit trail.
        public var description: String {
            consent.map { "\(basis) \($0)" } ?? basis.description
        }
    }

    public enum Decision: Hashable, Sendable {
        case allow(pupil: RecordID?, grant: Grant)
        case withhold(reason: String)
    }

    public let policy: Policy
    public let schema: Schema

    public init(policy: Policy, schema: Schema = .sst) {
        self.policy = policy
        self.schema = schema
    }

    public func decide(_ change: FieldChange, direction: Direction, context: some PrivacyContext) throws -> Decision {
        guard let entity = schema.entity(named: change.entity), let field = entity.field(named: change.field) else {
            return .withhold(reason: "\(change.entity).\(change.field) is not in the schema")
        }
        if field.isSystem {
            // Tombstones and purge markers follow the record: they cross when any of its fields may.
            for domainField in entity.fields {
                let probe = FieldChange(
                    entity: entity.name,
                    record: change.record,
                    field: domainField.name,
                    state: change.state
                )
                if case .allow(let pupil, let grant) = try decide(probe, direction: direction, context: context) {
                    return .allow(pupil: pupil, grant: grant)
                }
            }
            return .withhold(reason: "no field of this \(entity.name) may cross \(direction.label)")
        }
        let bases = policy.rule(entity: entity.name, field: field.name)?.bases(direction) ?? []
        if bases.isEmpty {
            return .withhold(reason: "\(entity.name).\(field.name) never crosses \(direction.label) (policy)")
        }
        guard let pupil = try context.pupil(entity: entity.name, record: change.record) else {
            return .withhold(reason: "the pupil this \(entity.name) concerns is not known here")
        }
        // The protection flag itself crosses on its own bases, so that a side which received the pupil's
        // identity before the protection learns of it and purges what it holds.
        let isProtectionFlag = entity.name == "pupil" && field.name == "protected_identity"
        if field.privacy == .identity || field.privacy == .guardianContact, !isProtectionFlag,
            try context.hasProtectedIdentity(pupil: pupil)
        {
            return .withhold(reason: "the pupil has protected identity: identity and guardian contact never cross")
        }
        var missing: [String] = []
        for basis in bases {
            switch basis {
            case .administrative:
                return .allow(pupil: pupil, grant: Grant(basis: basis, consent: nil))
            case .legalDuty:
                if try entity.name == "concern_report" || context.hasConcernReport(pupil: pupil) {
                    return .allow(pupil: pupil, grant: Grant(basis: basis, consent: nil))
                }
                missing.append("no report of concern")
            case .consent(let scope):
                let today = context.today
                var inForce: ConsentState?
                for consent in try context.consents(pupil: pupil)
                where consent.scopes.contains(scope) && consent.isInForce(on: today) {
                    if let chosen = inForce, chosen.id <= consent.id { continue }
                    inForce = consent
                }
                if let consent = inForce {
                    return .allow(pupil: pupil, grant: Grant(basis: basis, consent: consent.id))
                }
                missing.append("no consent in force with scope \(scope)")
            }
        }
        return .withhold(reason: missing.joined(separator: " and "))
    }

    /// Splits changes into those that may cross and those withheld, each with its reason.
    public func filter(
        _ changes: [FieldChange],
        direction: Direction,
        context: some PrivacyContext
    ) throws
        -> FilterResult
    {
        var result = FilterResult()
        for change in changes {
            switch try decide(change, direction: direction, context: context) {
            case .allow(let pupil, let grant): result.allowed.append(.init(change: change, pupil: pupil, grant: grant))
            case .withhold(let reason): result.withheld.append(.init(change: change, reason: reason))
            }
        }
        return result
    }
}

/// The outcome of filtering a list of changes.
public struct FilterResult: Sendable {
    public struct Allowed: Hashable, Sendable {
        public let change: FieldChange
        public let pupil: RecordID?
        public let grant: PrivacyFilter.Grant
    }

    public struct Withheld: Hashable, Sendable {
        public let change: FieldChange
        public let reason: String
    }

    public var allowed: [Allowed] = []
    public var withheld: [Withheld] = []
}

extension Direction {
    /// `school → social services` or `social services → school`, for messages.
    public var label: String { self == .toSocial ? "school → social services" : "social services → school" }
}
