import Foundation
import SSTCore
import SSTPrivacy
import SSTStore

/// B10: how long a school's push waits behind the hub's periodic whole-store consent sweep (issue 21, item 3).
///
/// A hub store (a file, as `sst init --role hub` makes it) receives N field values from a school node
/// (`apply(_:from:)` with the school's identity, in change sets of ``buildChunk``): pupils of consented families,
/// each family's consent just before its data, generated and applied in chunks so that memory stays flat. Every
/// ``lapsedEvery``-th consent is valid only until two days after the build; the others for 300 days. The closed
/// store is the template of every run.
///
/// Each run opens a fresh copy of the template on a clock ``clockAdvanceDays`` days later, so the short consents
/// have expired there and the sweep has a tenth of the pupils to purge. First the school pushes change sets of
/// ``pushChanges`` field changes (newer grades and classes of pupils whose consent is still in force) back to
/// back with no sweep running: the baseline. Then the whole-store sweep (`sweepConsents()` with no pupils, what
/// the hub's `ConsentSweepService` runs) starts on a thread of its own while this thread goes on pushing back to
/// back until it ends. Each push's latency is the wall time of its `apply(_:from:)`: its own work and whatever
/// it waited for. A push that began before the sweep ended counts as one during the sweep.
struct SweepFigure {
    let scratch: Scratch
    let runs: Int
    /// Field values the hub holds before the sweep (consents included), all received from the school.
    let values: Int
    /// Pushes of the baseline, with no sweep running.
    let baselinePushes: Int

    /// Field changes in each pushed change set.
    static let pushChanges = 50
    /// One consent in this many is short: its pupil's values lapse (about a tenth of the values).
    static let lapsedEvery = 10
    /// How many days after the build the hub's clock stands in the runs; short consents end two days after it.
    static let clockAdvanceDays: UInt64 = 10
    /// Field changes of each change set that builds the hub.
    static let buildChunk = 50_000
    /// Untimed pushes before the baseline's, so that it does not measure a cold start.
    static let warmUpPushes = 5
    /// The target: the longest push wait during the sweep, in seconds, at 10M values.
    static let targetSeconds = 0.1
    static let targetValues = 10_000_000

    /// The school node that sent everything the hub holds, and pushes during the runs.
    static let school = NodeIdentity(
        node: Workload.origin,
        role: .school,
        school: "Ekbackens skola",
        stadsdel: "Södermalm"
    )

    /// What one run measured.
    private struct Run {
        var quiet: [Double]
        var busy: [Double]
        /// When the longest push during the sweep began, in seconds after the sweep began.
        var longestBusyStart: Double
        /// The checkpointer's longest work during the sweep, and when each began (seconds after the sweep began).
        var checkpoints: [(name: String, milliseconds: Double, began: Double)]
        var sweepSeconds: Double
        var report: SweepReport
    }

    func measure() throws -> [Figure] {
        let built = try buildTemplate()
        defer { scratch.remove(built.directory) }
        var measured: [Run] = []
        for _ in 0..<runs {
            measured.append(try run(built))
        }
        return figures(measured, lapsedPupils: built.lapsedPupils)
    }

    // MARK: The hub

    /// The template hub, closed, and what the runs need to push on top of it.
    private struct Template {
        let directory: String
        let database: String
        /// The workload after the build: the pushes' stamps come after every stamp the hub holds.
        let workload: Workload
        /// Pupils' grade and class values of pupils whose consent stays in force, spread over the whole store.
        let sample: [FieldChange]
        /// The school's sequence number the hub has received everything up to.
        let upTo: Int64
        let lapsedPupils: Int
    }

