import Foundation
import Testing

@testable import SSTCore

/// A change set that names a member twice in one object, at any depth, is refused as corrupt, naming the member:
/// `JSONDecoder` would keep one of the two silently, and another reader might keep the other.
@Suite struct ChangeSetDuplicateMemberTests {
    private static let head = #""format":"sst-changes","origin":"school-a","side":"school","since":0,"upTo":1"#
    private static let id = #""id":"10000000-0000-4000-8000-000000000001""#
    private static let stamp = #""stamp":"1799999100000:0@school-a""#

    /// A version 2 set whose one record carries `fields` (and `extra` members), the set `rest` more members.
    private static func version2(fields: String, extra: String = "", rest: String = "") -> String {
        #"{"# + head + #","version":2,"records":[{"entity":"case","# + id + "," + stamp + extra
            + #","fields":{"# + fields + "}}]" + rest + "}"
    }

    /// A version 1 set of one change with `value` (and `extra` members).
    private static func version1(value: String, extra: String = "") -> String {
        #"{"# + head + #","version":1,"changes":[{"entity":"case","field":"plan","# + id + "," + stamp
            + #","value":"# + value + extra + "}]}"
    }

    /// (the text, the duplicated member's path)
    static let duplicates: [(String, String)] = [
        (version2(fields: #""plan":"Plan A","plan":"Plan B""#), "records.fields.plan"),
        (version2(fields: #""plan":"Plan A""#, extra: #","entity":"pupil""#), "records.entity"),
        (version2(fields: #""category":"absence""#, rest: #","since":0"#), "since"),
        (
            version2(
                fields: #""plan":"Plan A""#,
                extra: #","contexts":{"plan":{"school-a":"1799999100000:0","school-a":"1799999000000:0"}}"#
            ),
            "records.contexts.plan.school-a"
        ),
        (
            version2(fields: #""phase":{"generation":1,"step":"opened","generation":2}"#),
            "records.fields.phase.generation"
        ),
        (version1(value: #""Plan A""#, extra: #","value":"Plan B""#), "changes.value"),
        (version1(value: #""Plan A""#, extra: #","field":"category""#), "changes.field"),
    ]

    @Test(arguments: duplicates)
    func aDuplicatedMemberIsRefusedNamingIt(text: String, path: String) throws {
        let error = try #require(throws: ChangeSetError.self) { try ChangeSetCodec.decode(Data(text.utf8)) }
        #expect(error.code == .corrupt)
        #expect(error.message.contains("member \(path) twice"), "\(error.message)")
    }

    /// The same sets without the repetition decode: only the repetition is refused.
    @Test func theSetsWithoutTheRepetitionDecode() throws {
        let texts = [
            Self.version2(fields: #""plan":"Plan A""#),
            Self.version2(
                fields: #""plan":"Plan A""#,
                extra: #","contexts":{"plan":{"school-a":"1799999100000:0"}}"#
            ),
            Self.version2(fields: #""phase":{"generation":1,"step":"opened"}"#),
            Self.version1(value: #""Plan A""#),
        ]
        for text in texts {
            #expect(throws: Never.self) { try ChangeSetCodec.decode(Data(text.utf8)) }
        }
    }

    /// Two records of one set may name the same members: a repetition is within one object.
    @Test func membersRepeatedAcrossObjectsAreFine() throws {
        let record = #"{"entity":"case","# + Self.id + "," + Self.stamp + #","fields":{"plan":"Plan A"}}"#
        let text = #"{"# + Self.head + #","version":2,"records":["# + record + "," + record + "]}"
        let changeSet = try ChangeSetCodec.decode(Data(text.utf8))
        #expect(changeSet.changes.count == 2)
    }
}
