import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The hub killed with SIGKILL in the middle of a school's catch-up, then started again on the same port, as
/// a service manager would: the school's running `sst sync` retries, resumes where the hub's cursor says,
/// and completes; the hub ends with exactly what an uninterrupted catch-up gives it, and so does the school.
@Suite struct KillHubDuringCatchUpTests {
    /// A school and a hub, each with its data directory.
    struct Pair {
        let school: Node
        let hub: Node

        /// Copies of both data directories under `scratch/name/`.
        func copy(to scratch: URL, as name: String) throws -> Pair {
            let folder = scratch.appendingPathComponent(name, isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            return Pair(school: try copy(school, to: folder), hub: try copy(hub, to: folder))
        }

        private func copy(_ node: Node, to folder: URL) throws -> Node {
            let copy = Node(id: node.id, directory: folder.appendingPathComponent(node.id, isDirectory: true))
            try FileManager.default.copyItem(at: node.directory, to: copy.directory)
            return copy
        }
    }

    /// What `sst sync --json` printed for a completed sync.
    struct SyncSummary: Decodable {
        let ok: Bool
        let pushed: Int
        let acknowledged: Int64
        let retries: Int
    }

    @Test(.timeLimit(.minutes(10)))
    func hubKilledMidCatchUpLosesNothingAndTheSyncCompletesAfterARestart() throws {
        try withScratchDirectory { scratch in
            let pristine = Pair(
                school: try Node.school("ekbacken-2", in: scratch),
                hub: try Node.hub("hub-sodermalm", in: scratch)
            )
            let district = try LoopbackDistrict.issue(hub: pristine.hub, school: pristine.school, in: scratch)
            let (data, changeCount) = largeChangeSet(pupils: 5_000, origin: "bulk-source", concernReports: true)
            let big = scratch.appendingPathComponent("big.json")
            try data.write(to: big)
            try pristine.school.importFile(big)
            let hubBefore = try pristine.hub.dump()

            // The uninterrupted catch-up: what both sides end with, and how long it takes.
            let complete = try pristine.copy(to: scratch, as: "complete")
            let (server, port) = try district.serve(complete.hub)
            let started = Date()
            let reference = try decode(
                SyncSummary.self,
                complete.school.sst(district.syncArguments(complete.school, port: port) + ["--json"])
            )
            let duration = Date().timeIntervalSince(started)
            server.terminate()
            _ = try server.wait(timeout: 30)
            #expect(reference.pushed >= changeCount, "every pupil has a report of concern, so everything crosses")
            let hubAfter = try complete.hub.dump()
            let schoolAfter = try complete.school.dump()
            try #require(hubAfter != hubBefore)

            var outcomes: [String] = []
            var killedMidSync = 0
            for (number, fraction) in [0.3, 0.6, 0.85].enumerated() {
                let victim = try pristine.copy(to: scratch, as: "victim-\(number)")
                let (server, port) = try district.serve(victim.hub)
                let sync = try SSTRun(district.syncArguments(victim.school, port: port) + ["--json"])
                usleep(UInt32(fraction * duration * 1_000_000))
                let syncStillRunning = !sync.hasEnded
                server.killNow()
                let killed = try server.wait(timeout: 30)
                #expect(killed.killedBySignal, "the hub was to be killed: \(killed)")
                let cursorAfterKill = try victim.hub.status().peers[victim.school.id]

                let (restarted, _) = try district.serve(victim.hub, port: port)
                let synced = try sync.wait(timeout: 180)
                restarted.terminate()
                let stopped = try restarted.wait(timeout: 30)
                #expect(stopped.status == 0, "the restarted hub shuts down cleanly: \(stopped)")

                #expect(synced.succeeded, "the sync did not complete after the hub came back: \(synced)")
                let summary = try decode(SyncSummary.self, synced)
                #expect(summary.ok && summary.acknowledged == reference.acknowledged)
                if syncStillRunning {
                    killedMidSync += 1
                    #expect(summary.retries >= 1, "the hub died under the sync, yet it retried nothing")
                }
                #expect(try victim.hub.dump() == hubAfter, "the hub killed at \(fraction) lost or changed data")
                #expect(try victim.school.dump() == schoolAfter, "the school differs after the hub's crash")
                #expect(try victim.hub.status().peers[victim.school.id] == reference.acknowledged)
                outcomes.append(
                    "killed at \(Int(fraction * duration * 1000)) ms "
                        + "(hub's cursor \(cursorAfterKill.map(String.init) ?? "none")), \(summary.retries) retries"
                )
            }
            print(
                "hubKilledMidCatchUp: \(changeCount) changes, uninterrupted sync \(Int(duration * 1000)) ms; "
                    + outcomes.joined(separator: "; ")
            )
            #expect(killedMidSync >= 1, "no kill landed before the sync ended: \(outcomes)")
        }
    }
}