    private func buildTemplate() throws -> Template {
        let peer = District.peer(Self.school)
        // A stamp per record, one millisecond apart, all in the past: start further back than there are values.
        let start = SystemClock().milliseconds() - UInt64(values) - 3_600_000
        var workload = Workload(
            consentedSeed: 10,
            startMilliseconds: start,
            school: Self.school.school!,
            stadsdel: Self.school.stadsdel!,
            writer: Workload.origin
        )
        workload.inlineConsents = true
        let shortUntil = CivilDate(millisecondsSinceEpoch: SystemClock().milliseconds() + 2 * 86_400_000)
        var lapsing = Lapsing(every: Self.lapsedEvery, until: .string(shortUntil.description))
        // About 40 field changes per family: keep the grade and class of some 5 000 pupils.
        var sampler = Sampler(step: max(1, values / 40 / 5_000))
        let template = try scratch.dataDirectory("b10-hub")
        var upTo: Int64 = 0
        do {
            // The store closes (and checkpoints its WAL) at the end of this block, before it is copied.
            let hub = try Store.create(at: template.database, identity: District.hub)
            var held = 0
            while held < values {
                var batch = workload.newChanges(min(Self.buildChunk, values - held))
                lapsing.shorten(&batch)
                sampler.keep(batch, unless: lapsing.lapsedPupils)
                let set = ChangeSet(
                    origin: Self.school.node,
                    side: .school,
                    since: upTo,
                    upTo: upTo + Int64(batch.count),
                    changes: batch,
                    policyHash: hub.policy.hash
                )
                let report = try hub.apply(set, from: peer)
                guard report.applied == batch.count else {
                    throw BenchError("B10: the hub applied \(report.applied) of \(batch.count) changes while built")
                }
                upTo += Int64(batch.count)
                held += batch.count
            }
        }
        guard !sampler.sample.isEmpty, !lapsing.lapsedPupils.isEmpty else {
            throw BenchError("B10: \(values) values are too few for a pupil whose consent lapses and one whose stays")
        }
        return Template(
            directory: template.directory,
            database: template.database,
            workload: workload,
            sample: sampler.sample,
            upTo: upTo,
            lapsedPupils: lapsing.lapsedPupils.count
        )
    }

    // MARK: One run

