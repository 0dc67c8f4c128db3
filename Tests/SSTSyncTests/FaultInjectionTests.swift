import Foundation
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync
import Synchronization
import Testing

/// What goes wrong on the way to the hub, injected over the real HTTPS transport.
enum InjectedFault: String, CaseIterable, Sendable {
    /// The request never reaches the hub.
    case lostRequest
    /// The hub acts on the request, but its answer never comes back.
    case lostAnswer
    /// The request reaches the hub twice (as a retrying proxy would send it); the node hears the second answer.
    case deliveredTwice
}

/// The real transport with faults injected at random, reproducibly from a seed.
final class FaultyTransport: SyncTransport {
    let inner: any SyncTransport
    let probability: Double
    private let state: Mutex<(random: SplitMix64, injected: [InjectedFault: Int])>

    init(_ inner: any SyncTransport, probability: Double, seed: UInt64) {
        self.inner = inner
        self.probability = probability
        state = Mutex((SplitMix64(seed: seed), [:]))
    }

    /// How many faults of each kind were injected so far.
    var injected: [InjectedFault: Int] { state.withLock { $0.injected } }

    static let dropped = SyncFailure(.unreachable, "the connection dropped (injected)", remedy: "It is retried.")

    private func draw() -> InjectedFault? {
        state.withLock { state in
            let roll = Double(state.random.next() >> 11) / Double(UInt64(1) << 53)
            guard roll < probability else { return nil }
            let fault = InjectedFault.allCases[Int(state.random.next() % UInt64(InjectedFault.allCases.count))]
            state.injected[fault, default: 0] += 1
            return fault
        }
    }

    private func deliver<T>(_ request: () async throws(SyncFailure) -> T) async throws(SyncFailure) -> T {
        switch draw() {
        case nil:
            return try await request()
        case .lostRequest:
            throw Self.dropped
        case .lostAnswer:
            _ = try await request()
            throw Self.dropped
        case .deliveredTwice:
            _ = try await request()
            return try await request()
        }
    }

    func handshake(_ request: HandshakeRequest) async throws(SyncFailure) -> HandshakeResponse {
        try await deliver { () async throws(SyncFailure) in try await inner.handshake(request) }
    }

    func pushBody(_ changeSet: ChangeSet) throws(SyncFailure) -> PushBody {
        try inner.pushBody(changeSet)
    }

    func push(_ body: PushBody) async throws(SyncFailure) -> PushResponse {
        try await deliver { () async throws(SyncFailure) in try await inner.push(body) }
    }

    func pull(since: Int64, limit: Int) async throws(SyncFailure) -> PullResponse {
        try await deliver { () async throws(SyncFailure) in try await inner.pull(since: since, limit: limit) }
    }
}

/// Random histories at two schools and at their hub, synced in small batches through a transport that loses
/// requests, loses answers and delivers twice. Sessions may give up (the next round resumes from the stored
/// cursors); none may be refused. After one clean sync each, the hub holds exactly what one clean, unbatched
/// exchange gives a fresh hub, each school already holds everything the hub may send it, and neither holds
/// anything of the other's.
///
/// `SST_FAULT_SEEDS=N` runs N seeds (default 8).
@Suite struct FaultInjectionTests {
    static let seeds = ProcessInfo.processInfo.environment["SST_FAULT_SEEDS"].flatMap(Int.init) ?? 8

    /// The school's writes: pupils (with or without consent), reports of concern, cases, interventions, edits,
    /// and consents given later.
    struct SchoolHistory {
        var random: SplitMix64
        var pupils: [TestPupil] = []
        var cases: [RecordID] = []
        var reports: [RecordID] = []
        /// Consents withdrawn and pupils protected so far.
        var letGo = 0

        /// The ids of the pupils, guardians, cases and reports written.
        var recordIDs: [RecordID] { pupils.flatMap { [$0.pupil, $0.guardian] } + cases + reports }

        mutating func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }

