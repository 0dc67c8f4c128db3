import Foundation
import SSTCore
import SSTPrivacy
import SSTStore

/// B8: a district-sized hub (issue 21). A hub store (a file, as `sst init --role hub` makes it) holds a year of
/// history of S schools in the fourteen stadsdelar of Stockholm, P pupils each: every pupil's family (the consent,
/// the pupil, a guardian, ``absencePeriods`` absence periods and a case, 100 field values) sent by the school's
/// node (`apply(_:from:)` with that node's identity, in change sets of ``buildChunk``), the records' stamps
/// spread over the past year. By default S = 150 and P = 2 000: 30M field values.
///
/// The closed store is the template of the runs. Each run (the last on the template itself, the others on a
/// copy) is B3's fan-in on it with the hub as `sst hub serve`: one node of every school, each with a week's
/// field changes pending (new consented families; the consents reached the hub before the outage, untimed),
/// pushes at once after the outage. Reported: all applied and 0 errors (the hub's whole store is counted
/// after each run), the total wall time, the push latencies, the hub's peak memory, and how long `sst report`
/// (the district's group-level follow-up, on the hub's data directory once the hub is stopped) takes.
struct DistrictFigure {
    let district: District
    let scratch: Scratch
    let runs: Int
    /// Schools, pupils at each, and the field changes each school's node has pending after the outage.
    let schools: Int
    let pupils: Int
    let weekChanges: Int
    /// The `sst` executable (the hub, and `sst report`) and the peak-memory reporter.
    let sst: String
    let reporter: ChildProcess.Reporter

    /// Absence periods of each pupil's family in the history: 9 + 8 + 6 + 12 × 6 + 5 = 100 field values a pupil.
    static let absencePeriods = 12
    static let valuesPerPupil = 9 + 8 + 6 + absencePeriods * 6 + 5
    /// Records of each pupil's family: consent, pupil, guardian, the absence periods, case.
    static let recordsPerPupil = 4 + absencePeriods
    /// Field changes of each change set that builds the hub.
    static let buildChunk = 50_000
    /// The target of `sst report` on the hub, in seconds.
    static let reportTargetSeconds = 1.0
    /// Runs of `sst report` after each run (after one untimed).
    static let reportRuns = 3

    static let stadsdelar = [
        "Rinkeby-Kista", "Spånga-Tensta", "Hässelby-Vällingby", "Bromma", "Kungsholmen", "Norrmalm", "Östermalm",
        "Södermalm", "Enskede-Årsta-Vantör", "Skarpnäck", "Farsta", "Älvsjö", "Hägersten-Liljeholmen", "Skärholmen",
    ]

    /// The district's schools, numbered (clearly synthetic), spread over the stadsdelar in turn.
    static func schools(_ count: Int) -> [(school: String, stadsdel: String, slug: String)] {
        (1...count).map { number in
            let digits = String(format: "%03d", number)
            return ("Skola \(digits)", stadsdelar[(number - 1) % stadsdelar.count], "skola-\(digits)")
        }
    }

    func measure() async throws -> [Figure] {
        let members = Self.schools(schools)
        let build = try buildTemplate(members)
        var reportSeconds: [Double] = []
        var fanIn = FanInFigure(district: district, scratch: scratch, runs: runs, nodes: schools, changes: weekChanges)
        fanIn.id = "B8"
        fanIn.schools = members
        fanIn.probes = false
        fanIn.heldBefore = build.values
        fanIn.hubProcess = (sst, reporter)
        let runs = self.runs
        fanIn.makeHub = { [scratch] run in
            // The last run takes the template itself: one copy of a district at a time on disk.
            let directory =
                if run == runs - 1 {
                    build.directory
                } else {
                    try Self.copy(build.directory, to: try scratch.dataDirectory("b8-hub").directory)
                }
            let database = "\(directory)/\(Store.fileName)"
            return (try Store.open(at: database), directory, database)
        }
        fanIn.afterRun = { directory in
            reportSeconds.append(try timeReport(directory))
        }
        var figures = try await fanIn.measure()
        let report = Measure.median(reportSeconds)
        figures.append(
            Figure(
                id: "B8",
                title: "the district's hub (\(build.values) field values, \(schools) schools × \(pupils) pupils): "
                    + "sst report",
                value: report * 1000,
                unit: "ms",
                baselineTitle: "—",
                target: "< \(Int(Self.reportTargetSeconds * 1000)) ms",
                verdict: report < Self.reportTargetSeconds ? .met : .missed,
                note: String(
                    format: "median of %d runs of sst report --data on the hub after each run's fan-in (after one "
                        + "untimed); the hub was built in %.0f s (%.0f values/s, apply(_:from:) in process), its "
                        + "database %.1f GB",
                    Self.reportRuns,
                    build.seconds,
                    Double(build.values) / build.seconds,
                    build.gigabytes
                )
            )
        )
        return figures
    }

