import Foundation
import SSTCore
import SSTStore
import SSTTestSupport

/// One replica in a simulated history: an in-memory store (real SQLite) and its own physical clock.
struct Replica {
    let node: NodeID
    let store: Store
    let clock: TestPhysicalClock
}

/// Random histories of local writes and partial, reordered, duplicated, regrouped or lost exchanges
/// between 3–5 replicas, with wall clocks that drift and jump back. Records every local write so a
/// reference model can say what the merged state must be.
struct RandomHistory {
    static let startTime: UInt64 = 1_800_000_000_000

    var rng: SplitMix64
    private(set) var replicas: [Replica]
    var time = startTime
    let pupils: [RecordID]
    let cases: [RecordID]
    let consents: [RecordID]
    /// Every change written locally on any replica, in the order written.
    private(set) var writes: [FieldChange] = []
    /// Exchanges refused because a clock was too far ahead (each checked to have changed nothing).
    private(set) var refusedExchanges = 0
    /// Where backups go when the history backs replicas up and restores them (`nil`: it never does).
    let backupDirectory: TemporaryDirectory?
    /// Per replica index, its pending backup: the file, and how many writes the history had then.
    private var backups: [Int: (path: String, writes: Int)] = [:]
    /// Replicas restored from a backup so far (each rejoined under a new node id).
    private(set) var restores = 0
    /// Restores after which a value the replica held was held nowhere else (not by its backup, not by another
    /// replica): the history then lost a write, and only convergence can be checked, not the reference model.
    private(set) var lossyRestores = 0

    /// With `restoring`, some steps back a replica up, or restore it from its backup under a new node id.
    init(seed: UInt64, replicaCount: Int? = nil, restoring: Bool = false) throws {
        backupDirectory = restoring ? try TemporaryDirectory() : nil
        var rng = SplitMix64(seed: seed)
        let count = replicaCount ?? Int.random(in: 3...5, using: &rng)
        replicas = try (0..<count).map { index in
            let node = NodeID("school-\(index)")!
            let clock = TestPhysicalClock(Self.startTime)
            let identity = NodeIdentity(node: node, role: .school, school: "Ekbackens skola")
            return Replica(
                node: node,
                store: try Store.inMemory(identity: identity, physicalClock: clock),
                clock: clock
            )
        }
        pupils = (0..<2).map { _ in RecordID.random(using: &rng) }
        cases = (0..<2).map { _ in RecordID.random(using: &rng) }
        consents = (0..<2).map { _ in RecordID.random(using: &rng) }
        self.rng = rng
    }

    /// One random step: mostly writes, some exchanges, now and then a clock jump.
    mutating func step() throws {
        time += UInt64.random(in: 0...3_000, using: &rng)
        for replica in replicas where Int.random(in: 0..<20, using: &rng) == 0 {
            // Drift within a minute, or (rarely) a wall clock set an hour back.
            let back = Int.random(in: 0..<4, using: &rng) == 0
            replica.clock.set(back ? time - 3_600_000 : time + UInt64.random(in: 0...60_000, using: &rng))
        }
        if backupDirectory != nil, Int.random(in: 0..<20, using: &rng) == 0 {
            try backUpOrRestore(Int.random(in: 0..<replicas.count, using: &rng))
            return
        }
        let roll = Int.random(in: 0..<10, using: &rng)
        if roll < 6 {
            try write(on: replicas.randomElement(using: &rng)!)
        } else {
            let pair = replicas.shuffled(using: &rng).prefix(2)
            try exchange(from: pair.first!, to: pair.last!)
        }
    }

    /// Puts every wall clock right and exchanges everything, all to all, twice: each set from where the target's
    /// cursor for the source stands (as a sync does) with `fromCursors`, else from the start.
    mutating func settle(fromCursors: Bool = false) throws {
        time += 1_000
        for replica in replicas { replica.clock.set(time) }
        for _ in 0..<2 {
            for source in replicas {
                for target in replicas where target.node != source.node {
                    let since = fromCursors ? try target.store.cursor(for: source.node) : 0
                    try target.store.apply(try source.store.exportChanges(since: since))
                }
            }
        }
    }

    // MARK: Writes

    private mutating func write(on replica: Replica) throws {
        let store = replica.store
        do {
            switch Int.random(in: 0..<16, using: &rng) {
            case 0..<3:
                let names = ["Åsa", "Örjan", "Märta", "Ali", "Noor", "Elsa"]
                writes += try store.set(
                    entity: "pupil",
                    record: pupils.randomElement(using: &rng)!,
                    values: [
                        "given_name": .string(names.randomElement(using: &rng)!),
                        "grade": .integer(Int64.random(in: 4...9, using: &rng)),
                    ]
                )
            case 3..<6:
                writes += try writePhase(on: store, record: cases.randomElement(using: &rng)!)
            case 6..<10:
                writes += try writePlan(on: store, record: cases.randomElement(using: &rng)!)
            case 10..<13:
                writes += try writeConsentStatus(on: store, record: consents.randomElement(using: &rng)!)
            case 13, 14:
                let entity = Bool.random(using: &rng) ? "case" : "pupil"
                let record = (entity == "case" ? cases : pupils).randomElement(using: &rng)!
                writes.append(try store.delete(entity: entity, record: record))
            default:
                if Int.random(in: 0..<4, using: &rng) == 0 {
                    writes.append(try store.purge(entity: "pupil", record: pupils.randomElement(using: &rng)!))
                }
            }
        } catch let error as StoreError where error.code == .purged {
            // Writing a purged record is refused; that is the rule, not a failure.
        }
    }