        mutating func step(at school: TestNode) throws {
            let roll = pupils.isEmpty ? 0 : random.next() % 100
            let scopes: [[String]] = [[], ["identity"], ["sst_case"], ["identity", "sst_case"]]
            switch roll {
            case 0..<25:
                pupils.append(
                    try TestPupil(
                        at: school,
                        givenName: pick(["Åsa", "Björn", "Märta", "Örjan", "Ylva"]),
                        personnummer: Personnummer.number(
                            year: 2013,
                            month: 1,
                            day: Int(random.next() % 9 + 1),
                            serial: 0
                        )!,
                        consent: pick(scopes)
                    )
                )
            case 25..<40:
                reports.append(try pick(pupils).reportConcern(at: school))
            case 40..<55:
                cases.append(try pick(pupils).openCase(at: school))
            case 55..<70:
                try school.store.set(
                    entity: "pupil",
                    record: pick(pupils).pupil,
                    assignments: [("grade", String(random.next() % 9 + 1))]
                )
            case 70..<73 where !cases.isEmpty:
                try school.store.delete(entity: "case", record: pick(cases))
            case 73..<85 where !cases.isEmpty:
                let caseID = pick(cases)
                if random.next() % 2 == 0 {
                    try school.store.set(
                        entity: "intervention",
                        record: RecordID.random(),
                        assignments: [("case_id", caseID.rawValue), ("description", "Stöd \(random.next() % 100)")]
                    )
                } else {
                    try school.store.set(
                        entity: "case",
                        record: caseID,
                        assignments: [("plan", "Skolans plan \(random.next() % 100)")]
                    )
                }
            case 85..<89:
                // A consent withdrawn: the hub purges what it received under it.
                let pupil = pick(pupils)
                if let consent = try school.store.consentSummaries(pupil: pupil.pupil).first(where: {
                    $0.status == "active"
                }) {
                    try school.store.withdrawConsent(id: consent.id)
                    letGo += 1
                }
            case 89..<92:
                // Protected identity: the hub lets go of the identity it holds.
                try school.store.set(
                    entity: "pupil",
                    record: pick(pupils).pupil,
                    assignments: [("protected_identity", "true")]
                )
                letGo += 1
            default:
                try pick(pupils).grantConsent(at: school)
            }
        }

