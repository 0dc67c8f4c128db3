import SSTCore
import SSTServices
import SSTStore
import SSTSync

/// What the demo shows at the end: what crossed the boundary and what did not, the conflict, and whether
/// every replica converged.
public struct DemoReport: Sendable {
    /// The report, line by line.
    public let lines: [String]
    /// Every shared record holds the same values at the hub and at its school, and nothing crossed that must not.
    public let converged: Bool

    init(world: DemoWorld, pupils: [DemoRecords], social: DemoSocialRecords, conflictCase: RecordID) throws {
        let hub = world.hub.store
        var lines = ["", "What crossed to the hub (school → social services):"]
        var problems: [String] = []
        for records in pupils {
            let school = world.schools[records.spec.school]
            let atHub = try hub.demoValues(EntityName.pupil, records.pupil)
            let identity = atHub?[FieldName.givenName].map { _ in "name and personnummer" }
            let basis =
                records.spec.consent.isEmpty
                ? (records.concern != nil ? "report of concern (legal duty)" : "no consent")
                : "consent: \(records.spec.consent.joined(separator: ", "))"
            var crossed: [String] = []
            if let identity { crossed.append(identity) }
            if try records.absence.map({ try hub.demoValues(EntityName.absence, $0) != nil }) == true {
                crossed.append("absence")
            }
            if try records.caseID.map({ try hub.demoValues(EntityName.case, $0) != nil }) == true {
                crossed.append("case")
            }
            if try records.concern.map({ try hub.demoValues(EntityName.concernReport, $0) != nil }) == true {
                crossed.append("report of concern")
            }
            if records.spec.protectedIdentity { crossed.append("(protected identity: record id only)") }
            lines.append(
                "  \(records.spec.name.padding(18)) \(school.identity.node.rawValue.padding(11)) \(basis.padding(58)) "
                    + (crossed.isEmpty ? "nothing" : crossed.joined(separator: ", "))
            )
            if try hub.demoValues(EntityName.healthNote, records.healthNote) != nil {
                problems.append("a health note crossed")
            }
            if records.spec.protectedIdentity && identity != nil { problems.append("a protected identity crossed") }
            if records.spec.consent.isEmpty && records.concern == nil && identity != nil {
                problems.append("\(records.spec.name) crossed without a basis")
            }
        }
        lines += try Self.notCrossed(world: world, pupils: pupils, social: social, problems: &problems)
        lines += try Self.conflict(world: world, caseID: conflictCase, problems: &problems)
        try Self.checkConvergence(world: world, pupils: pupils, problems: &problems)
        let audit = try hub.verifyAudit()
        lines.append("")
        lines.append(
            "Audit at the hub: \(audit.entries) entries, hash chain \(audit.problems.isEmpty ? "intact" : "BROKEN")."
        )
        problems += audit.problems
        lines.append(
            problems.isEmpty
                ? "Converged: every shared record holds the same values at the hub and at its school."
                : "NOT converged: " + problems.joined(separator: "; ")
        )
        lines.append("")
        lines.append("The district's follow-up at the hub (`sst report`; a count under 5 is shown as <5):")
        for stadsdel in try hub.followUpReport().stadsdelar {
            lines.append(
                "  \(stadsdel.name.padding(12)) schools \(stadsdel.schools), pupils with a case "
                    + "\(stadsdel.pupilsWithCase), reports of concern \(stadsdel.reportsOfConcern)"
            )
        }
        self.lines = lines
        self.converged = problems.isEmpty
    }

