import Foundation
import SSTCore
import SSTStore

// The parts of B10 (SweepFigure) that make its data, its pushes and its background sweep.

/// The system clock moved forward: the hub's clock some days after it received the data.
struct LaterClock: PhysicalClock {
    let offsetMilliseconds: UInt64

    func milliseconds() -> UInt64 { SystemClock().milliseconds() + offsetMilliseconds }
}

/// Shortens every `every`-th consent record of a stream of field changes (its `valid_until` becomes `until`) and
/// remembers whose consents they are. A record may be split between two chunks of the stream.
struct Lapsing {
    let every: Int
    let until: Value
    private(set) var lapsedPupils: Set<RecordID> = []
    /// Every consent record seen, and whether it is short.
    private var short: [RecordID: Bool] = [:]

    init(every: Int, until: Value) {
        self.every = every
        self.until = until
    }

    mutating func shorten(_ changes: inout [FieldChange]) {
        for index in changes.indices where changes[index].entity == EntityName.consent {
            let change = changes[index]
            let isShort: Bool
            if let known = short[change.record] {
                isShort = known
            } else {
                isShort = short.count % every == 0
                short[change.record] = isShort
            }
            guard isShort else { continue }
            if change.field == FieldName.pupilID, case .string(let text) = change.value, let pupil = RecordID(text) {
                lapsedPupils.insert(pupil)
            }
            if change.field == FieldName.validUntil {
                changes[index] = FieldChange(
                    entity: change.entity,
                    record: change.record,
                    field: change.field,
                    state: FieldState(value: until, stamp: change.stamp)
                )
            }
        }
    }
}

/// Keeps the grade and class of every `step`-th pupil whose consent stays in force (the pupil's record comes after
/// the family's consent, so its consent is known by then).
struct Sampler {
    let step: Int
    private(set) var sample: [FieldChange] = []
    private var pupils = 0

    init(step: Int) {
        self.step = step
    }

    mutating func keep(_ changes: [FieldChange], unless lapsed: Set<RecordID>) {
        var lastPupil: RecordID?
        for change in changes where change.entity == EntityName.pupil {
            if change.record != lastPupil {
                lastPupil = change.record
                pupils += 1
            }
            guard pupils % step == 0, !lapsed.contains(change.record),
                change.field == FieldName.grade || change.field == FieldName.className
            else { continue }
            sample.append(change)
        }
    }
}

/// The school's pushes: change sets of newer grades and classes, numbered on from what the hub holds.
struct Pushes {
    var workload: Workload
    let sample: [FieldChange]
    var upTo: Int64
    /// The school's policy, the same as the hub's (a crossing set carries it).
    let policyHash: String

    mutating func next() -> ChangeSet {
        let changes = workload.edits(SweepFigure.pushChanges, of: sample)
        defer { upTo += Int64(changes.count) }
        return ChangeSet(
            origin: SweepFigure.school.node,
            side: .school,
            since: upTo,
            upTo: upTo + Int64(changes.count),
            changes: changes,
            policyHash: policyHash
        )
    }
}

/// The whole-store sweep on a thread of its own, and its outcome and time.
final class BackgroundSweep: @unchecked Sendable {
    private let condition = NSCondition()
    private var outcome: Result<(SweepReport, Double), any Error>?

    init(_ store: Store) {
        let thread = Thread { [self] in
            let start = Measure.now()
            let result = Result { try store.sweepConsents() }.map { ($0, Measure.now() - start) }
            condition.lock()
            outcome = result
            condition.broadcast()
            condition.unlock()
        }
        thread.start()
    }

    var isDone: Bool {
        condition.lock()
        defer { condition.unlock() }
        return outcome != nil
    }

    func wait() throws -> (SweepReport, Double) {
        condition.lock()
        defer { condition.unlock() }
        while outcome == nil { condition.wait() }
        return try outcome!.get()
    }
}
