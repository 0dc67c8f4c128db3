import Testing

@testable import SSTCore

@Suite struct TimestampTests {
    @Test func packsMillisecondsIntoHigh48BitsAndCounterIntoLow16() {
        let timestamp = Timestamp(milliseconds: 0x1234_5678_9ABC, counter: 0xDEF0)
        #expect(timestamp.rawValue == 0x1234_5678_9ABC_DEF0)
        #expect(timestamp.milliseconds == 0x1234_5678_9ABC)
        #expect(timestamp.counter == 0xDEF0)
    }

    @Test func rawValueRoundTripsThroughMillisecondsAndCounter() {
        let timestamp = Timestamp(rawValue: 0xFFFF_0000_0001_0002)
        #expect(timestamp.milliseconds == 0xFFFF_0000_0001)
        #expect(timestamp.counter == 2)
        #expect(Timestamp(milliseconds: timestamp.milliseconds, counter: timestamp.counter) == timestamp)
    }

    @Test func largestTimestampFillsAll64Bits() {
        let largest = Timestamp(milliseconds: Timestamp.maxMilliseconds, counter: Timestamp.maxCounter)
        #expect(Timestamp.maxMilliseconds == (1 << 48) - 1)
        #expect(largest.rawValue == UInt64.max)
        #expect(Timestamp.zero.rawValue == 0)
    }

    @Test(arguments: [
        (Timestamp(milliseconds: 1, counter: 65535), Timestamp(milliseconds: 2, counter: 0)),
        (Timestamp(milliseconds: 5, counter: 1), Timestamp(milliseconds: 5, counter: 2)),
        (Timestamp.zero, Timestamp(milliseconds: 0, counter: 1)),
        (
            Timestamp(milliseconds: 1_763_884_800_000, counter: 9),
            Timestamp(milliseconds: 1_763_884_800_001, counter: 0)
        ),
    ])
    func ordersByMillisecondsThenCounter(smaller: Timestamp, greater: Timestamp) {
        #expect(smaller < greater)
        #expect(!(greater < smaller))
        #expect(smaller != greater)
    }

    @Test func textFormIsMillisecondsColonCounter() {
        #expect(Timestamp(milliseconds: 1_763_884_800_000, counter: 3).description == "1763884800000:3")
        #expect(Timestamp.zero.description == "0:0")
    }

    @Test(arguments: ["0:0", "1763884800000:3", "281474976710655:65535", "42:65535"])
    func textFormRoundTrips(text: String) throws {
        let timestamp = try #require(Timestamp(text: text))
        #expect(timestamp.description == text)
        #expect(Timestamp(text: timestamp.description) == timestamp)
    }

    @Test func parsesTheFieldsItPrints() throws {
        let timestamp = try #require(Timestamp(text: "1763884800000:3"))
        #expect(timestamp.milliseconds == 1_763_884_800_000)
        #expect(timestamp.counter == 3)
    }

    @Test(arguments: [
        "", ":", "1", "1:", ":1", "1:2:3", "-1:0", "1:-1", " 1:0", "1:0 ", "1 :0", "1: 0", "+1:0", "1:+0",
        "1.5:0", "0x10:0", "abc:1", "1:abc", "\u{0661}:0",
        "281474976710656:0",  // 2^48 milliseconds: one beyond 48 bits
        "1:65536",  // one beyond 16 bits
        "99999999999999999999:0",  // beyond 64 bits
    ])
    func rejectsMalformedText(text: String) {
        #expect(Timestamp(text: text) == nil, "accepted \"\(text)\"")
    }
}
