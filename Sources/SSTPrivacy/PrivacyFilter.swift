import SSTCore

/// Decides, per field change and direction, whether it may cross the school ⇄ social-services boundary
/// and on what basis — or why it is withheld. The same filter runs at the sender (nothing forbidden
/// leaves) and at the receiver (a set with anything forbidden is refused whole).
public struct PrivacyFilter: Sendable {
    /// Why a change may cross: the basis and, for consent, the consent record in force.
    public struct Grant: Hashable, Sendable, CustomStringConvertible {
        public let basis: Basis
        public let consent: RecordID?

        public init(basis: Basis, consent: RecordID?) {
            self.basis = basis
            self.consent = consent
        }

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
    /// Entity name → field name → what the filter needs to know of the field, worked out once.
    private let plans: [String: [String: FieldPlan]]
    /// How many distinct ``FieldPlan/Outcome``s each direction has (the size of a ``Memo``'s table).
    private let outcomeCount: (toSocial: Int, toSchool: Int)

    public init(policy: Policy, schema: Schema = .sst) {
        self.policy = policy
        self.schema = schema
        var toSocial: [FieldPlan.Outcome: Int] = [:]
        var toSchool: [FieldPlan.Outcome: Int] = [:]
        var plans: [String: [String: FieldPlan]] = [:]
        for entity in schema.entities {
            let system = [Schema.deletedField, Schema.purgedField].compactMap(entity.field(named:))
            for field in entity.fields + system {
                let rule = policy.rule(entity: entity.name, field: field.name)
                let isProtectionFlag = entity.role == .pupil && field.role == .protectionFlag
                func outcome(
                    _ direction: Direction,
                    _ index: inout [FieldPlan.Outcome: Int]
                ) -> (FieldPlan.Outcome, Int) {
                    let outcome = FieldPlan.Outcome(
                        bases: rule?.bases(direction) ?? [],
                        withheldUnderProtection: (field.privacy == .identity || field.privacy == .guardianContact)
                            && !isProtectionFlag,
                        isConcernReport: entity.role == .legalDuty
                    )
                    if let known = index[outcome] { return (outcome, known) }
                    index[outcome] = index.count
                    return (outcome, index.count - 1)
                }
                let social = outcome(.toSocial, &toSocial)
                let school = outcome(.toSchool, &toSchool)
                plans[entity.name, default: [:]][field.name] = FieldPlan(
                    entity: entity,
                    isSystem: field.isSystem,
                    toSocial: social.0,
                    toSchool: school.0,
                    toSocialIndex: social.1,
                    toSchoolIndex: school.1
                )
            }
        }
        self.plans = plans
        outcomeCount = (toSocial.count, toSchool.count)
    }

    public func decide(_ change: FieldChange, direction: Direction, context: some PrivacyContext) throws -> Decision {
        var memo = Memo()
        return try decide(change, direction: direction, context: context, memo: &memo)
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
        var memo = Memo()
        for change in changes {
            switch try decide(change, direction: direction, context: context, memo: &memo) {
            case .allow(let pupil, let grant): result.allowed.append(.init(change: change, pupil: pupil, grant: grant))
            case .withhold(let reason): result.withheld.append(.init(change: change, reason: reason))
            }
        }
        return result
    }

    private func decide(
        _ change: FieldChange,
        direction: Direction,
        context: some PrivacyContext,
        memo: inout Memo
    ) throws -> Decision {
        guard let plan = plans[change.entity]?[change.field] else {
            return .withhold(reason: "\(change.entity).\(change.field) is not in the schema")
        }
        let entity = plan.entity
        if plan.isSystem {
            // Tombstones and purge markers follow the record: they cross when any of its fields may, or when
            // any of its values crossed before.
            for domainField in entity.fields {
                let probe = FieldChange(
                    entity: entity.name,
                    record: change.record,
                    field: domainField.name,
                    state: change.state
                )
                if case .allow(let pupil, let grant) = try decide(
                    probe,
                    direction: direction,
                    context: context,
                    memo: &memo
                ) {
                    return .allow(pupil: pupil, grant: grant)
                }
            }
            // Judged on what crossed, not on what is left: a purge erases the fields it would be judged on.
            if let crossed = try context.crossedRecord(entity: entity.name, record: change.record) {
                let pupil = try crossed.pupil ?? context.pupil(entity: entity.name, record: change.record)
                return .allow(pupil: pupil, grant: Grant(basis: .administrative, consent: nil))
            }
            return .withhold(reason: "no field of this \(entity.name) may cross \(direction.label)")
        }
        let (outcome, index) =
            direction == .toSocial ? (plan.toSocial, plan.toSocialIndex) : (plan.toSchool, plan.toSchoolIndex)
        if outcome.bases.isEmpty {
            return .withhold(reason: "\(entity.name).\(change.field) never crosses \(direction.label) (policy)")
        }
        guard let pupil = try context.pupil(entity: entity.name, record: change.record) else {
            return .withhold(reason: "the pupil this \(entity.name) concerns is not known here")
        }
        // Past this point the decision depends only on the pupil and the outcome's class: a run decides each
        // once per pupil (a change set lists a pupil's records together).
        if memo.pupil != pupil {
            memo.pupil = pupil
            memo.decisions = Array(
                repeating: nil,
                count: direction == .toSocial ? outcomeCount.toSocial : outcomeCount.toSchool
            )
        }
        if let known = memo.decisions[index] { return known }
        let decision = try decide(outcome, pupil: pupil, direction: direction, context: context)
        memo.decisions[index] = decision
        return decision
    }

    /// The decision for a field of `outcome`'s class about a known pupil.
    private func decide(
        _ outcome: FieldPlan.Outcome,
        pupil: RecordID,
        direction: Direction,
        context: some PrivacyContext
    ) throws -> Decision {
        // The protection flag itself crosses on its own bases, so that a side which received the pupil's
        // identity before the protection learns of it and purges what it holds.
        if outcome.withheldUnderProtection, try context.hasProtectedIdentity(pupil: pupil) {
            return .withhold(reason: "the pupil has protected identity: identity and guardian contact never cross")
        }
        var missing: [String] = []
        for basis in outcome.bases {
            switch basis {
            case .administrative:
                return .allow(pupil: pupil, grant: Grant(basis: basis, consent: nil))
            case .legalDuty:
                if try outcome.isConcernReport || context.hasConcernReport(pupil: pupil) {
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

    /// A field as the filter sees it: its entity, and per direction the class of its outcome.
    private struct FieldPlan {
        /// What a field's decision depends on, besides the pupil: fields with equal outcomes are decided alike.
        struct Outcome: Hashable {
            let bases: [Basis]
            /// Identity and guardian contact, but not the protection flag itself.
            let withheldUnderProtection: Bool
            /// A report of concern crosses by legal duty by itself.
            let isConcernReport: Bool
        }

        let entity: EntitySchema
        let isSystem: Bool
        let toSocial: Outcome
        let toSchool: Outcome
        let toSocialIndex: Int
        let toSchoolIndex: Int
    }

    /// One run's decisions for the pupil it saw last, by outcome class.
    private struct Memo {
        var pupil: RecordID?
        var decisions: [Decision?] = []
    }
}

/// The outcome of filtering a list of changes.
public struct FilterResult: Sendable {
    public struct Allowed: Hashable, Sendable {
        public let change: FieldChange
        public let pupil: RecordID?
        public let grant: PrivacyFilter.Grant

        public init(change: FieldChange, pupil: RecordID?, grant: PrivacyFilter.Grant) {
            self.change = change
            self.pupil = pupil
            self.grant = grant
        }
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
