import Foundation
import Testing

/// `sst record set|get|purge`: typed values, the phase lattice and gallring.
@Suite struct RecordCommandTests {
    @Test(.timeLimit(.minutes(10)))
    func recordSetRejectsWrongTypeAndUnknownField() throws {
        try withScratchDirectory { scratch in
            let node = try Node.school("ekbacken-a", in: scratch)
            let pupil = newRecordID()
            let guardian = newRecordID()
            try node.set("pupil", pupil, ["given_name=Åsa", "family_name=Öberg", "grade=7"])
            try node.set("guardian", guardian, ["pupil_id=\(pupil)", "given_name=Märta", "has_custody=ja"])
            let before = try node.dump()
            let refusals: [(entity: String, id: String, assignments: [String], phrases: [String])] = [
                ("pupil", pupil, ["grade=sju"], ["pupil.grade", "\"sju\" is not an integer", "Give an integer"]),
                ("pupil", pupil, ["given_name=Åsa", "grade=sju"], ["\"sju\" is not an integer"]),
                ("pupil", pupil, ["grade=11"], ["above the maximum 10"]),
                ("pupil", pupil, ["personnummer=0101"], ["personnummer", "YYYYMMDD-NNNN"]),
                ("pupil", pupil, ["skostorlek=38"], ["no field \"skostorlek\"", "Its fields: personnummer"]),
                ("pupil", pupil, ["given_name=Åsa", "skostorlek=38"], ["no field \"skostorlek\""]),
                ("pupil", pupil, ["_purged=true"], ["no field \"_purged\""]),
                ("guardian", guardian, ["has_custody=kanske"], ["has_custody", "a boolean"]),
                ("guardian", guardian, ["pupil_id=Åsa"], ["pupil_id", "record id"]),
                ("case", newRecordID(), ["category=absence", "phase=sleeping"], ["phase"]),
                ("case", newRecordID(), ["category=frånvaro"], ["one of absence, behaviour"]),
                ("elefant", newRecordID(), ["name=Dumbo"], ["no entity \"elefant\"", "Known entities: pupil"]),
                ("pupil", "Åsa", ["grade=7"], ["is not a record id", "UUID"]),
                ("pupil", pupil, ["grade"], ["\"grade\" is not field=value"]),
            ]
            for refusal in refusals {
                let result = try SST.run(
                    ["record", "set", "--data", node.data, "--entity", refusal.entity, "--id", refusal.id]
                        + refusal.assignments
                )
                expectRefusal(result, mentions: refusal.phrases)
            }
            #expect(try node.dump() == before, "a refused record set changed the node")
            #expect(try node.get("pupil", pupil)["grade"]?.value == .integer(7))
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func phaseNeverMovesBackOnTheCommandLine() throws {
        try withScratchDirectory { scratch in
            let node = try Node.school("ekbacken-a", in: scratch)
            let caseID = newRecordID()
            func phase() throws -> JSONValue? { try node.get("case", caseID)["phase"]?.value }
            try node.set("case", caseID, ["category=absence", "phase=opened"])
            try node.set("case", caseID, ["phase=in_progress"])
            #expect(try phase() == .phase(1, "in_progress"))
            let before = try node.dump()

            for backwards in ["planning", "1:opened", "noticed"] {
                let result = try SST.run(
                    ["record", "set", "--data", node.data, "--entity", "case", "--id", caseID, "phase=\(backwards)"]
                )
                expectRefusal(result, mentions: ["never moves back", "phase=reopen"])
            }
            #expect(try node.dump() == before)
            #expect(try phase() == .phase(1, "in_progress"))

            try node.set("case", caseID, ["phase=closed", "closed_at=2025-12-19"])
            try node.set("case", caseID, ["phase=reopen"])
            #expect(try phase() == .phase(2, "opened"), "reopen starts generation 2")
            try node.set("case", caseID, ["phase=planning"])
            #expect(try phase() == .phase(2, "planning"), "a bare step stays in the current generation")
            let refused = try SST.run(
                ["record", "set", "--data", node.data, "--entity", "case", "--id", caseID, "phase=1:closed"]
            )
            expectRefusal(refused, mentions: ["never moves back", "generation 3"])
            #expect(try phase() == .phase(2, "planning"))
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func purgeErasesValuesOnEveryNode() throws {
        try withScratchDirectory { scratch in
            let a = try Node.school("ekbacken-a", in: scratch)
            let b = try Node.school("ekbacken-b", in: scratch)
            let pupil = newRecordID()
            let guardian = newRecordID()
            try a.set(
                "pupil",
                pupil,
                ["given_name=Åsa", "family_name=Öberg", "personnummer=20130101-0003", "grade=7"]
            )
            try a.set("guardian", guardian, ["pupil_id=\(pupil)", "given_name=Märta", "family_name=Öberg"])
            try b.importFile(try a.export(to: scratch.appendingPathComponent("1-a.json")))
            #expect(try b.dump() == (try a.dump()))

            // B edits the pupil while A, unaware, purges it: the purge still erases B's value.
            try b.set("pupil", pupil, ["class_name=7B", "grade=8"])
            try a.sst(["record", "purge", "--data", a.data, "--entity", "pupil", "--id", pupil])
            try b.importFile(try a.export(to: scratch.appendingPathComponent("2-a.json")))
            try a.importFile(try b.export(to: scratch.appendingPathComponent("3-b.json")))

            let dump = try b.dump()
            #expect(try a.dump() == dump, "the nodes differ after the purge")
            for node in [a, b] {
                let fields = try node.get("pupil", pupil)
                #expect(Array(fields.keys) == ["_purged"], "\(node.id) keeps \(fields.keys.sorted())")
                #expect(fields["_purged"]?.value == .bool(true))
                #expect(fields["_purged"]?.stamp.hasSuffix("@ekbacken-a") == true)
                #expect(try node.get("guardian", guardian)["given_name"]?.value == .string("Märta"))
            }
            let text = String(decoding: dump, as: UTF8.self)
            for erased in ["Åsa", "20130101-0003", "7B"] {
                #expect(!text.contains(erased), "the dump still holds \(erased)")
            }

            for node in [a, b] {
                let write = try SST.run(
                    ["record", "set", "--data", node.data, "--entity", "pupil", "--id", pupil, "grade=9"]
                )
                expectRefusal(write, mentions: ["was purged", "Create a new record"])
                let delete = try SST.run(["record", "delete", "--data", node.data, "--entity", "pupil", "--id", pupil])
                expectRefusal(delete, mentions: ["was purged"])
            }
            #expect(try b.dump() == dump)

            // A change set that tries to undo the purge is refused.
            let header = try JSONSerialization.jsonObject(
                with: Data(contentsOf: a.export(to: scratch.appendingPathComponent("4-a.json")))
            )
            var object = try #require(header as? [String: Any])
            var records = try #require(object["records"] as? [[String: Any]])
            let index = try #require(records.firstIndex { ($0["fields"] as? [String: Any])?["_purged"] != nil })
            var fields = try #require(records[index]["fields"] as? [String: Any])
            fields["_purged"] = false
            records[index]["fields"] = fields
            object["records"] = records
            let undo = scratch.appendingPathComponent("5-undo.json")
            try JSONSerialization.data(withJSONObject: object).write(to: undo)
            let result = try SST.run(["changes", "import", "--data", b.data, undo.path])
            expectRefusal(result, mentions: ["purge", "cannot be undone"])
            #expect(try b.dump() == dump)
        }
    }
}
