import Foundation
import SSTCore
import SSTStore
import SSTTestSupport
import Testing

/// Property tests over random histories on 3–5 replicas (DESIGN §3): whatever the delivery order,
/// duplication, grouping, loss and clock trouble, replicas converge to identical dumps, and to the state a
/// reference model computes from the writes alone.
@Suite struct ConvergencePropertyTests {
    @Test(.timeLimit(.minutes(20)))
    func randomHistoriesConvergeToTheReferenceModel() async throws {
        // Minutes of synchronous work: on a thread of its own, not one of the async tests' pool.
        let failure = try await onOwnThread { () -> String? in
            let count = PropertyRun.histories(default: 300)
            for index in 0..<count {
                let seed = PropertyRun.baseSeed &+ UInt64(index)
                do {
                    try ConvergencePropertyTests().checkHistory(seed: seed, steps: 60)
                } catch {
                    return "history with seed \(seed) failed (replay: SST_PROPERTY_SEED=\(seed) "
                        + "SST_PROPERTY_HISTORIES=1): \(error)"
                }
            }
            return nil
        }
        if let failure { Issue.record(Comment(rawValue: failure)) }
    }

    @Test(.timeLimit(.minutes(10)))
    func everyDeliveryOrderGroupingAndDuplicationGivesTheSameDump() async throws {
        let failure = try await onOwnThread { () -> String? in
            let count = max(1, PropertyRun.histories(default: 300) / 10)
            for index in 0..<count {
                let seed = PropertyRun.baseSeed &+ 1_000_000 &+ UInt64(index)
                do {
                    try ConvergencePropertyTests().checkDeliveryOrders(seed: seed)
                } catch {
                    return "delivery orders with seed \(seed) failed: \(error)"
                }
            }
            return nil
        }
        if let failure { Issue.record(Comment(rawValue: failure)) }
    }

    /// Replicas are backed up and, at random later points, restored from their backups under new node ids
    /// (`Store.rejoin`, as `sst node rejoin`): after a full exchange from the cursors (as syncs do; a replica
    /// restored under its old id would leave the others' cursors past its new changes) every replica dumps the
    /// same state, and where no restore lost a value (one the replica held and nothing else did), the reference model's state.
    @Test(.timeLimit(.minutes(10)))
    func randomHistoriesWithRestoresFromBackupsConvergeUnderNewIDs() async throws {
        let (failure, restores, modelChecked) = try await onOwnThread { () -> (String?, Int, Int) in
            let count = max(1, PropertyRun.histories(default: 300) / 10)
            var restores = 0
            var modelChecked = 0
            for index in 0..<count {
                let seed = PropertyRun.baseSeed &+ 2_000_000 &+ UInt64(index)
                do {
                    // Two replicas (a school and its hub) half the time: no third one relays what a cursor skipped.
                    var history = try RandomHistory(
                        seed: seed,
                        replicaCount: index % 2 == 0 ? 2 : nil,
                        restoring: true
                    )
                    for _ in 0..<80 { try history.step() }
                    try history.settle(fromCursors: true)
                    let dumps = try history.replicas.map { try $0.store.dumpText() }
                    guard Set(dumps).count == 1 else {
                        throw HistoryFailure("replicas dump different states after a full exchange")
                    }
                    restores += history.restores
                    guard history.lossyRestores == 0 else { continue }
                    let model = ReferenceModel(writes: history.writes, schema: .sst)
                    for replica in history.replicas {
                        try ConvergencePropertyTests().compare(replica.store, with: model, writes: history.writes)
                    }
                    if history.restores > 0 { modelChecked += 1 }
                } catch {
                    let replay = "SST_PROPERTY_SEED=\(seed &- 2_000_000) SST_PROPERTY_HISTORIES=1"
                    return ("history with seed \(seed) failed (replay: \(replay)): \(error)", restores, modelChecked)
                }
            }
            return (nil, restores, modelChecked)
        }
        if let failure {
            Issue.record(Comment(rawValue: failure))
            return
        }
        #expect(restores > 0 && modelChecked > 0, "\(restores) restores, \(modelChecked) histories with one checked")
    }

    /// Runs one history, checking after every step that no replica's case phase moved back and no
    /// withdrawn consent came back, then settles and compares every replica with the reference model.
    private func checkHistory(seed: UInt64, steps: Int) throws {
        var history = try RandomHistory(seed: seed)
        var monotonic = MonotonicityWatch()
        for _ in 0..<steps {
            try history.step()
            try monotonic.check(history)
        }
        try history.settle()
        try monotonic.check(history)
        let dumps = try history.replicas.map { try $0.store.dumpText() }
        guard Set(dumps).count == 1 else {
            throw HistoryFailure("replicas dump different states after a full exchange")
        }
        let model = ReferenceModel(writes: history.writes, schema: .sst)
        for replica in history.replicas {
            try compare(replica.store, with: model, writes: history.writes)
        }
    }

