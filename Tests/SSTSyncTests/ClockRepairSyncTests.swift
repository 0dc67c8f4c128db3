import Foundation
import SSTCore
import SSTPrivacy
import SSTStore
import SSTSync
import SSTTestSupport
import Testing

/// A school node left a day ahead by one write, after its wall clock is put right: `sst status` warns,
/// `sst clock repair` re-stamps what has not left, and the next sync is accepted by the hub.
@Suite(.timeLimit(.minutes(10)))
struct ClockRepairSyncTests {
    let district: TestDistrict
    let hub: TestNode
    let school: TestNode

    init() throws {
        district = try TestDistrict()
        // One clock: the school's wall clock is right (but for the one write), and agrees with the hub's.
        let clock = TestClock()
        hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district, clock: clock)
        school = try TestNode(
            "ekbacken-1",
            school: "Ekbackens skola",
            stadsdel: "Södermalm",
            district: district,
            clock: clock
        )
    }

    @Test func repairedWritesSyncAndWhatLeftKeepsItsStamp() async throws {
        let pupil = try TestPupil(at: school)
        let first = try pupil.reportConcern(at: school, concern: "Frånvaro sedan augusti.")
        try await withHub(hub) { port in
            try await school.sync(port: port)
            let left = try #require(try hub.store.record(entity: "concern_report", record: first))

            school.clock.advance(by: TestClock.day)
            let ahead = try pupil.reportConcern(at: school, concern: "Frånvaro hela veckan.")
            school.clock.advance(by: -TestClock.day)
            let after = try pupil.reportConcern(at: school, concern: "Fortsatt frånvaro.")
            #expect(try school.store.clockStatus().isAhead)
            await #expect(throws: SyncFailure.self) { try await school.sync(port: port) }
            #expect(try SyncStateFile(directory: school.dataDirectory).load().lastError?.code == "clockAhead")

            let state = try SyncStateFile(directory: school.dataDirectory).load()
            let report = try school.store.repairClock(
                acknowledged: state.acknowledged,
                hubClockOffset: state.clockOffset
            )
            #expect(report.restamped.count == 2)
            #expect(try !school.store.clockStatus().isAhead)
            try await school.sync(port: port)
            #expect(try SyncStateFile(directory: school.dataDirectory).load().lastError == nil)
            for record in [ahead, after] {
                #expect(
                    try hub.store.record(entity: "concern_report", record: record)
                        == school.store.record(entity: "concern_report", record: record)
                )
            }
            // The report that had left before keeps its stamps, here and at the hub.
            #expect(try school.store.record(entity: "concern_report", record: first) == left)
            #expect(try hub.store.record(entity: "concern_report", record: first) == left)
        }
    }

    /// The same, as an administrator does it: `sst status`, `sst sync` and `sst clock repair` as processes on the
    /// node's data directory, against the hub over HTTPS with mutual TLS.
    @Test func administratorRepairsWithTheCommandLine() async throws {
        let pupil = try TestPupil(at: school)
        let first = try pupil.reportConcern(at: school)
        try await withHub(hub) { port in
            let sync =
                ["sync", "--data", school.dataDirectory, "--hub", "https://127.0.0.1:\(port)"]
                + ["--cert", school.tls.certificate, "--key", school.tls.key, "--ca", school.tls.ca]
            #expect(try await runSST(sync).status == 0)
            let left = try #require(try hub.store.record(entity: "concern_report", record: first))

            // The write a day ahead is made in this process, whose clock the test sets; the commands run on the
            // machine's clock, as the test node's clock started.
            school.clock.advance(by: TestClock.day)
            let ahead = try pupil.reportConcern(at: school, concern: "Frånvaro hela veckan.")
            school.clock.advance(by: -TestClock.day)

            let status = try await runSST(["status", "--data", school.dataDirectory])
            #expect(status.out.contains("WARNING: the clock is 24 h ahead of the wall clock"), "\(status)")
            #expect(status.out.contains("sst clock repair --data \(school.dataDirectory)"), "\(status)")
            let json = try await runSST(["status", "--data", school.dataDirectory, "--json"])
            #expect(json.out.contains("\"clockAhead\": {"), "\(json)")
            #expect(json.out.contains("\"maxOffsetMilliseconds\": 300000"), "\(json)")

            let refused = try await runSST(sync)
            #expect(refused.status != 0 && refused.err.contains("ahead"), "\(refused)")

            let repair = try await runSST(["clock", "repair", "--data", school.dataDirectory])
            #expect(repair.status == 0, "\(repair)")
            #expect(repair.out.contains("Re-stamped 1 unsent write"), "\(repair)")
            #expect(repair.out.contains("concern_report/\(ahead)"), "\(repair)")
            let again = try await runSST(["clock", "repair", "--data", school.dataDirectory, "--json"])
            #expect(again.status != 0 && again.err.contains("nothing to repair"), "\(again)")

            // The hub's clock moves on as the machine's did meanwhile (the repaired stamps are the allowed
            // offset ahead of the wall clock, the latest the hub accepts).
            hub.clock.advance(by: Int64(Date().timeIntervalSince1970 * 1000) - Int64(hub.clock.milliseconds()) + 1000)
            let synced = try await runSST(sync)
            #expect(synced.status == 0, "\(synced)")
            #expect(
                try hub.store.record(entity: "concern_report", record: ahead)
                    == school.store.record(entity: "concern_report", record: ahead)
            )
            #expect(try hub.store.record(entity: "concern_report", record: first) == left)
            let quiet = try await runSST(["status", "--data", school.dataDirectory, "--json"])
            #expect(quiet.out.contains("\"clockAhead\": null"), "\(quiet)")
            let audit = try await runSST(["audit", "list", "--data", school.dataDirectory, "--kind", "clock_repaired"])
            #expect(audit.out.contains("clock_repaired"), "\(audit)")
        }
    }
}

