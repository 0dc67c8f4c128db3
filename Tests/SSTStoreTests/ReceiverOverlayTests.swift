import Foundation
import GRDB
import SSTCore
import SSTPrivacy
import SSTServices
import Testing

@testable import SSTStore

/// The receiver decides a set from the other side on the state before its merge with the set laid over it
/// (``ReceiverOverlay``), alongside the merge. These tests hold it to its claim: whenever the set writes each
/// filter input once and every one ends stored, those decisions — what crosses and on what basis, what is
/// withheld and why, the audit entries and the pupils whose consents changed — are the ones the filter makes
/// on the state after the merge. Random states and sets over a few records of every entity, with purges,
/// reassigned pupils and cases, consents and reports, stale and duplicated stamps. Scale with
/// SST_PROPERTY_HISTORIES, replay with SST_PROPERTY_SEED.
@Suite struct ReceiverOverlayTests {
    @Test(arguments: [Side.social, .school])
    func theOverlayDecidesAsTheStateAfterTheMerge(receiver: Side) throws {
        let count = PropertyRun.histories(default: 8) * 50
        var seen = Seen()
        for index in 0..<count {
            let seed = PropertyRun.baseSeed &+ 7_000_000 &+ UInt64(index)
            var generator = OverlayCase(seed: seed, receiver: receiver)
            let outcome = try generator.run()
            let replay = "SST_PROPERTY_SEED=\(seed &- 7_000_000) SST_PROPERTY_HISTORIES=1"
            if let overlay = outcome.overlay, outcome.inputsStored {
                #expect(
                    overlay == outcome.afterMerge,
                    "seed \(seed) (replay: \(replay)):\nset: \(generator.set)\noverlay: \(overlay)\nafter: \(outcome.afterMerge)"
                )
                seen.exact += 1
                if outcome.afterMerge.allowed.contains(where: { $0.grant.consent != nil }) { seen.consentGrants += 1 }
                if outcome.afterMerge.withheld.contains(where: { $0.reason.contains("consent") }) {
                    seen.withheldForConsent += 1
                }
                if outcome.afterMerge.allowed.contains(where: { $0.grant.basis == .legalDuty }) { seen.legalDuty += 1 }
                if outcome.afterMerge.withheld.contains(where: { $0.reason.contains("protected") }) {
                    seen.protected += 1
                }
                if !outcome.afterMerge.consentPupils.isEmpty { seen.consentPupils += 1 }
                if !outcome.afterMerge.audit.isEmpty { seen.audited += 1 }
            } else {
                seen.notExact += 1
            }
        }
        // The claim means little unless the cases reached what the filter reads (checked at CI scale).
        guard count >= 400 else { return }
        #expect(seen.exact > count / 4 && seen.notExact > count / 20, "\(seen)")
        #expect(seen.consentGrants > 0 && seen.withheldForConsent > 0 && seen.consentPupils > 0, "\(seen)")
        #expect(seen.protected > 0 && seen.audited > 0, "\(seen)")
        if receiver == .social { #expect(seen.legalDuty > 0, "\(seen)") }
    }