    private func run(_ template: Template) throws -> Run {
        let copy = try scratch.dataDirectory("b10-run")
        defer { scratch.remove(copy.directory) }
        try FileManager.default.copyItem(atPath: template.database, toPath: copy.database)
        // The copy is on disk before the run: otherwise the hub's first checkpoint, syncing the database file,
        // writes the gigabytes of the copy out itself (885 ms measured in one push), which no hub in service has
        // pending.
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: copy.database))
        try file.synchronize()
        try file.close()
        let hub = try Store.open(
            at: copy.database,
            physicalClock: LaterClock(offsetMilliseconds: Self.clockAdvanceDays * 86_400_000)
        )
        // As `sst hub serve` runs it: the log checkpointed on a thread of its own, not by the pushes' commits.
        return try hub.withBackgroundCheckpoints {
            let peer = District.peer(Self.school)
            var pushes = Pushes(
                workload: template.workload,
                sample: template.sample,
                upTo: template.upTo,
                policyHash: hub.policy.hash
            )
            func push() throws -> Double {
                let set = pushes.next()
                var applied = 0
                let seconds = try Measure.seconds { applied = try hub.apply(set, from: peer).applied }
                guard applied == set.changes.count else {
                    throw BenchError("B10: the hub applied \(applied) of a push's \(set.changes.count) changes")
                }
                return seconds
            }
            for _ in 0..<Self.warmUpPushes { _ = try push() }
            var quiet: [Double] = []
            for _ in 0..<baselinePushes { quiet.append(try push()) }

            hub.resetCheckpointTimings()
            let sweepInstant = ContinuousClock.now
            let sweep = BackgroundSweep(hub)
            let sweepStart = Measure.now()
            var busy: [Double] = []
            var (longest, longestBusyStart) = (0.0, 0.0)
            repeat {
                let start = Measure.now() - sweepStart
                let seconds = try push()
                if seconds > longest { (longest, longestBusyStart) = (seconds, start) }
                busy.append(seconds)
            } while !sweep.isDone
            let (report, sweepSeconds) = try sweep.wait()
            let timings = hub.checkpointTimings ?? CheckpointTimings()
            var checkpoints = [
                ("passive", timings.passive), ("sync", timings.sync), ("restart", timings.restart),
                ("writer's", timings.writer), ("erasure", timings.erasure),
            ].map { name, longest in
                let began = longest.began.map { ($0 - sweepInstant).inSeconds }
                return (name: name, milliseconds: longest.seconds * 1000, began: began ?? -1)
            }
            let write = report.longestWriteBegan.map { ($0 - sweepInstant).inSeconds }
            checkpoints.append(
                (name: "the sweep's write", milliseconds: report.longestWrite * 1000, began: write ?? -1)
            )
            guard report.pupils.count == template.lapsedPupils, report.purgedFields > 0 else {
                throw BenchError(
                    "B10: the sweep purged \(report.purgedFields) values of \(report.pupils.count) pupils; "
                        + "\(template.lapsedPupils) pupils' consents had lapsed"
                )
            }
            return Run(
                quiet: quiet,
                busy: busy,
                longestBusyStart: longestBusyStart,
                checkpoints: checkpoints,
                sweepSeconds: sweepSeconds,
                report: report
            )
        }
    }

    // MARK: The figures

    private func figures(_ measured: [Run], lapsedPupils: Int) -> [Figure] {
        let ms = { (seconds: Double) in seconds * 1000 }
        let p99Busy = measured.map { FanInFigure.percentile($0.busy, 0.99) }
        let p99Quiet = measured.map { FanInFigure.percentile($0.quiet, 0.99) }
        let maxBusy = measured.map { $0.busy.max()! }.max()!
        let maxQuiet = measured.map { $0.quiet.max()! }.max()!
        let atTarget = values >= Self.targetValues
        let met = maxBusy <= Self.targetSeconds
        let last = measured.last!
        let p99 = Figure(
            id: "B10",
            title: "push latency p99 while the whole-store consent sweep of \(values) values runs",
            value: ms(Measure.median(p99Busy)),
            unit: "ms",
            baseline: ms(Measure.median(p99Quiet)),
            baselineUnit: "ms",
            baselineTitle: "the same pushes with no sweep running",
            ratio: Measure.median(zip(p99Busy, p99Quiet).map { $0 / $1 }),
            target: "none (the bound is on the longest wait)",
            verdict: .info,
            note: String(
                format: "pushes of %d field changes back to back; median push %.1f ms during the sweep (%.1f ms "
                    + "without); %d pushes during the sweep, %d without (medians of the runs); the sweep took %.2f s "
                    + "(median), purging %d values of %d pupils whose consent had lapsed (%.1f %% of the values)",
                Self.pushChanges,
                ms(Measure.median(measured.map { Measure.median($0.busy) })),
                ms(Measure.median(measured.map { Measure.median($0.quiet) })),
                Int(Measure.median(measured.map { Double($0.busy.count) })),
                Int(Measure.median(measured.map { Double($0.quiet.count) })),
                Measure.median(measured.map(\.sweepSeconds)),
                last.report.purgedFields,
                lapsedPupils,
                100 * Double(last.report.purgedFields) / Double(values)
            )
        )
        let longest = Figure(
            id: "B10",
            title: "longest push wait while the sweep runs (worst of the runs)",
            value: ms(maxBusy),
            unit: "ms",
            baseline: ms(maxQuiet),
            baselineUnit: "ms",
            baselineTitle: "the longest with no sweep running",
            ratio: maxBusy / maxQuiet,
            target: "≤ 100 ms at 10M values",
            verdict: atTarget ? (met ? .met : .missed) : .info,
            note: (atTarget ? "" : "\(values) values: the target is at \(Self.targetValues) (--sweep-values); ")
                + "the longest push of each run began at "
                + measured.map { String(format: "%.1f s of %.1f s", $0.longestBusyStart, $0.sweepSeconds) }
                .joined(separator: ", ")
                + " of the sweep; the longest work of the checkpointer and the sweep's longest write "
                + "during each run's sweep "
                + "(ms, began at s): "
                + measured.map { run in
                    run.checkpoints.map { "\($0.name) " + String(format: "%.1f at %.1f", $0.milliseconds, $0.began) }
                        .joined(separator: ", ")
                }.joined(separator: "; ")
        )
        return [p99, longest]
    }
}
