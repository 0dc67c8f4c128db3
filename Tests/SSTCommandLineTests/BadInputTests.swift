import Foundation
import SSTCore
import Testing

/// A damaged or unacceptable change-set file, made from a good export.
enum BadChangeSet: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case truncated
    case notJSON
    case jsonButNotAChangeSet
    case newerVersion
    case unknownEntity
    case unknownField
    case valueOfTheWrongType
    case stampADayInTheFuture
    case fromTheSocialSide

    var testDescription: String { rawValue }

    /// Phrases stderr must hold: what is wrong, and what to do about it.
    var phrases: [String] {
        switch self {
        case .truncated: ["not valid JSON", "truncated", "Export it again"]
        case .notJSON: ["not valid JSON", "Export it again"]
        case .jsonButNotAChangeSet: ["not an SST change set", "sst changes export"]
        case .newerVersion: ["version \(ChangeSet.currentVersion + 1)", "Upgrade"]
        case .unknownEntity: ["no entity \"elefant\"", "upgrade this node"]
        case .unknownField: ["no field \"skostorlek\"", "upgrade this node"]
        case .valueOfTheWrongType: ["grade", "expected an integer", "Correct the value at the sender"]
        case .stampADayInTheFuture: ["ahead of this node's clock", "allowed offset is 5 min", "Check the clock"]
        case .fromTheSocialSide: ["privacy policy", "same policy"]
        }
    }

    /// The bad file's bytes, derived from `good` (an exported change set).
    func bytes(from good: Data) throws -> Data {
        switch self {
        case .truncated:
            return good.prefix(good.count / 2)
        case .notJSON:
            return Data("Elevlista Ekbacken: Åsa, Björn, Göran\n".utf8)
        case .jsonButNotAChangeSet:
            return Data(#"{"elever": ["Åsa", "Björn"], "skola": "Ekbackens skola"}"#.utf8)
        case .newerVersion:
            return try edited(good) { $0["version"] = ChangeSet.currentVersion + 1 }
        case .unknownEntity:
            return try editedRecords(good) { index, record in
                if index == 0 { record["entity"] = "elefant" }
            }
        case .unknownField:
            return try editedRecords(good) { _, record in
                var fields = record["fields"] as? [String: Any] ?? [:]
                if let grade = fields.removeValue(forKey: "grade") { fields["skostorlek"] = grade }
                record["fields"] = fields
            }
        case .valueOfTheWrongType:
            return try editedRecords(good) { _, record in
                var fields = record["fields"] as? [String: Any] ?? [:]
                if fields["grade"] != nil { fields["grade"] = "sju" }
                record["fields"] = fields
            }
        case .stampADayInTheFuture:
            let tomorrow = UInt64(Date().timeIntervalSince1970 * 1000) + 86_400_000
            return try editedRecords(good) { index, record in
                if index == 1 { record["stamp"] = "\(tomorrow):0@ekbacken-a" }
            }
        case .fromTheSocialSide:
            return try edited(good) { $0["side"] = "social" }
        }
    }

    private func edited(_ good: Data, _ edit: (inout [String: Any]) -> Void) throws -> Data {
        var object = try #require(try JSONSerialization.jsonObject(with: good) as? [String: Any])
        edit(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }

    /// Edits the entries of the set's `records` (version 2: fields of one record at one stamp).
    private func editedRecords(_ good: Data, _ edit: (Int, inout [String: Any]) -> Void) throws -> Data {
        try edited(good) { object in
            var records = object["records"] as? [[String: Any]] ?? []
            for index in records.indices { edit(index, &records[index]) }
            object["records"] = records
        }
    }
}

@Suite struct BadInputTests {
    /// A bad file is refused as a whole with a message that names the problem and the remedy; the
    /// target's state and cursor stay as they were, and the intact file still imports afterwards.
    @Test(.timeLimit(.minutes(10)), arguments: BadChangeSet.allCases)
    func badChangeSetIsRefusedAndChangesNothing(_ bad: BadChangeSet) throws {
        try withScratchDirectory { scratch in
            let source = try Node.school("ekbacken-a", in: scratch)
            let target = try Node.school("ekbacken-b", in: scratch)
            let pupil = newRecordID()
            try source.set(
                "pupil",
                pupil,
                ["given_name=Åsa", "family_name=Öberg", "personnummer=20130101-0003", "grade=7", "class_name=7B"]
            )
            try source.set("case", newRecordID(), ["pupil_id=\(pupil)", "category=absence", "phase=opened"])
            try target.set("pupil", newRecordID(), ["given_name=Björn", "family_name=Ängström", "grade=8"])
            let good = try source.export(to: scratch.appendingPathComponent("good.json"))
            let badFile = scratch.appendingPathComponent("bad.json")
            try bad.bytes(from: Data(contentsOf: good)).write(to: badFile)

            let before = try target.dump()
            let result = try SST.run(["changes", "import", "--data", target.data, badFile.path])
            expectRefusal(result, mentions: bad.phrases + ["Nothing was applied"])
            #expect(result.out.isEmpty, "a refused import printed a result: \(result.out)")
            #expect(try target.dump() == before, "the refused file changed the target")
            #expect(try target.status().peers["ekbacken-a"] == nil, "the refused file moved the cursor")

            let report = try target.importFile(good)
            #expect(report.applied == 8)
            #expect(try target.dump() != before)
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func importOfAMissingFileNamesTheFile() throws {
        try withScratchDirectory { scratch in
            let node = try Node.school("ekbacken-a", in: scratch)
            let missing = scratch.appendingPathComponent("finns-inte.json").path
            let result = try SST.run(["changes", "import", "--data", node.data, missing])
            expectRefusal(result, mentions: ["cannot read", missing])
        }
    }
}
