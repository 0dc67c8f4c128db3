import Testing

@testable import SSTCore

@Suite struct CanonicalJSONTests {
    @Test func objectKeysAreSortedByUTF8Bytes() {
        let object = CanonicalJSON.object([
            "z": .integer(1), "a": .integer(2), "Z": .integer(3), "å": .integer(4), "_deleted": .integer(5),
            "ä": .integer(6), "ö": .integer(7), "0": .integer(8),
        ])
        let expected = """
            {
              "0": 8,
              "Z": 3,
              "_deleted": 5,
              "a": 2,
              "z": 1,
              "ä": 6,
              "å": 4,
              "ö": 7
            }
            """
        #expect(object.rendered() == expected)
        #expect(CanonicalJSON.sortedKeys(["å", "z", "a", "Z"]) == ["Z", "a", "z", "å"])
    }

    @Test func nestedValuesAreIndentedTwoSpacesPerLevel() {
        let value = CanonicalJSON.object([
            "case": .object([
                "participants": .array([.string("Åsa"), .string("Björn")]),
                "phase": .object(["generation": .integer(1), "step": .string("planning")]),
            ]),
            "deleted": .bool(false),
            "closed_at": .null,
            "purged": .bool(true),
        ])
        let expected = """
            {
              "case": {
                "participants": [
                  "Åsa",
                  "Björn"
                ],
                "phase": {
                  "generation": 1,
                  "step": "planning"
                }
              },
              "closed_at": null,
              "deleted": false,
              "purged": true
            }
            """
        #expect(value.rendered() == expected)
    }

    @Test func renderingAtALevelIndentsClosingBracketsToThatLevel() {
        #expect(CanonicalJSON.array([.integer(-3)]).rendered(level: 1) == "[\n    -3\n  ]")
    }

    @Test func emptyObjectAndArrayRenderOnOneLine() {
        #expect(CanonicalJSON.object([:]).rendered() == "{}")
        #expect(CanonicalJSON.array([]).rendered() == "[]")
        #expect(
            CanonicalJSON.object(["a": .array([]), "b": .object([:])]).rendered() == "{\n  \"a\": [],\n  \"b\": {}\n}"
        )
    }

    @Test(arguments: [
        ("say \"hej\"", #""say \"hej\"""#),
        (#"C:\temp"#, #""C:\\temp""#),
        ("rad ett\nrad två", #""rad ett\nrad två""#),
        ("a\rb\tc", #""a\rb\tc""#),
        ("\u{1}", #""\u0001""#),
        ("\u{0}\u{1F}", #""\u0000\u001f""#),
        ("Åsa Öberg, Ängby", "\"Åsa Öberg, Ängby\""),
        ("a/b", "\"a/b\""),
        ("\u{7F}€😀", "\"\u{7F}€😀\""),
        ("Å\"😀\n", #""Å\"😀\n""#),
    ])
    func stringsAreEscapedMinimallyAndNonASCIIKeptLiterally(string: String, expected: String) {
        #expect(CanonicalJSON.string(string).rendered() == expected)
        // The same bytes when written as bytes (the store's stamps).
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        CanonicalJSON.renderString(string, into: &bytes)
        #expect(bytes == Array(("[" + expected).utf8))
    }

    @Test func keysAreEscapedLikeStrings() {
        #expect(CanonicalJSON.object(["a\"b": .null]).rendered() == "{\n  \"a\\\"b\": null\n}")
    }

    @Test func integersRenderInFull() {
        #expect(CanonicalJSON.integer(.max).rendered() == "9223372036854775807")
        #expect(CanonicalJSON.integer(.min).rendered() == "-9223372036854775808")
        #expect(CanonicalJSON.integer(0).rendered() == "0")
    }

    @Test func fieldValuesMapToTheirJSONShape() {
        #expect(CanonicalJSON(Value.null) == .null)
        #expect(CanonicalJSON(Value.string("Åsa")) == .string("Åsa"))
        #expect(CanonicalJSON(Value.integer(7)) == .integer(7))
        #expect(CanonicalJSON(Value.boolean(true)) == .bool(true))
        #expect(CanonicalJSON(Value.list(["a", "b"])) == .array([.string("a"), .string("b")]))
        #expect(
            CanonicalJSON(Value.phase(Phase(generation: 2, step: .followUp)))
                == .object(["generation": .integer(2), "step": .string("follow_up")])
        )
    }
}
