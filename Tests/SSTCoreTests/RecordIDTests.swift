import Testing

@testable import SSTCore

@Suite struct RecordIDTests {
    @Test(arguments: [
        "123e4567-e89b-42d3-a456-426614174000", "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-4fff-bfff-ffffffffffff",
    ])
    func acceptsLowerCaseCanonicalUUID(text: String) throws {
        #expect(try #require(RecordID(text)).rawValue == text)
    }

    @Test(arguments: [
        "123E4567-E89B-42D3-A456-426614174000",  // upper case
        "123e4567-e89b-42d3-a456-42661417400A",  // one upper-case digit
        "123e4567e89b42d3a456426614174000",  // no dashes
        "{123e4567-e89b-42d3-a456-426614174000}",  // braces
        "123e4567-e89b-42d3-a456-42661417400",  // 35 characters
        "123e4567-e89b-42d3-a456-4266141740000",  // 37 characters
        "123e45670-e89b-42d3-a456-42661417400",  // dash in the wrong place
        "123e4567-e89b-42d3-a456_426614174000",  // underscore instead of dash
        "123g4567-e89b-42d3-a456-426614174000",  // not hex
        "20130101-0003",  // a personnummer is never a key
        "",
    ])
    func rejectsAnythingButLowerCaseCanonicalUUID(text: String) {
        #expect(RecordID(text) == nil, "accepted \"\(text)\"")
    }

    @Test func randomProducesValidVersion4IDs() throws {
        var generator = SplitMix64(seed: 4)
        for _ in 0..<200 {
            let id = RecordID.random(using: &generator)
            #expect(RecordID(id.rawValue) == id)
            let characters = Array(id.rawValue)
            #expect(characters[14] == "4", "version nibble of \(id)")
            #expect("89ab".contains(characters[19]), "variant nibble of \(id)")
        }
    }

    @Test func randomProducesDistinctIDs() {
        let ids = (0..<1_000).map { _ in RecordID.random() }
        #expect(Set(ids).count == ids.count)
    }

    @Test func randomIsDeterministicForASplitMix64() {
        var first = SplitMix64(seed: 99)
        var second = SplitMix64(seed: 99)
        var other = SplitMix64(seed: 100)
        let id = RecordID.random(using: &first)
        #expect(RecordID.random(using: &second) == id)
        #expect(RecordID.random(using: &other) != id)
    }
}
