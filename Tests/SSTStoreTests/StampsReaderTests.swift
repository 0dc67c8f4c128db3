import Foundation
import GRDB
import SSTCore
import Testing

@testable import SSTStore

/// ``StampsReader`` reads a record's `_stamps` text instead of SQLite's JSON functions: on every text the store
/// writes it must read what they read, and on anything else give up so that they are asked instead.
struct StampsReaderTests {
    /// Strings with everything an escape can carry: quotes, backslashes, control characters, non-ASCII, a
    /// character outside the basic plane (a surrogate pair when SQLite escapes it).
    static let awkward = [
        "plain", "", "{\"ekbacken-1\":7,\"hub-stockholm\":12}", "quote \" and \\ backslash", "tab\tline\nreturn\r",
        "bell \u{07} unit \u{1F}", "åäö Åäö", "🙂 smile", "slash / here",
    ]

    static func randomStamps(using random: inout some RandomNumberGenerator) -> [String: RecordSnapshot.StoredStamp] {
        let nodes = ["ekbacken-1", "hub-stockholm", "a", String(repeating: "n", count: 64)].compactMap(NodeID.init)
        var stamps: [String: RecordSnapshot.StoredStamp] = [:]
        for index in 0..<Int.random(in: 0...9, using: &random) {
            let name = index % 3 == 0 ? awkward.randomElement(using: &random)! + "\(index)" : "field_\(index)"
            stamps[name] = .init(
                stamp: Stamp(
                    timestamp: Timestamp(rawValue: UInt64.random(in: 0 ... .max, using: &random)),
                    node: nodes.randomElement(using: &random)!
                ),
                contextText: Bool.random(using: &random) ? nil : awkward.randomElement(using: &random)!,
                sourceSide: [nil, "school", "social"].randomElement(using: &random)!,
                sequence: Int64.random(in: 0 ... .max, using: &random)
            )
        }
        return stamps
    }

    static func same(
        _ left: [String: RecordSnapshot.StoredStamp]?,
        _ right: [String: RecordSnapshot.StoredStamp]
    ) -> Bool {
        guard let left, left.keys.sorted() == right.keys.sorted() else { return false }
        return left.allSatisfy { field, stamp in
            let other = right[field]!
            return stamp.stamp == other.stamp && stamp.contextText == other.contextText
                && stamp.sourceSide == other.sourceSide && stamp.sequence == other.sequence
        }
    }

    static func read(_ text: String) -> [String: RecordSnapshot.StoredStamp]? {
        Array(text.utf8).withUnsafeBufferPointer { StampsReader.read($0) }
    }

    @Test("what StampsText writes reads back the same, over random stamps")
    func whatStampsTextWritesReadsBack() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let stamps = Self.randomStamps(using: &random)
            let read = StampsText.render(stamps).withUnsafeBufferPointer { StampsReader.read($0) }
            #expect(Self.same(read, stamps))
        }
    }

    @Test("on text SQLite's JSON functions wrote, it reads what json_each reads")
    func itReadsWhatJSONEachReadsOfSQLitesText() throws {
        let queue = try DatabaseQueue()
        var random = SystemRandomNumberGenerator()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE pupil (id TEXT PRIMARY KEY, _stamps TEXT)")
            for record in 0..<200 {
                let id = "record-\(record)"
                // The store's one-field write: json_patch of a json_object, field by field.
                for (field, stored) in Self.randomStamps(using: &random) {
                    try db.execute(
                        sql: """
                            INSERT INTO pupil (id, _stamps) VALUES (?1, json_object(?2, json_array(?3, ?4, ?5, ?6, ?7)))
                            ON CONFLICT (id) DO UPDATE SET _stamps = json_patch(coalesce(_stamps, '{}'), excluded._stamps)
                            """,
                        arguments: [
                            id, field, Int64(bitPattern: stored.stamp.timestamp.rawValue), stored.stamp.node.rawValue,
                            stored.sequence, stored.sourceSide, stored.contextText,
                        ]
                    )
                }
                guard let text = try String.fetchOne(db, sql: "SELECT _stamps FROM pupil WHERE id = ?", arguments: [id])
                else { continue }
                var expected: [String: RecordSnapshot.StoredStamp] = [:]
                for row in try Row.fetchAll(
                    db,
                    sql: "SELECT field, hlc, node, context, source_side, seq FROM (\(StampLayout.rows(of: "pupil"))) "
                        + "WHERE record_id = ?",
                    arguments: [id]
                ) {
                    expected[row[0]] = .init(
                        stamp: Stamp(
                            timestamp: Timestamp(rawValue: UInt64(bitPattern: row[1])),
                            node: NodeID(row[2] as String)!
                        ),
                        contextText: row[3],
                        sourceSide: row[4],
                        sequence: row[5]
                    )
                }
                #expect(Self.same(Self.read(text), expected), "\(text)")
            }
        }
    }

    @Test("text it does not expect is left to SQLite, and a stamp with an invalid node is left out")
    func unexpectedTextIsLeftToSQLite() {
        for text in [
            "", "[]", "{", "{\"a\":[1,\"n\",2,null,null]", "{\"a\":[1,\"n\",2,null]}",
            "{\"a\":[1.5,\"n\",2,null,null]}",
            "{\"a\":[1e3,\"n\",2,null,null]}", "{\"a\":[1,\"n\",2,null,null]} x", "{\"a\":[1,\"n\",2,3,null]}",
            "{\"a\":[99999999999999999999,\"n\",2,null,null]}", "{\"a\":[1,\"n\\q\",2,null,null]}",
            "{\"a\":[1,\"n\",2,null,\"\\ud800\"]}", "{\"a\":[1,\"tab\there\",2,null,null]}",
        ] {
            #expect(Self.read(text) == nil, "\(text)")
        }
        let read = Self.read(
            " { \"a\" : [ -9223372036854775808 , \"n-1\" , 2 , null , \"\\u00e5\\/\" ] , \"b\":[1,\"NOT VALID\",2,null,null]}"
        )
        #expect(read?.count == 1)
        #expect(read?["a"]?.stamp.timestamp.rawValue == UInt64(bitPattern: .min))
        #expect(read?["a"]?.contextText == "å/")
        #expect(Self.read("{}")?.isEmpty == true)
    }
}
