import Foundation
import Testing

@testable import SSTCore

/// The byte-level reader against `JSONDecoder`: whatever the reader accepts must decode to exactly what
/// `JSONDecoder` makes of the same bytes, and whatever `JSONDecoder` refuses the reader must leave to it.
@Suite struct ChangeSetReaderTests {
    private static let texts = [
        "", "Åsa Öberg", "Björn \"Nalle\" Ängström", "a/b \\ c", "rad 1\nrad 2\ttab", "\u{1}\u{1F}\u{7F}",
        "👩‍🏫 lärare", "\u{FEFF}", "null", "true", "12", "{\"x\": [1]}", "\u{10FFFF}",
    ]
    private static let fields = ["category", "plan", "grade", "participants", "phase", "_deleted", "Äldre", "a b"]
    private static let nodes = ["skola-a", "hub", "ekbacken-1", "x"]

    private static func randomValue(_ random: inout SplitMix64) -> Value {
        switch random.next() % 7 {
        case 0: return .null
        case 1: return .string(texts.randomElement(using: &random)!)
        case 2:
            return .integer(
                [Int64.min, Int64.max, 0, 1, -1, 42, Int64(bitPattern: random.next())][Int(random.next() % 7)]
            )
        case 3: return .boolean(random.next() % 2 == 0)
        case 4: return .list((0..<Int(random.next() % 3)).map { _ in texts.randomElement(using: &random)! })
        case 5:
            return .phase(
                Phase(generation: Int(1 + random.next() % 4), step: Phase.Step.allCases.randomElement(using: &random)!)
            )
        default: return .string(String(repeating: "ö", count: Int(random.next() % 40)))
        }
    }

    private static func randomChangeSet(_ random: inout SplitMix64) -> ChangeSet {
        var changes: [FieldChange] = []
        for _ in 0..<Int(random.next() % 12) {
            let record = recordID("0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c\(random.next() % 10)")
            let stamp = stampAt(
                1_763_884_800_000 + random.next() % 1000,
                UInt16(random.next() % 3),
                node: nodes.randomElement(using: &random)!
            )
            for field in fields.shuffled(using: &random).prefix(Int(1 + random.next() % 3)) {
                var context: CausalContext?
                if random.next() % 3 == 0 {
                    context = CausalContext([
                        nodeID(nodes.randomElement(using: &random)!):
                            Timestamp(
                                milliseconds: random.next() % 2_000_000_000_000,
                                counter: UInt16(random.next() % 9)
                            )
                    ])
                }
                changes.append(
                    FieldChange(
                        entity: ["case", "pupil", "meeting"].randomElement(using: &random)!,
                        record: record,
                        field: field,
                        state: FieldState(value: randomValue(&random), stamp: stamp, context: context)
                    )
                )
            }
        }
        return ChangeSet(
            origin: nodeID(nodes.randomElement(using: &random)!),
            side: random.next() % 2 == 0 ? .school : .social,
            since: Int64(random.next() % 1000),
            upTo: Int64(1000 + random.next() % 1000),
            changes: changes,
            policyHash: random.next() % 2 == 0 ? nil : "8a1f0c"
        )
    }

    /// What `JSONDecoder` makes of `data`: the set, or nil when it refuses it.
    private static func slow(_ data: Data) -> ChangeSet? {
        try? ChangeSetCodec.decodeWithJSONDecoder(data)
    }

    private static func expectSame(_ fast: ChangeSet, _ slow: ChangeSet?, _ comment: Comment) {
        #expect(fast == slow, comment)
        #expect(fast.changes.map(\.value) == slow?.changes.map(\.value), comment)
        #expect(fast.changes.map(\.state.context) == slow?.changes.map(\.state.context), comment)
        #expect(fast.policyHash == slow?.policyHash, comment)
    }

    @Test func readsEverySetThisBuildWritesAsJSONDecoderDoes() throws {
        var random = SplitMix64(seed: 0x5357_5231)
        for round in 0..<400 {
            let set = Self.randomChangeSet(&random)
            let data = try ChangeSetCodec.encode(set)
            let fast = try #require(ChangeSetReader.read(data), "round \(round): the reader gave up on its own output")
            Self.expectSame(fast, Self.slow(data), "round \(round)")
        }
    }