    @Test func aCatchUpIsDecidedAlongsideItsMergeAndALostInputFallsBack() throws {
        let pair = try PrivacyPair.files()
        for name in ["Åkesson", "Björk", "Celsing"] {
            let pupil = try PrivacyPupil.write(on: pair.school, ["family_name": .string(name)])
            try pupil.grant(["identity", "absence"], on: pair.school)
            try pupil.add(
                "absence",
                on: pair.school,
                ["period_start": .string("2027-01-11"), "unexcused_minutes": .integer(120)]
            )
        }
        let catchUp = try pair.school.exportChanges(forSide: .social, peer: PrivacyNodes.hubPeer, since: 0).changeSet
        #expect(try pair.hub.apply(catchUp, from: PrivacyNodes.schoolPeer).decidedBeforeMerge)
        // A consent status sent again with an older stamp loses its merge: decided after the merge instead.
        let consent = try #require(
            try pair.hub.writer.read { db in try String.fetchOne(db, sql: "SELECT id FROM consent LIMIT 1") }
                .flatMap(RecordID.init)
        )
        let stale = ChangeSet(
            origin: PrivacyNodes.schoolNode,
            side: .school,
            since: 0,
            upTo: 0,
            changes: [
                FieldChange(
                    entity: "consent",
                    record: consent,
                    field: "status",
                    state: FieldState(
                        value: .string("refused"),
                        stamp: Stamp(
                            timestamp: Timestamp(milliseconds: PrivacyNodes.start - PrivacyNodes.day, counter: 0),
                            node: PrivacyNodes.schoolNode
                        )
                    )
                )
            ],
            policyHash: pair.hub.policy.hash
        )
        let report = try pair.hub.apply(stale, from: PrivacyNodes.schoolPeer)
        #expect(report.applied == 0)
        #expect(!report.decidedBeforeMerge)
        #expect(try pair.hub.record(entity: "consent", record: consent)?["status"]?.value == .string("active"))
    }

    /// Another process's commit between the reader's snapshot and the push's transaction (here: the school's
    /// withdrawal, applied through a second connection to the hub's file) leaves the snapshot behind the state
    /// the merge starts from: the push is decided after its merge, where the withdrawal refuses it.
    @Test func aCommitBetweenTheSnapshotAndTheMergeIsDecidedAfterTheMerge() throws {
        let pair = try PrivacyPair.files()
        let pupil = try PrivacyPupil.write(on: pair.school, ["family_name": .string("Åkesson")])
        let consent = try pupil.grant(["identity", "absence"], on: pair.school)
        try pair.syncToHub()
        // An absence exported while the consent is in force, and the withdrawal exported after it.
        try pupil.add(
            "absence",
            on: pair.school,
            ["period_start": .string("2027-01-11"), "unexcused_minutes": .integer(95)]
        )
        let since = try pair.hub.cursor(for: PrivacyNodes.schoolNode)
        let absence = try pair.school.exportChanges(forSide: .social, peer: PrivacyNodes.hubPeer, since: since)
            .changeSet
        #expect(absence.changes.contains { $0.field == "unexcused_minutes" })
        try pair.school.withdrawConsent(id: consent.id)
        let withdrawal = try pair.school.exportChanges(
            forSide: .social,
            peer: PrivacyNodes.hubPeer,
            since: absence.upTo
        )
        .changeSet
        let directory = try #require(pair.directory)
        let otherProcess = try Store.open(at: directory.path("hub/sst.sqlite"), physicalClock: pair.hubClock)
        let hub = pair.hub
        let refusal = #expect(throws: ChangeSetError.self) {
            try hub.apply(absence, from: PrivacyNodes.schoolPeer) {
                try otherProcess.apply(withdrawal, from: PrivacyNodes.schoolPeer)
            }
        }
        #expect(refusal?.code == .policyViolation, "\(String(describing: refusal))")
        // The reader's snapshot still had the consent in force: decided there, the absence would have crossed.
        let minutes = try hub.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM absence WHERE unexcused_minutes IS NOT NULL")
        }
        #expect(minutes == 0)
    }

    private struct Seen: CustomStringConvertible {
        var exact = 0
        var notExact = 0
        var consentGrants = 0
        var withheldForConsent = 0
        var legalDuty = 0
        var protected = 0
        var consentPupils = 0
        var audited = 0

        var description: String {
            "exact \(exact), not exact \(notExact), consent grants \(consentGrants), withheld for consent "
                + "\(withheldForConsent), legal duty \(legalDuty), protected \(protected), consent pupils \(consentPupils), audited \(audited)"
        }
    }
}

/// One random case: a receiving store with a random state, and a random set from the other side.
private struct OverlayCase {
    var rng: SplitMix64
    let receiver: Side
    /// Three records of every entity.
    let records: [String: [RecordID]]
    private(set) var set = ChangeSet(origin: NodeID("sender-1")!, side: .school, since: 0, upTo: 0, changes: [])
    private var stored: [FieldChange] = []