/// One finished run of the built `sst` executable.
struct SSTProcessResult: CustomStringConvertible {
    let status: Int32
    let out: String
    let err: String
    var description: String { "exit \(status)\nstdout: \(out.prefix(2000))\nstderr: \(err.prefix(2000))" }
}

/// Runs the built `sst` (`SST_BINARY`, else `sst` beside the test bundle or in a `debug` directory above it) to
/// the end, with its output in temporary files. Throws when it cannot be started.
func runSST(_ arguments: [String]) async throws -> SSTProcessResult {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("sst-sync-run-\(UUID().uuidString)")
    let outURL = base.appendingPathExtension("out")
    let errURL = base.appendingPathExtension("err")
    defer {
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
    let process = try SpawnedProcess(try sstBinary().path, arguments, outputPath: outURL.path, errorPath: errURL.path)
    // Waited for without holding a thread of Swift's pool: the hub this test runs serves on that pool.
    await process.ended()
    return SSTProcessResult(
        status: process.killedBySignal ? -1 : process.status ?? -1,
        out: String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self),
        err: String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
    )
}

private func sstBinary() throws -> URL {
    let fileManager = FileManager.default
    if let explicit = ProcessInfo.processInfo.environment["SST_BINARY"] { return URL(fileURLWithPath: explicit) }
    var starts: [URL] = []
    if let exe = try? fileManager.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        starts.append(URL(fileURLWithPath: exe))
    }
    if let main = Bundle.main.executableURL { starts.append(main) }
    if let first = CommandLine.arguments.first { starts.append(URL(fileURLWithPath: first)) }
    for start in starts {
        var directory = start.resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            for candidate in ["sst", "debug/sst"] {
                let path = directory.appendingPathComponent(candidate).path
                var isDirectory: ObjCBool = false
                if fileManager.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                    fileManager.isExecutableFile(atPath: path)
                {
                    return URL(fileURLWithPath: path)
                }
            }
            directory = directory.deletingLastPathComponent()
        }
    }
    throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "the `sst` executable was not found"])
}
