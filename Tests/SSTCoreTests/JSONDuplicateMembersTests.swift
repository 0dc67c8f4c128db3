import SSTCore
import Testing

@Suite struct JSONDuplicateMembersTests {
    private func first(_ text: String) -> [String]? { JSONDuplicateMembers.first(in: Array(text.utf8)) }

    @Test func aDocumentWithDistinctMembersHasNone() {
        #expect(first(#"{"a": 1, "b": {"a": 2, "c": [{"a": 3}, {"a": 4}]}, "c": "a"}"#) == nil)
    }

    @Test func aRepeatedMemberIsFoundWithItsPath() {
        #expect(first(#"{"a": 1, "a": 2}"#) == ["a"])
        #expect(first(#"{"x": {"y": {"z": true, "w": null, "z": false}}}"#) == ["x", "y", "z"])
        #expect(first(#"{"list": [{"k": 1}, {"k": 2, "k": 3}]}"#) == ["list", "k"])
    }

    @Test func namesAreComparedAfterTheirEscapes() {
        #expect(first(#"{"text": 1, "te\u0078t": 2}"#) == ["text"])
        #expect(first(#"{"å": 1, "\u00e5": 2}"#) == ["å"])
        #expect(first(#"{"😀": 1, "\ud83d\ude00": 2}"#) == ["😀"])
        #expect(first(#"{"a\"b": 1, "a\\\"b": 2}"#) == nil)
    }

    @Test func stringValuesAndArrayItemsAreNotNames() {
        #expect(first(#"{"a": "a", "b": ["a", "a"], "c": {"d": "a"}}"#) == nil)
        #expect(first(#"["a", "a", {"a": 1}]"#) == nil)
        #expect(first(#"{"a": "{\"a\": 1, \"a\": 2}"}"#) == nil)
    }
}