    static let schema = Schema.sst
    static let dates = ["2026-12-01", "2027-01-15", "2027-01-16", "2027-06-30"]

    struct Outcome {
        /// Nil when the set writes a filter input twice (the overlay is not used).
        let overlay: ReceiverDecisions?
        let inputsStored: Bool
        let afterMerge: ReceiverDecisions
    }

    init(seed: UInt64, receiver: Side) {
        var rng = SplitMix64(seed: seed)
        var records: [String: [RecordID]] = [:]
        for entity in Self.schema.entities {
            records[entity.name] = (0..<3).map { _ in RecordID.random(using: &rng) }
        }
        self.rng = rng
        self.receiver = receiver
        self.records = records
    }

    mutating func run() throws -> Outcome {
        let identity =
            receiver == .social
            ? PrivacyNodes.hubIdentity : PrivacyNodes.schoolIdentity
        let store = try Store.inMemory(identity: identity, physicalClock: TestPhysicalClock(PrivacyNodes.start))
        let physical = PrivacyNodes.start
        let senderSide = receiver.other
        // The state before: random values of the same records, merged as received from the other side.
        stored = consentsInForce() + (0..<Int.random(in: 0...60, using: &rng)).compactMap { _ in change(newer: false) }
        let before = ChangeSet(origin: NodeID("sender-1")!, side: senderSide, since: 0, upTo: 0, changes: stored)
        try store.withSession(sourceSide: senderSide) { session in
            _ = try store.merge(before, into: &session, identity: identity, physical: physical)
        }
        // Half the sets only newer stamps (every value wins), half mixed with stale and reused ones.
        let newer = Bool.random(using: &rng)
        set = ChangeSet(
            origin: NodeID("sender-1")!,
            side: senderSide,
            since: 0,
            upTo: 0,
            changes: (0..<Int.random(in: 1...25, using: &rng)).compactMap { _ in change(newer: newer) }
        )
        let direction = Direction(destination: receiver)
        let filter = store.privacyFilter
        let changeSet = set
        let overlay = try store.writer.read { db -> ReceiverDecisions? in
            let overlay = ReceiverOverlay(changeSet.changes)
            guard overlay.isUsable else { return nil }
            return try Store.receiverDecisions(
                for: changeSet,
                filter: filter,
                context: StorePrivacyContext(
                    db: db,
                    today: CivilDate(millisecondsSinceEpoch: physical),
                    overlay: overlay
                ),
                direction: direction,
                sender: "sender-1",
                at: physical
            )
        }
        let (afterMerge, inputsStored) = try store.withSession(sourceSide: senderSide) { session in
            var inputs = FilterInputCheck(tracking: true)
            _ = try store.merge(changeSet, into: &session, identity: identity, physical: physical, inputs: &inputs)
            let decisions = try Store.receiverDecisions(
                for: changeSet,
                filter: filter,
                context: StorePrivacyContext(db: session.db, today: CivilDate(millisecondsSinceEpoch: physical)),
                direction: direction,
                sender: "sender-1",
                at: physical
            )
            return (decisions, inputs.holds)
        }
        return Outcome(overlay: overlay, inputsStored: inputsStored, afterMerge: afterMerge)
    }

    /// Consents in force for random pupils, for about half the consent records, written long before.
    private mutating func consentsInForce() -> [FieldChange] {
        var changes: [FieldChange] = []
        for consent in records["consent"]! where Bool.random(using: &rng) {
            let values: [String: Value] = [
                "pupil_id": .string(records["pupil"]!.randomElement(using: &rng)!.rawValue),
                "scopes": .list(Schema.consentScopes.filter { _ in Int.random(in: 0..<3, using: &rng) != 0 }),
                "status": .string("active"), "valid_from": .string("2026-12-01"), "valid_until": .string("2027-06-30"),
            ]
            let stamp = Stamp(
                timestamp: Timestamp(milliseconds: PrivacyNodes.start - 300_000, counter: 0),
                node: NodeID("sender-1")!
            )
            for (field, value) in values.sorted(by: { $0.key < $1.key }) {
                changes.append(
                    FieldChange(
                        entity: "consent",
                        record: consent,
                        field: field,
                        state: FieldState(value: value, stamp: stamp)
                    )
                )
            }
        }
        return changes
    }