    @Test func readsPrettyPrintedSetsAndEscapedText() throws {
        var random = SplitMix64(seed: 7)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted]
        for round in 0..<50 {
            let set = Self.randomChangeSet(&random)
            let data = try encoder.encode(set)
            let fast = try #require(ChangeSetReader.read(data), "round \(round)")
            Self.expectSame(fast, Self.slow(data), "round \(round)")
        }
        let escaped = Data(
            #"{"format":"sst-changes","version":2,"origin":"skola-a","side":"school","since":0,"upTo":1,"records":[{"entity":"case","id":"0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4","stamp":"5:0@skola-a","fields":{"plan":"\u00c5sa \ud83d\udc69 \/ \"x\" \\ \b\f\n\r\t"}}]}"#
                .utf8
        )
        let fast = try #require(ChangeSetReader.read(escaped))
        #expect(fast.changes.first?.value == .string("Åsa 👩 / \"x\" \\ \u{8}\u{C}\n\r\t"))
        Self.expectSame(fast, Self.slow(escaped), "escapes")
    }

    /// Sets the reader must leave to `JSONDecoder`, which accepts some (an unknown member, version 1) and
    /// refuses the rest with its message.
    @Test(arguments: [
        #""version":1,"changes":[]"#,
        #""version":2,"records":[],"extra":true"#,
        #""version":2,"records":[],"since":0"#,
        #""version":2.0,"records":[]"#,
        #""version":2,"records":[{"entity":"case","id":"0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4","stamp":"5:0@a","fields":{"grade":1.5}}]"#,
        #""version":2,"records":[{"entity":"case","id":"0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4","stamp":"5:0@a","fields":{"grade":1e3}}]"#,
        #""version":2,"records":[{"entity":"case","id":"0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4","stamp":"5:0@a","fields":{}}]"#,
        #""version":2,"records":[{"entity":"case","id":"0B6F1C2E-3D4A-4B5C-8D6E-7F8091A2B3C4","stamp":"5:0@a","fields":{"x":1}}]"#,
        #""version":2,"records":[{"entity":"case","id":"0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4","stamp":"5:0@a","fields":{"x":1,"x":2}}]"#,
        #""version":2,"records":[{"entity":"case","id":"0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4","stamp":"5:0@a","fields":{"x":1},"contexts":{"y":{"a":"1:0"}}}]"#,
        #""version":2,"records":[{"entity":"case","id":"0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4","stamp":"5:0@a","fields":{"x":{"generation":0,"step":"opened"}}}]"#,
        #""version":2,"records":[{"entity":"case","id":"0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4","stamp":"5:0@a","fields":{"x":{"generation":1,"step":"opened","note":1}}}]"#,
        #""version":2,"records":[{"entity":"case","id":"0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4","stamp":"5:0@a","fields":{"x":"\ud83d"}}]"#,
        #""version":3,"records":[]"#,
    ])
    func leavesAnythingElseToJSONDecoder(members: String) throws {
        let data = Data(#"{"format":"sst-changes","origin":"a","side":"school","since":0,"upTo":1,\#(members)}"#.utf8)
        #expect(ChangeSetReader.read(data) == nil)
        let viaCodec = Result { try ChangeSetCodec.decode(data) }
        let viaJSONDecoder = Result { try ChangeSetCodec.decodeWithJSONDecoder(data) }
        #expect(String(describing: viaCodec) == String(describing: viaJSONDecoder))
    }

    /// Damaged bytes: whatever the reader still accepts, `JSONDecoder` must decode to the same set.
    @Test func damagedBytesAreNeverReadDifferentlyFromJSONDecoder() throws {
        var random = SplitMix64(seed: 0xDA3A_6ED)
        let alphabet = Array(#"{}[]:,"\ 0123456789-.eEtrufalsn/ubÅ"#.utf8)
        var accepted = 0
        for round in 0..<3000 {
            var bytes = Array(try ChangeSetCodec.encode(Self.randomChangeSet(&random)))
            for _ in 0..<Int(1 + random.next() % 3) where !bytes.isEmpty {
                let at = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 4 {
                case 0: bytes[at] = alphabet.randomElement(using: &random)!
                case 1: bytes.remove(at: at)
                case 2: bytes.insert(alphabet.randomElement(using: &random)!, at: at)
                default: bytes.removeSubrange(at...)
                }
            }
            let data = Data(bytes)
            guard let fast = ChangeSetReader.read(data) else { continue }
            accepted += 1
            Self.expectSame(fast, Self.slow(data), "round \(round): \(String(decoding: bytes, as: UTF8.self))")
        }
        // Some damage leaves a valid set (a digit changed in a value); the property must have been exercised.
        #expect(accepted > 100)
    }
}