    private mutating func writePhase(on store: Store, record: RecordID) throws -> [FieldChange] {
        guard case .phase(let current)? = try store.record(entity: "case", record: record)?["phase"]?.value else {
            return try store.set(
                entity: "case",
                record: record,
                values: ["phase": .phase(Phase(generation: 1, step: .noticed))]
            )
        }
        if current.step == .closed && Bool.random(using: &rng) {
            return [try store.reopen(entity: "case", record: record)]
        }
        let forward = Phase.Step.allCases.filter { $0 >= current.step }
        let next = Phase(generation: current.generation, step: forward.randomElement(using: &rng)!)
        return try store.set(entity: "case", record: record, values: ["phase": .phase(next)])
    }

    private mutating func writePlan(on store: Store, record: RecordID) throws -> [FieldChange] {
        let text = "plan \(writes.count) från \(Int.random(in: 0..<1000, using: &rng))"
        let inConflict = try store.conflicts().contains { $0.record == record && $0.field == "plan" }
        if inConflict && Bool.random(using: &rng) {
            return [try store.resolveConflict(entity: "case", record: record, field: "plan", value: .string(text))]
        }
        return try store.set(entity: "case", record: record, values: ["plan": .string(text)])
    }

    private mutating func writeConsentStatus(on store: Store, record: RecordID) throws -> [FieldChange] {
        let current = try store.record(entity: "consent", record: record)?["status"]?.value
        var statuses = Schema.consentStatuses
        if current == .string("withdrawn") { statuses = ["withdrawn"] }
        let status = statuses.randomElement(using: &rng)!
        return try store.set(entity: "consent", record: record, values: ["status": .string(status)])
    }

    // MARK: Backups

    /// Backs the replica up (`Store.backup`), or, when it has a backup, restores it from there and rejoins it
    /// under a new node id, as `sst node rejoin` does.
    private mutating func backUpOrRestore(_ index: Int) throws {
        let replica = replicas[index]
        guard let backup = backups.removeValue(forKey: index) else {
            let path = backupDirectory!.path("backup-\(index)-\(writes.count)-\(restores).sqlite")
            _ = try replica.store.backup(to: path)
            backups[index] = (path, writes.count)
            return
        }
        let restored = try Store.open(at: backup.path, physicalClock: replica.clock)
        var elsewhere = try held(in: restored)
        for other in replicas.indices where other != index { elsewhere.formUnion(try held(in: replicas[other].store)) }
        if try !held(in: replica.store).isSubset(of: elsewhere) { lossyRestores += 1 }
        restores += 1
        let node = NodeID("school-r\(restores)")!
        try restored.rejoin(as: node)
        replicas[index] = Replica(node: node, store: restored, clock: replica.clock)
    }

    /// A value a store holds: a field's value or a concurrent value beside it, by its stamp.
    struct HeldValue: Hashable {
        let entity: String
        let record: RecordID
        let field: String
        let stamp: Stamp
    }

    /// Every value `store` holds of the records the history wrote.
    private func held(in store: Store) throws -> Set<HeldValue> {
        var values: Set<HeldValue> = []
        for key in Set(writes.map { ReferenceModel.FieldKey(entity: $0.entity, record: $0.record, field: "") }) {
            for (field, state) in try store.record(entity: key.entity, record: key.record) ?? [:] {
                values.insert(HeldValue(entity: key.entity, record: key.record, field: field, stamp: state.stamp))
            }
        }
        for conflict in try store.conflicts() {
            for other in conflict.others {
                values.insert(
                    HeldValue(
                        entity: conflict.entity,
                        record: conflict.record,
                        field: conflict.field,
                        stamp: other.stamp
                    )
                )
            }
        }
        return values
    }

    // MARK: Exchanges

    /// Sends what `source` has after `target`'s cursor (or everything), delivered whole, or split into
    /// groups that are shuffled, duplicated and sometimes lost.
    private mutating func exchange(from source: Replica, to target: Replica) throws {
        let since = Bool.random(using: &rng) ? try target.store.cursor(for: source.node) : 0
        let changeSet = try source.store.exportChanges(since: since)
        var deliveries: [ChangeSet] = [changeSet]
        if Bool.random(using: &rng) && changeSet.changes.count > 1 {
            // Regrouped sets claim no sequence range, so a lost group never advances the cursor.
            let groups = changeSet.changes.shuffled(using: &rng).chunked(Int.random(in: 1...3, using: &rng))
            deliveries = groups.map { ChangeSet(origin: source.node, side: .school, since: 0, upTo: 0, changes: $0) }
            deliveries += deliveries.filter { _ in Int.random(in: 0..<4, using: &rng) == 0 }
            deliveries = deliveries.shuffled(using: &rng).filter { _ in Int.random(in: 0..<8, using: &rng) != 0 }
        }
        for delivery in deliveries {
            do {
                try target.store.apply(delivery)
            } catch let error as ChangeSetError where error.code == .clockAhead {
                refusedExchanges += 1
                let before = try target.store.dumpText()
                _ = try? target.store.apply(delivery)
                guard try target.store.dumpText() == before else {
                    throw HistoryFailure("a refused change set changed the store")
                }
            }
        }
    }
}

struct HistoryFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Array {
    /// The array cut into `count` consecutive, non-empty pieces (fewer if it is shorter).
    func chunked(_ count: Int) -> [[Element]] {
        let size = Swift.max(1, (self.count + count - 1) / count)
        return stride(from: 0, to: self.count, by: size).map { Array(self[$0..<Swift.min($0 + size, self.count)]) }
    }
}