    /// A random change of one of the records: mostly a field the filter reads; `newer` stamps come after
    /// every stored one. Now and then a stored change's stamp again, with another value.
    private mutating func change(newer: Bool) -> FieldChange? {
        let entityName = [
            "consent", "consent", "concern_report", "pupil", "pupil", "case", "intervention", "meeting", "absence",
            "guardian", "school_assessment", "purge_receipt",
        ]
        .randomElement(using: &rng)!
        guard let entity = Self.schema.entity(named: entityName) else { return nil }
        let system = [Schema.deletedField, Schema.purgedField].compactMap(entity.field(named:))
        let fields = entity.fields + system
        let inputs = fields.filter { ReceiverOverlay.isFilterInput(entity: entity.name, field: $0.name) }
        var field = (Int.random(in: 0..<10, using: &rng) < 7 ? inputs : fields).randomElement(using: &rng)!
        if field.name == Schema.purgedField && Int.random(in: 0..<4, using: &rng) != 0 {
            field = fields.randomElement(using: &rng)!
            if field.name == Schema.purgedField { return nil }
        }
        let record = records[entity.name]!.randomElement(using: &rng)!
        let value = value(for: field)
        if !newer, Int.random(in: 0..<6, using: &rng) == 0,
            let old = stored.first(where: { $0.entity == entity.name && $0.record == record && $0.field == field.name })
        {
            return FieldChange(
                entity: entity.name,
                record: record,
                field: field.name,
                state: FieldState(value: value, stamp: old.stamp)
            )
        }
        let base = newer ? PrivacyNodes.start - 1_000 : PrivacyNodes.start - 200_000
        let stamp = Stamp(
            timestamp: Timestamp(
                milliseconds: base + UInt64.random(in: 0..<(newer ? 900 : 100_000), using: &rng),
                counter: UInt16.random(in: 0..<3, using: &rng)
            ),
            node: [NodeID("sender-1")!, NodeID("sender-2")!].randomElement(using: &rng)!
        )
        return FieldChange(
            entity: entity.name,
            record: record,
            field: field.name,
            state: FieldState(value: value, stamp: stamp)
        )
    }

    private mutating func value(for field: FieldSchema) -> Value {
        if field.name == Schema.purgedField { return .boolean(true) }
        if field.name == Schema.deletedField { return .boolean(Int.random(in: 0..<3, using: &rng) == 0) }
        if Int.random(in: 0..<12, using: &rng) == 0 { return .null }
        switch field.type {
        case .string, .text: return .string("värde \(Int.random(in: 0..<5, using: &rng))")
        case .integer(let minimum, let maximum):
            return .integer(Int64.random(in: (minimum ?? 0)...(maximum ?? 10), using: &rng))
        case .boolean: return .boolean(Int.random(in: 0..<3, using: &rng) == 0)
        case .date: return .string(Self.dates.randomElement(using: &rng)!)
        case .instant: return .string("2027-01-15T08:00:00Z")
        case .personnummer: return .string("20130610-2391")
        case .reference(let entity): return .string(records[entity]!.randomElement(using: &rng)!.rawValue)
        case .enumeration(let allowed): return .string(allowed.randomElement(using: &rng)!)
        case .enumerationList(let allowed):
            return .list(allowed.filter { _ in Int.random(in: 0..<3, using: &rng) == 0 }.shuffled(using: &rng))
        case .stringList: return .list(["fält"])
        case .referenceList(let entity): return .list([records[entity]!.randomElement(using: &rng)!.rawValue])
        case .phase:
            return .phase(Phase(generation: 1, step: Phase.Step.allCases.randomElement(using: &rng)!))
        }
    }
}