    private static func notCrossed(
        world: DemoWorld,
        pupils: [DemoRecords],
        social: DemoSocialRecords,
        problems: inout [String]
    ) throws -> [String] {
        let hub = world.hub.store
        let healthAtHub = try pupils.filter { try hub.demoValues(EntityName.healthNote, $0.healthNote) != nil }.count
        var lines = ["", "What did not cross:"]
        lines.append("  health notes (elevhälsa): \(healthAtHub) of \(pupils.count) at the hub — never crosses")
        let withheld = try pupils.filter { try hub.demoValues(EntityName.pupil, $0.pupil)?[FieldName.givenName] == nil }
            .map(
                \.spec.name
            )
        lines.append("  identities withheld from the hub: \(withheld.joined(separator: ", "))")
        var strayRecords = 0
        for (index, school) in world.schools.enumerated() {
            for records in pupils where records.spec.school != index {
                if try school.store.demoValues(EntityName.pupil, records.pupil) != nil { strayRecords += 1 }
                if try records.caseID.map({ try school.store.demoValues(EntityName.case, $0) != nil }) == true {
                    strayRecords += 1
                }
            }
        }
        lines.append("  another school's pupils or cases at any school: \(strayRecords)")
        if strayRecords > 0 { problems.append("a school holds another school's records") }
        lines += ["", "What came back from the hub (social services → school):"]
        let ekbacken = world.schools[0].store
        let support = try ekbacken.demoValues(EntityName.socialSupport, social.support)
        let flag = support?[FieldName.hasOngoingSupport].map(Self.text) ?? "none"
        let notes = support?[FieldName.decisionNotes].map { $0 != .null } ?? false
        lines.append(
            "  Åsa: has ongoing support = \(flag); the decision notes stay at the hub (\(notes ? "LEAKED" : "ok"))"
        )
        if notes { problems.append("decision notes crossed") }
        let investigations = try world.schools.filter {
            try $0.store.demoValues(EntityName.socialInvestigation, social.investigation) != nil
        }.count
        lines.append(
            "  child-welfare investigations (barnavårdsutredning) at schools: \(investigations) — never crosses"
        )
        if investigations > 0 { problems.append("an investigation crossed") }
        if let concern = pupils.first(where: { $0.concern != nil })?.concern,
            let receipt = try ekbacken.demoValues(EntityName.concernReport, concern)
        {
            lines.append(
                "  Björn's report of concern: received \(receipt[FieldName.receivedAt].map(Self.text) ?? "—"), "
                    + "investigation opened = \(receipt[FieldName.investigationOpened].map(Self.text) ?? "—")"
            )
        }
        return lines
    }

    private static func conflict(world: DemoWorld, caseID: RecordID, problems: inout [String]) throws -> [String] {
        var lines = ["", "The conflict to resolve (Åsa's case plan, edited at the school and at the hub while apart):"]
        for node in [world.schools[0], world.hub] {
            let conflicts = try node.store.conflicts().filter { $0.record == caseID && $0.field == FieldName.plan }
            guard let conflict = conflicts.first else {
                problems.append("the conflict is missing at \(node.identity.node)")
                continue
            }
            lines.append("  at \(node.identity.node):")
            lines.append("    shown      \"\(Self.text(conflict.current.value))\"  (\(conflict.current.stamp.node))")
            for other in conflict.others {
                lines.append("    concurrent \"\(Self.text(other.value))\"  (\(other.stamp.node))")
            }
        }
        lines.append(
            "  Resolve it on either node: sst conflicts resolve --data DIR --entity case --id \(caseID) --field plan "
                + "--value \"…\"; the resolution replicates like any change."
        )
        return lines
    }

    /// A value as a person reads it.
    static func text(_ value: Value) -> String {
        switch value {
        case .null: "—"
        case .string(let text): text
        case .integer(let number): String(number)
        case .boolean(let bool): bool ? "yes" : "no"
        case .list(let items): items.joined(separator: ", ")
        case .phase(let phase): "\(phase)"
        }
    }

    private static func checkConvergence(world: DemoWorld, pupils: [DemoRecords], problems: inout [String]) throws {
        let hub = world.hub.store
        for records in pupils {
            let school = world.schools[records.spec.school].store
            for (entity, id) in [(EntityName.case, records.caseID), (EntityName.absence, records.absence)] {
                guard let id, let atHub = try hub.demoValues(entity, id) else { continue }
                if try school.demoValues(entity, id) != atHub {
                    problems.append(
                        "\(entity) \(id) differs between the hub and \(world.schools[records.spec.school].identity.node)"
                    )
                }
            }
        }
    }
}

extension Store {
    /// A record's values by field, or `nil` when this node does not hold it.
    func demoValues(_ entity: String, _ record: RecordID) throws -> [String: Value]? {
        try self.record(entity: entity, record: record)?.mapValues(\.value)
    }
}

extension String {
    fileprivate func padding(_ length: Int) -> String {
        count >= length ? self : self + String(repeating: " ", count: length - count)
    }
}

/// The records social services wrote at the hub in the demo.
struct DemoSocialRecords: Sendable {
    let support: RecordID
    let investigation: RecordID
}
