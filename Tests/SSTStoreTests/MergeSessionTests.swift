import Foundation
import GRDB
import SSTCore
import Testing

@testable import SSTStore

/// The merge session keeps a snapshot of the record it works on and reads stored JSON without a decoder
/// where it can; these tests pin that neither changes what the store reads.
@Suite struct MergeSessionTests {
    let record = RecordID("0e4c2a10-5b7d-4f3e-9a1c-2d3e4f5a6b7c")!

    func store() throws -> Store {
        try Store.inMemory(identity: NodeIdentity(node: NodeID("school-a")!, role: .school))
    }

    func change(
        _ entity: String,
        _ field: String,
        _ value: Value,
        at milliseconds: UInt64,
        by node: String
    )
        -> FieldChange
    {
        let stamp = Stamp(timestamp: Timestamp(milliseconds: milliseconds, counter: 0), node: NodeID(node)!)
        return FieldChange(entity: entity, record: record, field: field, state: FieldState(value: value, stamp: stamp))
    }

    @Test func sqlWrittenBetweenMergesIsSeen() throws {
        let store = try store()
        let pupil = store.schema.entity(named: "pupil")!
        let grade = pupil.field(named: "grade")!
        try store.writer.write { db in
            var session = try MergeSession(db: db, schema: store.schema, state: ClockState.load(db))
            #expect(
                try session.merge(
                    change("pupil", "grade", .integer(7), at: 2000, by: "school-b"),
                    entity: pupil,
                    field: grade
                )
            )
            #expect(try session.currentState(entity: pupil, record: record, field: grade)?.value == .integer(7))
            try db.execute(sql: "UPDATE pupil SET grade = 8 WHERE id = ?", arguments: [record.rawValue])
            #expect(try session.currentState(entity: pupil, record: record, field: grade)?.value == .integer(8))
            try db.execute(sql: "UPDATE pupil SET _stamps = NULL WHERE id = ?", arguments: [record.rawValue])
            #expect(try session.currentState(entity: pupil, record: record, field: grade) == nil)
            #expect(
                try session.merge(
                    change("pupil", "grade", .integer(6), at: 1000, by: "school-b"),
                    entity: pupil,
                    field: grade
                )
            )
            #expect(try session.currentState(entity: pupil, record: record, field: grade)?.value == .integer(6))
        }
    }

    @Test func whatASessionWroteReadsTheSameInTheNextSession() throws {
        let store = try store()
        let sstCase = store.schema.entity(named: "case")!
        let changes = [
            change("case", "phase", .phase(Phase(generation: 1, step: .planning)), at: 1000, by: "school-b"),
            change("case", "concern", .string("Frånvaro på måndagar"), at: 1000, by: "school-b"),
            change("case", "concern", .string("Frånvaro \"ibland\"\n/ tisdagar"), at: 1000, by: "school-c"),
            change("case", "concern", .string("Tredje"), at: 999, by: "school-d"),
            change("case", Schema.deletedField, .boolean(true), at: 1001, by: "school-b"),
        ]
        var inSession: [TextRegister] = []
        try store.writer.write { db in
            var session = try MergeSession(db: db, schema: store.schema, state: ClockState.load(db))
            for change in changes {
                _ = try session.merge(change, entity: sstCase, field: sstCase.field(named: change.field)!)
                inSession.append(
                    try session.textRegister(entity: sstCase, record: record, field: sstCase.field(named: "concern")!)
                )
            }
            inSession.append(
                try session.textRegister(entity: sstCase, record: record, field: sstCase.field(named: "phase")!)
            )
        }
        let fresh = try store.writer.read { db in
            let session = try MergeSession(db: db, schema: store.schema, state: ClockState.load(db))
            return try ["concern", "phase"].map {
                try session.textRegister(entity: sstCase, record: record, field: sstCase.field(named: $0)!)
            }
        }
        #expect(inSession.suffix(2).first == fresh[0])
        #expect(fresh[0].values.count == 3)
        #expect(inSession.last == fresh[1])
        #expect(try store.record(entity: "case", record: record)?[Schema.deletedField]?.value == .boolean(true))
    }

    @Test func purgeInASessionErasesTheSnapshotToo() throws {
        let store = try store()
        let pupil = store.schema.entity(named: "pupil")!
        try store.writer.write { db in
            var session = try MergeSession(db: db, schema: store.schema, state: ClockState.load(db))
            let name = change("pupil", "given_name", .string("Åsa"), at: 1000, by: "school-b")
            _ = try session.merge(name, entity: pupil, field: pupil.field(named: "given_name")!)
            let purge = change("pupil", Schema.purgedField, .boolean(true), at: 1001, by: "school-b")
            #expect(try session.merge(purge, entity: pupil, field: pupil.field(named: Schema.purgedField)!))
            #expect(
                try session.currentState(entity: pupil, record: record, field: pupil.field(named: "given_name")!) == nil
            )
            #expect(try session.purgeStamp(entity: "pupil", record: record) == purge.stamp)
            let later = change("pupil", "given_name", .string("Björn"), at: 2000, by: "school-b")
            #expect(try !session.merge(later, entity: pupil, field: pupil.field(named: "given_name")!))
        }
    }

    @Test func storedContextsReadAsTheJSONDecoderReadsThem() {
        let texts = [
            "{}", #"{"a":"1:2"}"#, #"{"a":"1:2","b-1.x_Y":"281474976710655:65535"}"#, #"{"a":"1:2","a":"3:4"}"#,
            #"{ "a": "1:2" }"#, #"{"a":"1:65536"}"#, #"{"bad node":"1:2"}"#, #"{"a":"x"}"#, #"{"a":"1:2",}"#,
            #"{"a\u0062":"1:2"}"#, "[]", "", #"{"a":"01:002"}"#, #"{"a":"281474976710656:0"}"#, #"{"a":"1:2:3"}"#,
            #"{"a":":2"}"#, #"{"a":"1:"}"#, #"{"a":"-1:2"}"#, #"{"a":"1:2"}x"#, "{", #"{"a":"1:2""#,
        ]
        for text in texts {
            #expect(ColumnCoding.context(text: text) == Self.decodedContext(text), "\(text)")
        }
        #expect(ColumnCoding.context(text: nil) == nil)
    }

    @Test func storedValuesReadAsTheJSONDecoderReadsThem() {
        let texts = [
            #""Åsa""#, #""a\/b""#, #""""#, "null", "7", "true", #"["x","y"]"#, #"{"generation":1,"step":"opened"}"#,
            #""tab\t""#, #"""#, #""a"b""#, "\"new\nline\"", #" "x""#, "",
        ]
        for text in texts {
            #expect(ColumnCoding.value(jsonText: text) == Self.decodedValue(text), "\(text)")
        }
    }

    @Test func identifiersAreQuotedForSQL() {
        #expect(ColumnCoding.quoted("case") == #""case""#)
        #expect(ColumnCoding.quoted(#"a"b"#) == #""a""b""#)
    }

    /// How the store read contexts before it had a parser of its own.
    static func decodedContext(_ text: String) -> CausalContext? {
        guard let entries = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) else { return nil }
        var context = CausalContext()
        for (nodeText, timestampText) in entries {
            if let node = NodeID(nodeText), let timestamp = Timestamp(text: timestampText) {
                context.include(Stamp(timestamp: timestamp, node: node))
            }
        }
        return context
    }

    static func decodedValue(_ text: String) -> Value {
        (try? JSONDecoder().decode(Value.self, from: Data(text.utf8))) ?? .null
    }
}
