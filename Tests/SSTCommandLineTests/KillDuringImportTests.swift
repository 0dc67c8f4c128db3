import Foundation
import Testing

@Suite struct KillDuringImportTests {
    @Test(.timeLimit(.minutes(10)))
    func importKilledWithSIGKILLLeavesAllOrNothing() throws {
        try withScratchDirectory { scratch in
            let origin = "bulk-source"
            let pristine = try Node.school("ekbacken-target", in: scratch)
            try pristine.set("pupil", newRecordID(), ["given_name=Åsa", "family_name=Öberg", "grade=7"])
            let (data, changeCount) = largeChangeSet(pupils: 7_000, origin: origin)
            let big = scratch.appendingPathComponent("big.json")
            try data.write(to: big)
            let before = try pristine.dump()

            // The state a complete import reaches, and how long it takes.
            let complete = try pristine.copy(to: scratch, as: "complete")
            let started = Date()
            let report = try complete.importFile(big)
            let duration = Date().timeIntervalSince(started)
            #expect(report.applied == changeCount)
            let after = try complete.dump()
            try #require(after != before)

            let fractions = [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.97]
            let delays = [0.01, 0.03] + fractions.map { $0 * duration }
            var outcomes: [String] = []
            var killedMidImport = 0
            for (number, delay) in delays.enumerated() {
                let victim = try pristine.copy(to: scratch, as: "victim-\(number)")
                let walBefore = victim.walSize
                let run = try SSTRun(["changes", "import", "--data", victim.data, big.path])
                usleep(UInt32(delay * 1_000_000))
                run.killNow()
                let result = try run.wait()
                let walGrowth = victim.walSize - walBefore

                let dump = try victim.dump()
                let state = dump == before ? "before" : dump == after ? "after" : "PARTIAL"
                #expect(state != "PARTIAL", "a kill after \(delay) s left a partial import")
                let cursor = try victim.status().peers[origin]
                #expect(
                    cursor == (state == "after" ? Int64(changeCount) : nil),
                    "the cursor (\(String(describing: cursor))) does not match the \(state) state"
                )
                if result.killedBySignal {
                    killedMidImport += 1
                } else {
                    #expect(result.succeeded, "\(result)")
                    #expect(state == "after", "the import finished but the state is \(state)")
                }
                let ending = result.killedBySignal ? "killed" : "finished"
                outcomes.append("\(Int(delay * 1000)) ms: \(ending) → \(state) (WAL +\(walGrowth) bytes)")

                // The import can be run again to completion.
                try victim.importFile(big)
                #expect(try victim.dump() == after, "re-importing after a kill at \(delay) s did not complete")
            }
            print(
                "importKilledWithSIGKILLLeavesAllOrNothing: \(changeCount) changes, full import "
                    + "\(Int(duration * 1000)) ms; " + outcomes.joined(separator: "; ")
            )
            #expect(killedMidImport >= 1, "no kill landed before the import ended: \(outcomes)")
        }
    }
}