        /// Social services' writes at the hub, on what it holds: receipts of reports, and their own plans.
        mutating func hubStep(at hub: TestNode) throws {
            let held = try reports.filter { try hub.store.values("concern_report", $0) != nil }
            if !held.isEmpty {
                try hub.store.set(
                    entity: "concern_report",
                    record: pick(held),
                    assignments: [("received_at", "2026-11-02T08:00:00Z"), ("investigation_opened", "true")]
                )
            }
            let heldCases = try cases.filter { try hub.store.values("case", $0) != nil }
            if !heldCases.isEmpty {
                try hub.store.set(
                    entity: "case",
                    record: pick(heldCases),
                    assignments: [("plan", "Socialtjänstens plan \(random.next() % 100)")]
                )
            }
        }
    }

    /// A dump's records, parsed.
    static func records(_ dump: String) throws -> NSDictionary {
        let object = try JSONSerialization.jsonObject(with: Data(dump.utf8)) as? [String: Any]
        return try #require(object?["records"] as? NSDictionary)
    }

    /// The hub's records, less each tombstone (`_deleted`) that `reference` lacks on a record holding none of
    /// the school's values: a case deleted while its consent was in force, whose values the hub purged when
    /// the consent was withdrawn, stays deleted at the hub. (Dropping the tombstone would bring the record
    /// back to life there, with the hub's own values.)
    static func withoutKeptTombstones(_ dump: String, reference: String) throws -> NSDictionary {
        let expected = try records(reference)
        var entities = try records(dump) as? [String: [String: [String: Any]]] ?? [:]
        for (entity, records) in entities {
            for (id, fields) in records where fields[Schema.deletedField] != nil {
                let referenceFields = (expected[entity] as? [String: [String: Any]])?[id] ?? [:]
                let schoolValues = referenceFields.values.contains {
                    (($0 as? [String: Any])?["stamp"] as? String)?.hasSuffix("@hub-sodermalm") == false
                }
                if referenceFields[Schema.deletedField] == nil, !schoolValues {
                    entities[entity]?[id]?[Schema.deletedField] = nil
                }
            }
        }
        return entities as NSDictionary
    }

    /// One school of the district: its node and how the hub knows it.
    struct School: Sendable {
        let node: TestNode
        let peer: PeerIdentity

        init(_ id: String, _ name: String, district: TestDistrict) throws {
            node = try TestNode(id, school: name, stadsdel: "Södermalm", district: district)
            peer = PeerIdentity(node: node.identity.node, role: .school, school: name, stadsdel: "Södermalm")
        }
    }

    /// One sync of `school` through a faulty transport; returns the faults injected and whether it gave up.
    static func faultySync(
        _ school: School,
        port: Int,
        random: inout SplitMix64,
        seed: UInt64
    ) async throws -> (injected: [InjectedFault: Int], gaveUp: Bool) {
        let batchSize = 1 + Int(random.next() % 40)
        // One try per step ends the session at its first fault; the next round resumes it.
        let maxAttempts = 1 + Int(random.next() % 3)
        let faulty = Mutex<FaultyTransport?>(nil)
        var gaveUp = false
        let wrap: (any SyncTransport) -> any SyncTransport = { inner in
            let transport = FaultyTransport(inner, probability: 0.2, seed: seed)
            faulty.withLock { $0 = transport }
            return transport
        }
        do {
            _ = try await school.node.withSynchronizer(
                port: port,
                batchSize: batchSize,
                maxAttempts: maxAttempts,
                transport: wrap
            ) { try await $0.sync() }
        } catch let failure as SyncFailure {
            #expect(failure.isTransient, "seed \(seed): \(school.node.identity.node) was refused: \(failure)")
            gaveUp = true
        }
        return (faulty.withLock { $0?.injected ?? [:] }, gaveUp)
    }

    /// Two schools of the district sync with one hub.
    @Test(.timeLimit(.minutes(5)), arguments: 0..<Self.seeds)
    func faultsOnTheWayLoseNothingAndChangeNothing(seed: Int) async throws {
        let district = try TestDistrict()
        let hub = try TestNode("hub-sodermalm", role: .hub, stadsdel: "Södermalm", district: district)
        let ekbacken = try School("ekbacken-1", "Ekbackens skola", district: district)
        let skarpnack = try School("skarpnack-1", "Skarpnäcks skola", district: district)
        let schools = [ekbacken, skarpnack]
        let hubPeer = PeerIdentity(node: hub.identity.node, role: .hub, stadsdel: "Södermalm")
        let seedValue = UInt64(seed)
        let (summary, records, injected, gaveUp) = try await withHub(hub) { port in
            var histories = [0, 1].map {
                SchoolHistory(random: SplitMix64(seed: seedValue &* 0x9E37_79B9 &+ 1 &+ UInt64($0) << 32))
            }
            var injected: [InjectedFault: Int] = [:]
            var gaveUp = 0
            for round in 0..<6 {
                for (index, school) in schools.enumerated() {
                    for _ in 0..<(2 + Int(histories[index].random.next() % 5)) {
                        try histories[index].step(at: school.node)
                    }
                    try histories[index].hubStep(at: hub)
                    let outcome = try await Self.faultySync(
                        school,
                        port: port,
                        random: &histories[index].random,
                        seed: seedValue &* 100 &+ UInt64(round * 2 + index)
                    )
                    injected.merge(outcome.injected, uniquingKeysWith: +)
                    if outcome.gaveUp { gaveUp += 1 }
                }
            }
            for school in schools { try await school.node.sync(port: port) }
            let summary = histories.map { "\($0.pupils.count) pupils (\($0.letGo) withdrawn or protected)" }
            return (summary.joined(separator: " and "), histories.map(\.recordIDs), injected, gaveUp)
        }

        // The hub: as a fresh hub that gets the hub's own writes and each school's whole export in one set.
        let reference = try Store.inMemory(
            identity: NodeIdentity(node: NodeID("hub-reference")!, role: .hub, stadsdel: "Södermalm"),
            physicalClock: hub.clock
        )
        let hubHolds = try hub.store.exportChanges(since: 0)
        try reference.apply(
            ChangeSet(
                origin: hub.identity.node,
                side: .social,
                since: 0,
                upTo: hubHolds.upTo,
                changes: hubHolds.changes.filter { $0.stamp.node == hub.identity.node }
            )
        )
        var crossed = 0
        for school in schools {
            let export = try school.node.store.exportChanges(forSide: .social, peer: hubPeer, since: 0).changeSet
            try reference.apply(export, from: school.peer)
            crossed += export.changes.count
        }
        #expect(
            try Self.withoutKeptTombstones(hub.store.dumpText(), reference: reference.dumpText())
                == Self.records(reference.dumpText()),
            "seed \(seed): the hub differs from the reference"
        )

        for (index, school) in schools.enumerated() {
            // Everything the hub may send the school is there already…
            let again = try school.node.store.apply(
                try hub.store.exportChanges(for: school.peer, since: 0),
                from: hubPeer
            )
            #expect(again.applied == 0, "seed \(seed): \(school.peer.node) lacked \(again.applied) hub changes")
            // …and nothing of the other school's is.
            let dump = try school.node.store.dumpText()
            let foreign = records[1 - index].filter { dump.contains($0.rawValue) }
            #expect(foreign.isEmpty, "seed \(seed): \(school.peer.node) holds the other school's \(foreign)")
        }

        #expect(injected.values.reduce(0, +) > 0, "seed \(seed): no fault was injected")
        print(
            "faults, seed \(seed): \(summary), \(crossed) fields crossed; injected "
                + "\(injected.map { "\($0.value) \($0.key.rawValue)" }.sorted().joined(separator: ", ")); "
                + "\(gaveUp) of 12 sessions gave up"
        )
    }
}