    private func compare(_ store: Store, with model: ReferenceModel, writes: [FieldChange]) throws {
        let records = Set(writes.map { ReferenceModel.FieldKey(entity: $0.entity, record: $0.record, field: "") })
        for key in records {
            let fields = try store.record(entity: key.entity, record: key.record) ?? [:]
            if let purge = model.isPurged(entity: key.entity, record: key.record) {
                guard fields.keys.sorted() == [Schema.purgedField], fields[Schema.purgedField]?.stamp == purge else {
                    throw HistoryFailure(
                        "\(key.entity) \(key.record) should hold only its purge marker \(purge): \(fields)"
                    )
                }
                continue
            }
            for (fieldKey, expected) in model.winners
            where fieldKey.entity == key.entity && fieldKey.record == key.record {
                let actual = fields[fieldKey.field]
                guard actual?.stamp == expected.stamp, actual?.value == expected.value else {
                    throw HistoryFailure(
                        "\(fieldKey.entity) \(fieldKey.record) \(fieldKey.field): expected \(expected.value) at "
                            + "\(expected.stamp), store has \(String(describing: actual))"
                    )
                }
            }
        }
        let conflicts = try store.conflicts()
        let actual = Dictionary(
            uniqueKeysWithValues: conflicts.map {
                (
                    ReferenceModel.FieldKey(entity: $0.entity, record: $0.record, field: $0.field),
                    Set($0.others.map(\.stamp))
                )
            }
        )
        let expected = model.conflicts.mapValues { Set($0.map(\.stamp)) }
        guard actual == expected else {
            throw HistoryFailure("conflicts differ from the model: store \(actual), model \(expected)")
        }
    }

    /// Collects change sets from replicas that only wrote locally (plus relays), then applies them to
    /// fresh replicas in shuffled orders, duplicated and regrouped: every fresh replica must dump the same.
    private func checkDeliveryOrders(seed: UInt64) throws {
        var history = try RandomHistory(seed: seed)
        for _ in 0..<40 { try history.step() }
        var rng = SplitMix64(seed: seed ^ 0xDE11_7E11)
        let sets = try history.replicas.map { try $0.store.exportChanges(since: 0) }
        let allChanges = sets.flatMap(\.changes)
        var reference: String?
        for _ in 0..<6 {
            let clock = TestPhysicalClock(history.time + 120_000)
            let identity = NodeIdentity(node: NodeID("fresh")!, role: .school, school: "Ekbackens skola")
            let fresh = try Store.inMemory(identity: identity, physicalClock: clock)
            var deliveries = sets + sets.filter { _ in Bool.random(using: &rng) }
            if Bool.random(using: &rng) {
                deliveries = allChanges.shuffled(using: &rng).chunked(Int.random(in: 1...7, using: &rng)).map {
                    ChangeSet(origin: NodeID("relay")!, side: .school, since: 0, upTo: 0, changes: $0)
                }
            }
            for delivery in deliveries.shuffled(using: &rng) { try fresh.apply(delivery) }
            let dump = try fresh.dumpText()
            if let reference, reference != dump {
                throw HistoryFailure("a different delivery order gave a different dump")
            }
            reference = dump
        }
    }
}

/// Remembers, per replica, the greatest case phase and the withdrawn consents seen so far.
private struct MonotonicityWatch {
    var phases: [String: Phase] = [:]
    var withdrawn: Set<String> = []

    mutating func check(_ history: RandomHistory) throws {
        for replica in history.replicas {
            for record in history.cases {
                guard
                    case .phase(let phase)? = try replica.store.record(entity: "case", record: record)?["phase"]?.value
                else { continue }
                let key = "\(replica.node) \(record)"
                if let previous = phases[key], phase < previous {
                    throw HistoryFailure("case phase moved back from \(previous) to \(phase) on \(replica.node)")
                }
                phases[key] = phase
            }
            for record in history.consents {
                let status = try replica.store.record(entity: "consent", record: record)?["status"]?.value
                let key = "\(replica.node) \(record)"
                if withdrawn.contains(key), status != .string("withdrawn") {
                    throw HistoryFailure("a withdrawn consent became \(String(describing: status)) on \(replica.node)")
                }
                if status == .string("withdrawn") { withdrawn.insert(key) }
            }
        }
    }
}
