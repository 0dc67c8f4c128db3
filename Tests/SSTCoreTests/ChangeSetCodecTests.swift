import Foundation
import Testing

@testable import SSTCore

@Suite struct ChangeSetCodecTests {
    private static let caseID = recordID("0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4")
    private static let pupilID = recordID("123e4567-e89b-42d3-a456-426614174000")

    private static func change(
        _ field: String,
        _ value: Value,
        counter: UInt16,
        context: CausalContext? = nil
    )
        -> FieldChange
    {
        FieldChange(
            entity: "case",
            record: caseID,
            field: field,
            state: FieldState(
                value: value,
                stamp: stampAt(1_763_884_800_000, counter, node: "skola-a"),
                context: context
            )
        )
    }

    /// One change for every case of ``Value``, and a text change with a context of two nodes.
    static let everyValue = ChangeSet(
        origin: nodeID("skola-a"),
        side: .school,
        since: 41,
        upTo: 57,
        changes: [
            change("closed_at", .null, counter: 0),
            change("concern", .string("Åsa \"Ö\" säger: a/b \\ c\nny rad\u{1}"), counter: 1),
            change("grade", .integer(.max), counter: 2),
            change("grade", .integer(.min), counter: 3),
            change("grade", .integer(0), counter: 4),
            change("grade", .integer(1), counter: 5),
            change("_deleted", .boolean(true), counter: 6),
            change("_deleted", .boolean(false), counter: 7),
            change("participants", .list([]), counter: 8),
            change("participants", .list(["Åsa Öberg", "Björn Ängström"]), counter: 9),
            change("phase", .phase(Phase(generation: 2, step: .followUp)), counter: 10),
            change(
                "plan",
                .string("Gemensam plan"),
                counter: 11,
                context: CausalContext([
                    nodeID("hub"): Timestamp(milliseconds: 1_763_884_700_000, counter: 2),
                    nodeID("skola-a"): Timestamp(milliseconds: 1_763_884_800_000, counter: 11),
                ])
            ),
            FieldChange(
                entity: "pupil",
                record: pupilID,
                field: "personnummer",
                state: FieldState(value: .string("20130101-0003"), stamp: stampAt(5, 0, node: "hub"))
            ),
        ]
    )

    private static func encodedText() throws -> String {
        String(decoding: try ChangeSetCodec.encode(everyValue), as: UTF8.self)
    }

