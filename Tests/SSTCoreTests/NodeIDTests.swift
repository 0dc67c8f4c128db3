import Testing

@testable import SSTCore

@Suite struct NodeIDTests {
    @Test(arguments: [
        "a", "Z", "0", "skola-1", "Hub_01.social", "school.nacka-2", String(repeating: "n", count: 64),
    ])
    func acceptsOneTo64AllowedCharacters(text: String) throws {
        let node = try #require(NodeID(text))
        #expect(node.rawValue == text)
        #expect(node.description == text)
    }

    @Test(arguments: [
        "", String(repeating: "n", count: 65), "skola 1", "skola@1", "skola:1", "skola/1", "skola\\1",
        "sköla", "å", "skola\n", "skola+1", "skola,1",
    ])
    func rejectsEmptyTooLongAndDisallowedCharacters(text: String) {
        #expect(NodeID(text) == nil, "accepted \"\(text)\"")
    }
}
