import Testing

@testable import SSTCore

@Suite struct HybridLogicalClockTests {
    private static let hour: UInt64 = 3_600_000

    private func clock(at milliseconds: UInt64, _ counter: UInt16, offset: UInt64 = 300_000) -> HybridLogicalClock {
        HybridLogicalClock(last: Timestamp(milliseconds: milliseconds, counter: counter), maxOffsetMilliseconds: offset)
    }

    // MARK: tick

    @Test func tickWhenPhysicalAdvancesTakesPhysicalAndResetsCounter() {
        var clock = clock(at: 1_000, 5)
        #expect(clock.tick(physical: 2_000) == Timestamp(milliseconds: 2_000, counter: 0))
        #expect(clock.last == Timestamp(milliseconds: 2_000, counter: 0))
    }

    @Test func tickWhenPhysicalStandsStillIncrementsCounter() {
        var clock = clock(at: 1_000, 5)
        #expect(clock.tick(physical: 1_000) == Timestamp(milliseconds: 1_000, counter: 6))
        #expect(clock.tick(physical: 1_000) == Timestamp(milliseconds: 1_000, counter: 7))
    }

    @Test func tickNeverGoesBackwardsWhenPhysicalClockJumpsBackAnHour() {
        let now: UInt64 = 1_763_884_800_000
        var clock = clock(at: now, 2)
        var previous = clock.last
        for step in 0..<50 {
            let issued = clock.tick(physical: now - Self.hour + UInt64(step))
            #expect(issued > previous)
            #expect(issued.milliseconds == now)
            previous = issued
        }
        #expect(previous == Timestamp(milliseconds: now, counter: 52))
    }

    @Test func tickClampsPhysicalTimeBeyond48Bits() {
        var clock = HybridLogicalClock()
        #expect(clock.tick(physical: .max) == Timestamp(milliseconds: Timestamp.maxMilliseconds, counter: 0))
    }

    @Test func tickCounterOverflowMovesToNextMillisecondAndStaysMonotonic() {
        var clock = clock(at: 1_000, 65_535)
        let overflowed = clock.tick(physical: 1_000)
        #expect(overflowed == Timestamp(milliseconds: 1_001, counter: 0))
        #expect(clock.tick(physical: 1_000) == Timestamp(milliseconds: 1_001, counter: 1))
        #expect(clock.tick(physical: 1_001) == Timestamp(milliseconds: 1_001, counter: 2))
        #expect(clock.tick(physical: 1_002) == Timestamp(milliseconds: 1_002, counter: 0))
    }

    @Test func successorIncrementsCounterOrCarriesIntoMilliseconds() {
        let successor = HybridLogicalClock.successor(of: Timestamp(milliseconds: 7, counter: 3))
        #expect(successor == Timestamp(milliseconds: 7, counter: 4))
        let carried = HybridLogicalClock.successor(of: Timestamp(milliseconds: 7, counter: .max))
        #expect(carried == Timestamp(milliseconds: 8, counter: 0))
    }

    // MARK: receive

    @Test func receiveWhenLocalRemoteAndResultShareMillisecondsTakesMaxCounterPlusOne() throws {
        var behind = clock(at: 1_000, 3)
        let fromBehind = try behind.receive(Timestamp(milliseconds: 1_000, counter: 7), physical: 900)
        #expect(fromBehind == Timestamp(milliseconds: 1_000, counter: 8))
        var ahead = clock(at: 1_000, 9)
        let fromAhead = try ahead.receive(Timestamp(milliseconds: 1_000, counter: 2), physical: 1_000)
        #expect(fromAhead == Timestamp(milliseconds: 1_000, counter: 10))
    }

    @Test func receiveWhenLocalIsGreatestIncrementsLocalCounter() throws {
        var clock = clock(at: 2_000, 3)
        let result = try clock.receive(Timestamp(milliseconds: 1_000, counter: 7), physical: 1_500)
        #expect(result == Timestamp(milliseconds: 2_000, counter: 4))
    }

    @Test func receiveWhenRemoteIsGreatestIncrementsRemoteCounter() throws {
        var clock = clock(at: 1_000, 3)
        let result = try clock.receive(Timestamp(milliseconds: 2_000, counter: 7), physical: 1_500)
        #expect(result == Timestamp(milliseconds: 2_000, counter: 8))
        #expect(clock.last == result)
    }

    @Test func receiveWhenPhysicalIsGreatestTakesPhysicalWithCounterZero() throws {
        var clock = clock(at: 1_000, 3)
        let result = try clock.receive(Timestamp(milliseconds: 1_500, counter: 7), physical: 3_000)
        #expect(result == Timestamp(milliseconds: 3_000, counter: 0))
    }

