import Foundation
import SSTCore
import Testing

@testable import SSTStore

/// The `_stamps` text is written as bytes (``StampsText``): it must say what the canonical JSON writer says.
struct StampsTextTests {
    @Test("strings are escaped as the canonical JSON writer escapes them")
    func stringsAreEscapedAsCanonicalJSONEscapesThem() {
        var random = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["a", "ö", "\"", "\\", "\n", "\r", "\t", "\u{01}", "\u{1F}", " ", "é", "🙂", "/"]
        var samples = ["", "plain", "{\"a\":[1,2]}", "line\nbreak", "\u{00}"]
        for _ in 0..<300 {
            samples.append(String((0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement()! }))
        }
        for sample in samples {
            var expected = ""
            CanonicalJSON.renderString(sample, into: &expected)
            var text = StampsText()
            text.string(sample)
            #expect(text.bytes == Array(expected.utf8), "\(sample.debugDescription)")
        }
    }

    @Test("integers are written in decimal, the extremes included")
    func integersAreWrittenInDecimal() {
        var numbers: [Int64] = [0, 1, -1, 9, 10, -10, .max, .min, .max - 1, .min + 1]
        for _ in 0..<500 { numbers.append(Int64.random(in: .min ... .max)) }
        for number in numbers {
            var text = StampsText()
            text.integer(number)
            #expect(text.bytes == Array(String(number).utf8))
        }
    }

    @Test("a record's stamps read back as JSON with every part in its place")
    func aRecordsStampsReadBackAsJSON() throws {
        let node = try #require(NodeID("ekbacken-1"))
        let stamps: [String: RecordSnapshot.StoredStamp] = [
            "given_name": .init(
                stamp: Stamp(timestamp: Timestamp(rawValue: UInt64.max - 5), node: node),
                contextText: nil,
                sourceSide: "school",
                sequence: 42
            ),
            "note": .init(
                stamp: Stamp(timestamp: Timestamp(rawValue: 1_700_000_000_000), node: node),
                contextText: "{\"ekbacken-1\":7}",
                sourceSide: nil,
                sequence: 43
            ),
        ]
        let parsed = try #require(
            try JSONSerialization.jsonObject(with: Data(StampsText.render(stamps))) as? [String: [Any]]
        )
        #expect(parsed.keys.sorted() == ["given_name", "note"])
        let given = try #require(parsed["given_name"])
        #expect((given[0] as? NSNumber)?.int64Value == Int64(bitPattern: UInt64.max - 5))
        #expect(given[1] as? String == "ekbacken-1")
        #expect((given[2] as? NSNumber)?.int64Value == 42)
        #expect(given[3] as? String == "school")
        #expect(given[4] is NSNull)
        let note = try #require(parsed["note"])
        #expect(note[3] is NSNull)
        #expect(note[4] as? String == "{\"ekbacken-1\":7}")
    }
}
