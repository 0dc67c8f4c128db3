import Testing

@testable import SSTCore

@Suite struct StampTests {
    @Test func ordersByTimestampBeforeNodeID() {
        let earlier = stampAt(1_000, 5, node: "zeta")
        let later = stampAt(1_000, 6, node: "alfa")
        #expect(earlier < later)
        #expect(!(later < earlier))
    }

    @Test(arguments: [
        ("alfa", "beta"),
        ("Z", "a"),  // byte order: upper case before lower case
        ("node-10", "node-9"),  // byte order, not numeric order
        ("skola", "skola-2"),  // a prefix sorts first
        ("hub.social", "hub_social"),
    ])
    func equalTimestampsOrderByNodeIDBytes(smaller: String, greater: String) {
        let low = stampAt(1_000, 3, node: smaller)
        let high = stampAt(1_000, 3, node: greater)
        #expect(low < high)
        #expect(!(high < low))
        #expect(nodeID(smaller) < nodeID(greater))
    }

    @Test func equalTimestampWithDifferentNodesPicksGreaterNodeAsWinner() {
        let fromSchool = FieldState(value: .string("Åsa"), stamp: stampAt(1_000, 3, node: "skola-a"))
        let fromHub = FieldState(value: .string("Örjan"), stamp: stampAt(1_000, 3, node: "hub"))
        #expect(Merge.wins(fromSchool, over: fromHub, kind: .lww))
        #expect(!Merge.wins(fromHub, over: fromSchool, kind: .lww))
        #expect(max(fromSchool.stamp, fromHub.stamp).node == nodeID("skola-a"))
    }

    @Test func textFormIsTimestampAtNode() {
        #expect(stampAt(1_763_884_800_000, 3, node: "skola-1").description == "1763884800000:3@skola-1")
    }

    @Test(arguments: ["1763884800000:3@skola-1", "0:0@a", "281474976710655:65535@Hub_01.social"])
    func textFormRoundTrips(text: String) throws {
        let stamp = try #require(Stamp(text: text))
        #expect(stamp.description == text)
        #expect(Stamp(text: stamp.description) == stamp)
    }

    @Test func parsesTimestampAndNode() throws {
        let stamp = try #require(Stamp(text: "1763884800000:3@skola-1"))
        #expect(stamp.timestamp == Timestamp(milliseconds: 1_763_884_800_000, counter: 3))
        #expect(stamp.node == nodeID("skola-1"))
    }

    @Test(arguments: [
        "", "@", "1:2", "1:2@", "@skola", "1@skola", "1:2@skola a", "1:2@a@b", "-1:2@skola", "1:65536@skola",
        "1:2 @skola",
    ])
    func rejectsMalformedText(text: String) {
        #expect(Stamp(text: text) == nil, "accepted \"\(text)\"")
    }
}
