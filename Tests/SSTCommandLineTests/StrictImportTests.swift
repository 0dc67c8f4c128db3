import Foundation
import Testing

/// Issue 19, strict input at `sst changes import` and `sst record set`: a change-set file that names a member
/// twice, holds a control character in a value or a personnummer with a wrong check digit is refused whole.
@Suite struct StrictImportTests {
    /// (what to replace in a good export, with what, phrases stderr must hold)
    static let faults: [(String, String, [String])] = [
        (#""grade":7"#, #""grade":7,"grade":9"#, ["records.fields.grade twice", "Export it again"]),
        (#""given_name":"Åsa""#, #""given_name":"Å\u0000sa""#, ["given_name", "U+0000"]),
        (#""class_name":"7B""#, #""class_name":"7\tB""#, ["class_name", "U+0009"]),
        ("20130101-0003", "20130101-0004", ["personnummer", "check digit", "does not match"]),
    ]

    @Test(.timeLimit(.minutes(10)), arguments: faults)
    func aFileWithTheFaultIsRefusedAndChangesNothing(find: String, replace: String, phrases: [String]) throws {
        try withScratchDirectory { scratch in
            let source = try Node.school("ekbacken-a", in: scratch)
            let target = try Node.school("ekbacken-b", in: scratch)
            try source.set(
                "pupil",
                newRecordID(),
                ["given_name=Åsa", "family_name=Öberg", "personnummer=20130101-0003", "grade=7", "class_name=7B"]
            )
            let good = try source.export(to: scratch.appendingPathComponent("good.json"))
            let text = try String(contentsOf: good, encoding: .utf8)
            let bad = text.replacingOccurrences(of: find, with: replace)
            try #require(bad != text, "the export has no \(find): \(text)")
            let badFile = scratch.appendingPathComponent("bad.json")
            try Data(bad.utf8).write(to: badFile)

            let before = try target.dump()
            let result = try SST.run(["changes", "import", "--data", target.data, badFile.path])
            expectRefusal(result, mentions: phrases + ["Nothing was applied"])
            #expect(try target.dump() == before, "the refused file changed the target")
            #expect(try target.status().peers["ekbacken-a"] == nil, "the refused file moved the cursor")
            #expect(try target.importFile(good).applied == 5)
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func recordSetRefusesAWrongCheckDigitAndAnImpossibleDate() throws {
        try withScratchDirectory { scratch in
            let node = try Node.school("ekbacken-a", in: scratch)
            let pupil = newRecordID()
            let wrongDigit = try SST.run(
                [
                    "record", "set", "--data", node.data, "--entity", "pupil", "--id", pupil,
                    "personnummer=20130101-0004",
                ]
            )
            expectRefusal(wrongDigit, mentions: ["personnummer", "check digit", "does not match"])
            let noSuchDay = try SST.run(
                [
                    "record", "set", "--data", node.data, "--entity", "pupil", "--id", pupil,
                    "personnummer=20130231-0006",
                ]
            )
            expectRefusal(noSuchDay, mentions: ["personnummer", "date 20130231"])
            try node.set("pupil", pupil, ["personnummer=20130371-0006"])  // a samordningsnummer
            #expect(try node.get("pupil", pupil)["personnummer"]?.value == .string("20130371-0006"))
        }
    }
}