    /// The error decoding `text` throws, or nil when it decodes.
    private static func decodeError(_ text: String) -> ChangeSetError? {
        do {
            _ = try ChangeSetCodec.decode(Data(text.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test func encodeThenDecodeRoundTripsEveryValueAndContext() throws {
        let data = try ChangeSetCodec.encode(Self.everyValue)
        let decoded = try ChangeSetCodec.decode(data)
        #expect(decoded == Self.everyValue)
        #expect(decoded.changes.map(\.value) == Self.everyValue.changes.map(\.value))
        #expect(decoded.changes.map(\.state.context) == Self.everyValue.changes.map(\.state.context))
        #expect(decoded.format == "sst-changes")
        #expect(decoded.version == 2)
        #expect(decoded.originNode == nodeID("skola-a"))
    }

    @Test func encodingIsDeterministicWithSortedKeys() throws {
        let first = try Self.encodedText()
        #expect(try Self.encodedText() == first)
        #expect(first.hasPrefix("{\"format\":\"sst-changes\",\"origin\":\"skola-a\","))
        #expect(first.contains("\"records\":[{"))
        #expect(first.contains("\"stamp\":\"1763884800000:11@skola-a\""))
        #expect(
            first.contains(
                "\"contexts\":{\"plan\":{\"hub\":\"1763884700000:2\",\"skola-a\":\"1763884800000:11\"}}"
            )
        )
        #expect(first.contains("a/b"))
    }

    @Test func changesWithoutContextEncodeNoContextMember() throws {
        let data = try ChangeSetCodec.encode(
            ChangeSet(origin: nodeID("hub"), side: .social, since: 0, upTo: 1, changes: [Self.everyValue.changes[0]])
        )
        #expect(!String(decoding: data, as: UTF8.self).contains("context"))
    }

    @Test(arguments: ["", "{", "not json", "{\"format\": \"sst-changes\", \"version\": 1", "\u{FEFF}"])
    func invalidJSONIsCorrupt(text: String) throws {
        let error = try #require(Self.decodeError(text), "decoded")
        #expect(error.code == .corrupt)
        #expect(error.message.contains("not valid JSON"))
    }

    @Test func truncatedChangeSetIsCorrupt() throws {
        let text = try Self.encodedText()
        for length in [1, text.utf8.count / 3, text.utf8.count / 2, text.utf8.count - 1] {
            let error = try #require(
                Self.decodeError(String(decoding: Array(text.utf8.prefix(length)), as: UTF8.self)),
                "decoded"
            )
            #expect(error.code == .corrupt, "truncated to \(length) bytes")
        }
    }

    @Test(arguments: [
        "{}", "{\"hello\": \"värld\"}", "{\"format\": \"other\", \"version\": 1}",
        "{\"format\": 5, \"version\": 1}", "{\"version\": 1, \"changes\": []}",
    ])
    func jsonObjectWithoutTheFormatIsNotAChangeSet(text: String) throws {
        let error = try #require(Self.decodeError(text), "decoded")
        #expect(error.code == .notAChangeSet)
        #expect(error.message.contains("sst-changes"))
    }

    @Test func changeSetWithoutAVersionIsCorrupt() throws {
        let error = try #require(Self.decodeError("{\"format\": \"sst-changes\"}"), "decoded")
        #expect(error.code == .corrupt)
        #expect(error.message.contains("version"))
    }

    @Test(arguments: ["[1, 2]", "\"sst-changes\"", "42", "null", "true"])
    func validJSONThatIsNotAnObjectIsNotAChangeSet(text: String) throws {
        let error = try #require(Self.decodeError(text), "decoded")
        #expect(error.code == .notAChangeSet, "\(text): \(error.code) \(error.message)")
    }

    @Test func newerVersionIsRefusedNamingBothVersions() throws {
        let text = try Self.encodedText().replacingOccurrences(of: "\"version\":2", with: "\"version\":3")
        let error = try #require(Self.decodeError(text), "decoded")
        #expect(error.code == .newerVersion)
        #expect(error.message.contains("version 3"))
        #expect(error.message.contains("up to version 2"))
        #expect(error.description.contains("Nothing was applied"))
    }

    @Test(arguments: [
        ("1763884800000:11@skola-a", "1763884800000:11", "1763884800000:11"),
        ("1763884800000:11@skola-a", "1763884800000:11@skola a", "skola a"),
        ("1763884800000:11@skola-a", "-1:11@skola-a", "-1:11@skola-a"),
        ("0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4", "0B6F1C2E-3D4A-4B5C-8D6E-7F8091A2B3C4", "record id"),
        ("0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4", "20130101-0003", "20130101-0003"),
        ("\"hub\":\"1763884700000:2\"", "\"hub\":\"1763884700000\"", "context"),
        ("\"step\":\"follow_up\"", "\"step\":\"uppföljning\"", "phase"),
        ("\"since\":41", "\"since\":\"41\"", "since"),
        ("\"side\":\"school\"", "\"side\":\"skolan\"", "side"),
    ])
    func malformedMemberIsCorruptNamingIt(original: String, replacement: String, named: String) throws {
        let text = try Self.encodedText()
        #expect(text.contains(original))
        let error = try #require(
            Self.decodeError(text.replacingOccurrences(of: original, with: replacement)),
            "decoded"
        )
        #expect(error.code == .corrupt)
        #expect(error.message.contains("malformed"))
        #expect(error.message.contains(named), "\(error.message)")
    }

    @Test func missingMemberIsCorruptNamingIt() throws {
        let text = try Self.encodedText().replacingOccurrences(of: "\"upTo\":57,", with: "")
        let error = try #require(Self.decodeError(text), "decoded")
        #expect(error.code == .corrupt)
        #expect(error.message.contains("\"upTo\" is missing"))
    }

    @Test func fieldsOfOneRecordAtOneStampTravelAsOneEntry() throws {
        let stamp = stampAt(1_763_884_800_000, 0, node: "skola-a")
        let fields: [(String, Value)] = [("category", .string("absence")), ("opened_at", .string("2027-01-07"))]
        let set = ChangeSet(
            origin: nodeID("skola-a"),
            side: .school,
            since: 0,
            upTo: 2,
            changes: fields.map {
                FieldChange(
                    entity: "case",
                    record: Self.caseID,
                    field: $0.0,
                    state: FieldState(value: $0.1, stamp: stamp)
                )
            }
        )
        let text = String(decoding: try ChangeSetCodec.encode(set), as: UTF8.self)
        #expect(text.components(separatedBy: "\"stamp\"").count == 2, "\(text)")
        #expect(text.contains(#""fields":{"category":"absence","opened_at":"2027-01-07"}"#), "\(text)")
        #expect(try ChangeSetCodec.decode(Data(text.utf8)) == set)
    }

    @Test func aRecordsFieldsAtOneStampTravelTogetherInFieldOrder() throws {
        let stamp = stampAt(1_763_884_800_000, 0, node: "skola-a")
        let changes = ["plan", "category", "concern", "closed_at"].map {
            FieldChange(entity: "case", record: Self.caseID, field: $0, state: FieldState(value: .null, stamp: stamp))
        }
        let set = ChangeSet(origin: nodeID("skola-a"), side: .school, since: 0, upTo: 4, changes: changes)
        let text = String(decoding: try ChangeSetCodec.encode(set), as: UTF8.self)
        #expect(text.components(separatedBy: "\"stamp\"").count == 2, "\(text)")
        let decoded = try ChangeSetCodec.decode(Data(text.utf8))
        #expect(decoded.changes.map(\.field) == ["category", "closed_at", "concern", "plan"])
        #expect(Set(decoded.changes) == Set(changes))
    }

    @Test func versionOneFlatChangesStillDecode() throws {
        let text = #"""
            {"format": "sst-changes", "version": 1, "origin": "skola-a", "side": "school", "since": 0, "upTo": 2,
             "changes": [
               {"entity": "case", "id": "0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4", "field": "category",
                "value": "absence", "stamp": "1763884800000:0@skola-a"},
               {"entity": "case", "id": "0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4", "field": "plan",
                "value": "Samtal", "stamp": "1763884800000:0@skola-a", "context": {"skola-a": "1763884800000:0"}}
             ]}
            """#
        let decoded = try ChangeSetCodec.decode(Data(text.utf8))
        #expect(decoded.version == 1)
        #expect(decoded.changes.map(\.field) == ["category", "plan"])
        #expect(
            decoded.changes[1].state.context
                == CausalContext([nodeID("skola-a"): Timestamp(milliseconds: 1_763_884_800_000, counter: 0)])
        )
        // Re-encoded in its own version, it reads back the same.
        #expect(try ChangeSetCodec.decode(try ChangeSetCodec.encode(decoded)) == decoded)
    }

    @Test(arguments: [
        (#""fields":{"plan":"x"},"contexts":{"concern":{"skola-a":"1:0"}}"#, "concern"),
        (#""fields":{}"#, "at least one field"),
        (#""fields":{"plan":"x"},"contexts":{"plan":{"skola-a":"ett"}}"#, "context"),
    ])
    func malformedRecordEntryIsCorruptNamingIt(members: String, named: String) throws {
        let text =
            #"{"format":"sst-changes","version":2,"origin":"skola-a","side":"school","since":0,"upTo":1,"records":["#
            + #"{"entity":"case","id":"0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4","stamp":"1:0@skola-a","#
            + members + "}]}"
        let error = try #require(Self.decodeError(text), "decoded")
        #expect(error.code == .corrupt)
        #expect(error.message.contains(named), "\(error.message)")
    }

    @Test func errorCodesHaveStableNames() {
        let names = ["corrupt", "notAChangeSet", "newerVersion", "unknownEntity", "unknownField", "invalidValue"]
        for name in names + ["clockAhead", "wrongSide"] {
            #expect(ChangeSetError.Code(name: name)?.description == name)
        }
        #expect(ChangeSetError.Code(name: "Corrupt") == nil)
        #expect(ChangeSetError.Code.newerVersion.description == "newerVersion")
    }
}