    @Test func receiveTakesMaximumOfLocalRemoteAndPhysical() throws {
        var generator = SplitMix64(seed: 2014)
        for _ in 0..<500 {
            let local = Timestamp(
                milliseconds: .random(in: 0...50, using: &generator),
                counter: .random(in: 0...9, using: &generator)
            )
            let remote = Timestamp(
                milliseconds: .random(in: 0...50, using: &generator),
                counter: .random(in: 0...9, using: &generator)
            )
            let physical = UInt64.random(in: 0...50, using: &generator)
            var clock = HybridLogicalClock(last: local)
            let result = try clock.receive(remote, physical: physical)
            #expect(result > local && result > remote, "local \(local) remote \(remote) physical \(physical)")
            #expect(result.milliseconds == max(local.milliseconds, remote.milliseconds, physical))
        }
    }

    @Test func receiveCounterOverflowMovesToNextMillisecond() throws {
        var both = clock(at: 1_000, 65_535)
        let fromBoth = try both.receive(Timestamp(milliseconds: 1_000, counter: 65_535), physical: 1_000)
        #expect(fromBoth == Timestamp(milliseconds: 1_001, counter: 0))
        var remoteOnly = clock(at: 900, 0)
        let fromRemote = try remoteOnly.receive(Timestamp(milliseconds: 1_000, counter: 65_535), physical: 950)
        #expect(fromRemote == Timestamp(milliseconds: 1_001, counter: 0))
        let next = remoteOnly.tick(physical: 1_000)
        #expect(next == Timestamp(milliseconds: 1_001, counter: 1))
    }

    // MARK: clock offset

    @Test func receiveRefusesRemoteBeyondOffsetAndLeavesClockUnchanged() {
        var clock = clock(at: 1_000_000, 4)
        let before = clock
        let error = #expect(throws: ClockError.self) {
            try clock.receive(Timestamp(milliseconds: 1_300_001, counter: 0), physical: 1_000_000)
        }
        #expect(clock == before)
        #expect(error?.maxOffsetMilliseconds == 300_000)
        #expect(error?.physicalMilliseconds == 1_000_000)
        #expect(error?.aheadMilliseconds == 300_001)
    }

    @Test func receiveAcceptsRemoteExactlyAtOffset() throws {
        var clock = clock(at: 1_000_000, 4)
        let result = try clock.receive(Timestamp(milliseconds: 1_300_000, counter: 2), physical: 1_000_000)
        #expect(result == Timestamp(milliseconds: 1_300_000, counter: 3))
    }

    @Test func defaultOffsetIsFiveMinutes() {
        #expect(HybridLogicalClock.defaultMaxOffsetMilliseconds == 300_000)
        #expect(HybridLogicalClock().maxOffsetMilliseconds == 300_000)
    }

    @Test func clockErrorDescriptionNamesTheOffsetAndHowFarAhead() throws {
        var clock = HybridLogicalClock()
        let error = try #require(
            #expect(throws: ClockError.self) {
                try clock.receive(Timestamp(milliseconds: 10_000_000 + Self.hour, counter: 0), physical: 10_000_000)
            }
        )
        #expect(error.description.contains("the allowed offset is 5 min"))
        #expect(error.description.contains("60 min ahead"))
        var strict = HybridLogicalClock(maxOffsetMilliseconds: 90_000)
        let strictError = try #require(
            #expect(throws: ClockError.self) {
                try strict.receive(Timestamp(milliseconds: 200_000, counter: 0), physical: 0)
            }
        )
        #expect(strictError.description.contains("the allowed offset is 90 s"))
    }

    // MARK: persistence

    @Test func restoredClockStaysMonotonicAfterWallClockJumpsBack() throws {
        let now: UInt64 = 1_763_884_800_000
        var original = HybridLogicalClock()
        _ = original.tick(physical: now)
        _ = try original.receive(Timestamp(milliseconds: now + 60_000, counter: 12), physical: now)
        let persisted = original.last.description

        var restored = HybridLogicalClock(last: try #require(Timestamp(text: persisted)))
        let first = restored.tick(physical: now - Self.hour)
        #expect(first > original.last)
        #expect(first == Timestamp(milliseconds: now + 60_000, counter: 14))
        let received = try restored.receive(
            Timestamp(milliseconds: now - 2 * Self.hour, counter: 0),
            physical: now - Self.hour
        )
        #expect(received > first)
    }
}