    /// The template hub, closed.
    private struct Template {
        let directory: String
        let values: Int
        let seconds: Double
        let gigabytes: Double
    }

    private func buildTemplate(_ members: [(school: String, stadsdel: String, slug: String)]) throws -> Template {
        let now = SystemClock().milliseconds()
        let year: UInt64 = 365 * 86_400_000
        // Every school's records spread over the past year, the last an hour ago.
        let step = max(1, year / UInt64(pupils * Self.recordsPerPupil))
        let template = try scratch.dataDirectory("b8-hub")
        let start = Measure.now()
        var values = 0
        do {
            // The store closes (and checkpoints its WAL) at the end of this block.
            let hub = try Store.create(at: template.database, identity: District.hub)
            for (index, member) in members.enumerated() {
                let identity = NodeIdentity(
                    node: NodeID("\(member.slug)-1")!,
                    role: .school,
                    school: member.school,
                    stadsdel: member.stadsdel
                )
                var workload = Workload(
                    consentedSeed: 800_000 + UInt64(index),
                    startMilliseconds: now - year - 3_600_000,
                    school: member.school,
                    stadsdel: member.stadsdel,
                    writer: identity.node
                )
                workload.inlineConsents = true
                workload.absencePeriods = Self.absencePeriods
                workload.millisecondsPerRecord = step
                let total = pupils * Self.valuesPerPupil
                var upTo: Int64 = 0
                while upTo < total {
                    let batch = workload.newChanges(min(Self.buildChunk, total - Int(upTo)))
                    let set = ChangeSet(
                        origin: identity.node,
                        side: .school,
                        since: upTo,
                        upTo: upTo + Int64(batch.count),
                        changes: batch,
                        policyHash: hub.policy.hash
                    )
                    let report = try hub.apply(set, from: District.peer(identity))
                    guard report.applied == batch.count else {
                        throw BenchError("B8: the hub applied \(report.applied) of \(batch.count) changes while built")
                    }
                    upTo += Int64(batch.count)
                }
                values += total
            }
        }
        let seconds = Measure.now() - start
        let size = (try? FileManager.default.attributesOfItem(atPath: template.database)[.size] as? Int) ?? 0
        return Template(
            directory: template.directory,
            values: values,
            seconds: seconds,
            gigabytes: Double(size) / 1_073_741_824
        )
    }

    /// Copies the data directory `source` (its files) into the empty `destination`; returns `destination`.
    private static func copy(_ source: String, to destination: String) throws -> String {
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            try FileManager.default.copyItem(atPath: "\(source)/\(name)", toPath: "\(destination)/\(name)")
        }
        return destination
    }

    /// Runs `sst report --data directory` once untimed, then ``reportRuns`` times; returns the median seconds.
    private func timeReport(_ directory: String) throws -> Double {
        let output = scratch.root.appendingPathComponent("b8-report").path
        var seconds: [Double] = []
        for run in 0...Self.reportRuns {
            let result = try ChildProcess.run(sst, ["report", "--data", directory], outputPath: output)
            let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
            guard result.succeeded, size > 0 else {
                throw BenchError("B8: sst report --data \(directory) failed (wait status \(result.status))")
            }
            if run > 0 { seconds.append(result.seconds) }
        }
        return Measure.median(seconds)
    }
}
