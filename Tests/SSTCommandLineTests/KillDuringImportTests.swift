import Foundation
import Testing

/// A large change set written directly in the file format (ChangeSet.swift, FieldChange.swift): `pupils`
/// pupils of five fields each from node `origin`, stamped in the minute before now; with `concernReports`,
/// each pupil also has a report of concern (*orosanmälan*, two fields), so that the pupil's identity and the
/// report cross to social services under the school's legal duty.
func largeChangeSet(pupils: Int, origin: String, concernReports: Bool = false) -> (data: Data, changes: Int) {
    let start = UInt64(Date().timeIntervalSince1970 * 1000) - 60_000
    let givenNames = ["Åsa", "Björn", "Göran", "Märta", "Örjan", "Ängla", "Sören", "Ylva"]
    let familyNames = ["Öberg", "Ängström", "Sjöström", "Lövgren", "Åkesson", "Nyström"]
    func hex(_ number: Int, width: Int) -> String {
        let digits = String(number, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    var changes: [String] = []
    changes.reserveCapacity(pupils * (concernReports ? 7 : 5))
    for number in 0..<pupils {
        let id = "\(hex(number, width: 8))-0000-4000-8000-\(hex(number * 7919, width: 12))"
        let stamp = "\(start + UInt64(number / 1000)):\(number % 1000)@\(origin)"
        let day = 1 + number % 28
        let fields: [(String, String)] = [
            ("given_name", "\"\(givenNames[number % givenNames.count])\""),
            ("family_name", "\"\(familyNames[number % familyNames.count])\""),
            ("personnummer", "\"201201\(day < 10 ? "0" : "")\(day)-0000\""),
            ("grade", String(4 + number % 6)),
            ("class_name", "\"\(4 + number % 6)\(["A", "B", "C"][number % 3])\""),
        ]
        for (field, value) in fields {
            changes.append(
                #"{"entity":"pupil","field":"\#(field)","id":"\#(id)","stamp":"\#(stamp)","value":\#(value)}"#
            )
        }
        if concernReports {
            let report = "\(hex(number, width: 8))-0000-4000-9000-\(hex(number * 104_729, width: 12))"
            for (field, value) in [("pupil_id", "\"\(id)\""), ("concern", "\"Lång frånvaro sedan vecka \(day)\"")] {
                changes.append(
                    #"{"entity":"concern_report","field":"\#(field)","id":"\#(report)","stamp":"\#(stamp)","#
                        + #""value":\#(value)}"#
                )
            }
        }
    }
    let text =
        #"{"changes":["# + changes.joined(separator: ",")
        + #"],"format":"sst-changes","origin":"\#(origin)","side":"school","since":0,"upTo":\#(changes.count),"#
        + #""version":1}"#
    return (Data(text.utf8), changes.count)
}

@Suite struct KillDuringImportTests {
    /// A copy of `node`'s data directory, as a node of its own.
    func copy(_ node: Node, to scratch: URL, as name: String) throws -> Node {
        let copy = Node(id: node.id, directory: scratch.appendingPathComponent(name, isDirectory: true))
        try FileManager.default.copyItem(at: node.directory, to: copy.directory)
        return copy
    }

    func walSize(_ node: Node) -> Int {
        let wal = node.directory.appendingPathComponent("sst.sqlite-wal").path
        return (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
    }

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
            let complete = try copy(pristine, to: scratch, as: "complete")
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
                let victim = try copy(pristine, to: scratch, as: "victim-\(number)")
                let walBefore = walSize(victim)
                let run = try SSTRun(["changes", "import", "--data", victim.data, big.path])
                usleep(UInt32(delay * 1_000_000))
                run.killNow()
                let result = try run.wait()
                let walGrowth = walSize(victim) - walBefore

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
