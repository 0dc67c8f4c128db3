import Foundation
import Testing

@testable import SSTCore

/// ``CanonicalJSON/read(_:)`` stands in for `JSONDecoder` where it can: on what it reads it must give what
/// `JSONDecoder` gives, and give up on the rest.
struct CanonicalJSONReadingTests {
    static let strings = [
        "", "plain", "quote \" backslash \\ slash /", "line\nfeed\r\ttab", "bell \u{07}", "åäö", "🙂", "\u{2028}",
    ]

    static func randomValue(depth: Int, using random: inout some RandomNumberGenerator) -> CanonicalJSON {
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .integer([0, -1, .max, .min, Int64.random(in: .min ... .max, using: &random)].randomElement()!)
        case 3, 4:
            return .string(strings.randomElement(using: &random)! + String(Int.random(in: 0..<9, using: &random)))
        case 5:
            return .array(
                (0..<Int.random(in: 0...4, using: &random)).map { _ in
                    randomValue(depth: depth + 1, using: &random)
                }
            )
        default:
            var members: [String: CanonicalJSON] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &random) {
                members[strings.randomElement(using: &random)!] = randomValue(depth: depth + 1, using: &random)
            }
            return .object(members)
        }
    }

    @Test("random values read back as JSONDecoder reads them, indented or on one line")
    func randomValuesReadAsJSONDecoderReadsThem() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let value = Self.randomValue(depth: 0, using: &random)
            let indented = value.rendered()
            let compact = String(indented.split(separator: "\n").map { $0.drop { $0 == " " } }.joined())
            for text in [indented, compact] {
                let decoded = try JSONDecoder().decode(CanonicalJSON.self, from: Data(text.utf8))
                #expect(CanonicalJSON.read(text) == decoded, "\(text)")
                #expect(decoded == value)
            }
        }
    }

    @Test("what it does not read is left to JSONDecoder")
    func whatItDoesNotReadIsLeftToJSONDecoder() {
        for text in [
            "", "[", "{\"a\":1", "{\"a\":1,\"a\":2}", "1.5", "1e3", "01", "-0", "[1,]", "{\"a\" 1}", "\"\\q\"",
            "\"\\ud800\"", "\"tab\there\"", "nul", "[1] 2", "99999999999999999999",
            String(repeating: "[", count: 300) + String(repeating: "]", count: 300),
        ] {
            #expect(CanonicalJSON.read(text) == nil, "\(text)")
        }
        #expect(
            CanonicalJSON.read(" { \"a\" : [ true , false , null , -12 , \"\\u00e5\\/\" ] } ")
                == .object(["a": .array([.bool(true), .bool(false), .null, .integer(-12), .string("å/")])])
        )
    }
}
