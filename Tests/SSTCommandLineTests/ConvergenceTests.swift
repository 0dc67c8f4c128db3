import Foundation
import Testing

/// Three school nodes of one school converge through `sst changes export/import` (DESIGN §3).
@Suite struct ConvergenceTests {
    /// The records written in the scenario.
    struct Records {
        let asa = newRecordID()
        let asaGuardian = newRecordID()
        let asaCase = newRecordID()
        let asaAbsence = newRecordID()
        let bjorn = newRecordID()
        let bjornAbsence = newRecordID()
        let goran = newRecordID()
        let goranGuardian = newRecordID()
    }

    @Test(.timeLimit(.minutes(5)))
    func threeNodesConvergeInAnyExchangeOrder() throws {
        try withScratchDirectory { scratch in
            let a = try Node.school("ekbacken-a", in: scratch)
            let b = try Node.school("ekbacken-b", in: scratch)
            let c = try Node.school("ekbacken-c", in: scratch)
            let r = Records()
            var fileNumber = 0
            func file(_ name: String) -> URL {
                fileNumber += 1
                return scratch.appendingPathComponent("\(fileNumber)-\(name).json")
            }

            // Each node writes on its own.
            try a.set(
                "pupil",
                r.asa,
                ["given_name=Åsa", "family_name=Öberg", "personnummer=20130101-0003", "grade=7", "class_name=7B"]
            )
            try a.set(
                "guardian",
                r.asaGuardian,
                ["pupil_id=\(r.asa)", "given_name=Märta", "family_name=Öberg", "phone=070-000 00 00", "has_custody=ja"]
            )
            try a.set(
                "case",
                r.asaCase,
                [
                    "pupil_id=\(r.asa)", "category=absence", "phase=opened", "concern=Hög frånvaro sedan höstlovet",
                    "plan=Motiverande samtal med Åsa varje vecka",
                ]
            )
            try b.set(
                "pupil",
                r.bjorn,
                ["given_name=Björn", "family_name=Ängström", "personnummer=20120315-0006", "grade=8"]
            )
            try b.set(
                "absence",
                r.bjornAbsence,
                [
                    "pupil_id=\(r.bjorn)", "period_start=2025-09-01", "period_end=2025-09-30",
                    "scheduled_minutes=6000", "excused_minutes=300", "unexcused_minutes=1260",
                ]
            )
            try c.set("pupil", r.goran, ["given_name=Göran", "family_name=Sjöström", "personnummer=20140606-0002"])
            try c.set("guardian", r.goranGuardian, ["pupil_id=\(r.goran)", "given_name=Sören", "has_custody=nej"])

            // Relay A → B → C: C learns A's case only through B's re-export.
            try b.importFile(try a.export(to: file("a")))
            try c.importFile(try b.export(to: file("b-relays-a")))
            let relayed = try c.get("case", r.asaCase)
            #expect(relayed["plan"]?.value == .string("Motiverande samtal med Åsa varje vecka"))
            #expect(relayed["plan"]?.stamp.hasSuffix("@ekbacken-a") == true, "relayed changes keep their stamp")
            let fromC = try c.export(to: file("c-all"))
            try a.importFile(fromC)
            try b.importFile(fromC)
            let baseDump = try a.dump()
            #expect(try b.dump() == baseDump)
            #expect(try c.dump() == baseDump)

            // Concurrent edits on B and C of the same case's text plan, its phase and an lww field.
            try b.set("case", r.asaCase, ["plan=Samtal varje vecka och anpassad studiegång", "phase=in_progress"])
            try b.set("pupil", r.asa, ["grade=8"])
            try c.set("case", r.asaCase, ["plan=Föräldrastöd i grupp, samtal med Åsa", "phase=planning"])
            try c.set("pupil", r.asa, ["grade=9"])
            try a.set(
                "absence",
                r.asaAbsence,
                ["pupil_id=\(r.asa)", "period_start=2025-10-01", "period_end=2025-10-31", "unexcused_minutes=900"]
            )
            let planB = try #require(try b.get("case", r.asaCase)["plan"])
            let planC = try #require(try c.get("case", r.asaCase)["plan"])
            let gradeB = try #require(try b.get("pupil", r.asa)["grade"])
            let gradeC = try #require(try c.get("pupil", r.asa)["grade"])
            let (planWinner, planLoser) = planB.order > planC.order ? (planB, planC) : (planC, planB)
            let gradeWinner = gradeB.order > gradeC.order ? gradeB : gradeC

            let exported = try [a, b, c].map { node in try node.export(to: file("\(node.id)-edits")) }

            // Every order of importing the three files on a fresh node gives the same bytes; a file
            // imported a second time changes nothing.
            var observerDumps: [Data] = []
            for (number, order) in permutations(of: [0, 1, 2]).enumerated() {
                let observer = try Node.school("observer-\(number)", in: scratch)
                for index in order { try observer.importFile(exported[index]) }
                let once = try observer.dump()
                let again = try observer.importFile(exported[order[0]])
                #expect(again.applied == 0, "re-import applied \(again.applied) changes, order \(order)")
                #expect(try observer.dump() == once, "a repeated import changed the dump, order \(order)")
                observerDumps.append(once)
            }
            for (number, dump) in observerDumps.enumerated().dropFirst() {
                #expect(dump == observerDumps[0], "observer \(number) differs from observer 0")
            }

            // The three nodes exchange in different orders, with duplicates.
            try a.importFile(exported[2])
            try a.importFile(exported[1])
            try a.importFile(exported[1])
            try b.importFile(exported[0])
            try b.importFile(exported[2])
            try c.importFile(exported[1])
            try c.importFile(exported[0])
            try c.importFile(exported[0])
            let dumps = try [a, b, c].map { try $0.dump() }
            #expect(dumps[0] == observerDumps[0], "node A differs from the observers")
            #expect(dumps[1] == dumps[0], "node B differs from node A")
            #expect(dumps[2] == dumps[0], "node C differs from node A")

            // A node that only ever saw A's re-export gets everything, conflict included.
            let late = try Node.school("late-d", in: scratch)
            try late.importFile(try a.export(to: file("a-relays-all")))
            #expect(try late.dump() == dumps[0], "a relayed export lost something")

            // The greater stamp wins; the loser of the text field stays as a conflict everywhere.
            for node in [a, b, c, late] {
                let plan = try node.get("case", r.asaCase)
                #expect(plan["plan"] == planWinner, "\(node.id): plan")
                #expect(plan["phase"]?.value == .phase(1, "in_progress"), "\(node.id): phase is the maximum")
                #expect(try node.get("pupil", r.asa)["grade"] == gradeWinner, "\(node.id): grade")
                let conflicts = try node.conflicts()
                #expect(conflicts.count == 1, "\(node.id): \(conflicts)")
                if let conflict = conflicts.first {
                    #expect(conflict.entity == "case" && conflict.id == r.asaCase && conflict.field == "plan")
                    #expect(conflict.current == planWinner)
                    #expect(conflict.others == [planLoser])
                }
            }

            // A person resolves on A; after another exchange the conflict is gone everywhere.
            let merged = "Föräldrastöd i grupp, samtal varje vecka och anpassad studiegång"
            try a.sst(
                ["conflicts", "resolve", "--data", a.data, "--entity", "case", "--id", r.asaCase, "--field", "plan"]
                    + ["--value", merged]
            )
            let resolution = try a.export(to: file("a-resolution"))
            try c.importFile(resolution)
            try b.importFile(try c.export(to: file("c-relays-resolution")))
            try late.importFile(resolution)
            let resolvedDump = try a.dump()
            #expect(resolvedDump != dumps[0])
            for node in [a, b, c, late] {
                #expect(try node.conflicts().isEmpty, "\(node.id) still lists a conflict")
                #expect(try node.status().conflicts == 0, "\(node.id): status counts a conflict")
                #expect(try node.get("case", r.asaCase)["plan"]?.value == .string(merged), "\(node.id): plan")
                #expect(try node.dump() == resolvedDump, "\(node.id) differs after the resolution")
            }
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func importIsIdempotentAndCursorAdvances() throws {
        try withScratchDirectory { scratch in
            let a = try Node.school("ekbacken-a", in: scratch)
            let b = try Node.school("ekbacken-b", in: scratch)
            let pupil = newRecordID()
            try a.set("pupil", pupil, ["given_name=Åke", "family_name=Lövgren", "grade=5"])
            let first = try a.export(to: scratch.appendingPathComponent("first.json"))
            let firstHeader = try JSONDecoder().decode(ChangeSetHeader.self, from: Data(contentsOf: first))
            #expect(try b.status().peers["ekbacken-a"] == nil, "no cursor before any import")

            let applied = try b.importFile(first)
            #expect(applied == ImportReport(origin: "ekbacken-a", received: 3, applied: 3, cursor: firstHeader.upTo))
            let dumpAfterFirst = try b.dump()
            let again = try b.importFile(first)
            #expect(again.applied == 0, "the second import of the same file applied changes")
            #expect(again.received == 3)
            #expect(try b.dump() == dumpAfterFirst)
            #expect(try b.status().peers["ekbacken-a"] == firstHeader.upTo)

            // An export since the cursor carries only the new change and advances the cursor.
            try a.set("pupil", pupil, ["grade=6"])
            let second = try a.export(
                to: scratch.appendingPathComponent("second.json"),
                since: firstHeader.upTo
            )
            let secondHeader = try JSONDecoder().decode(ChangeSetHeader.self, from: Data(contentsOf: second))
            #expect(secondHeader.fieldCount == 1)
            #expect(secondHeader.upTo > firstHeader.upTo)
            let next = try b.importFile(second)
            #expect(next.applied == 1)
            #expect(next.cursor == secondHeader.upTo)
            #expect(try b.status().peers["ekbacken-a"] == secondHeader.upTo)
            #expect(try b.get("pupil", pupil)["grade"]?.value == .integer(6))

            // A set that leaves a gap is merged, but the cursor does not jump over the gap.
            let c = try Node.school("ekbacken-c", in: scratch)
            let gap = try c.importFile(second)
            #expect(gap.applied == 1)
            #expect(gap.cursor == 0, "the cursor skipped changes C never received")
            #expect(try c.status().peers["ekbacken-a", default: 0] == 0)
        }
    }
}

/// All orderings of `items`.
func permutations<T>(of items: [T]) -> [[T]] {
    guard items.count > 1 else { return [items] }
    return items.indices.flatMap { index in
        var rest = items
        let first = rest.remove(at: index)
        return permutations(of: rest).map { [first] + $0 }
    }
}
