/// A hybrid logical clock as in Kulkarni et al., "Logical Physical Clocks" (2014).
///
/// The clock keeps the last timestamp it issued or observed. Local events (a write, a send) call
/// ``tick(physical:)``; received timestamps go through ``receive(_:physical:)``. Timestamps from this
/// clock never go backwards, whatever the physical clock does, as long as the caller persists
/// ``last`` and restores it with ``init(last:maxOffsetMilliseconds:)``.
///
/// When the 16-bit counter would overflow, the clock moves its logical milliseconds one step ahead
/// of physical time instead; the next physical tick catches up.
public struct HybridLogicalClock: Sendable, Equatable {
    /// Five minutes: the default for how far a remote timestamp may be ahead of local physical time.
    public static let defaultMaxOffsetMilliseconds: UInt64 = 5 * 60 * 1000

    /// The greatest timestamp issued or observed so far.
    public private(set) var last: Timestamp
    /// How far ahead of local physical time a received timestamp may be before it is refused.
    public var maxOffsetMilliseconds: UInt64

    public init(last: Timestamp = .zero, maxOffsetMilliseconds: UInt64 = defaultMaxOffsetMilliseconds) {
        self.last = last
        self.maxOffsetMilliseconds = maxOffsetMilliseconds
    }

    /// The send / local-event rule: `l' = max(l, pt)`; the counter increments if `l` did not move.
    public mutating func tick(physical: UInt64) -> Timestamp {
        let physical = min(physical, Timestamp.maxMilliseconds)
        if physical > last.milliseconds {
            last = Timestamp(milliseconds: physical, counter: 0)
        } else {
            last = Self.successor(of: last)
        }
        return last
    }

    /// The receive rule: `l' = max(l, l_m, pt)`, with the counter chosen by which of them `l'` equals.
    ///
    /// Throws ``ClockError`` and leaves the clock unchanged when `remote` is more than
    /// ``maxOffsetMilliseconds`` ahead of `physical`.
    public mutating func receive(_ remote: Timestamp, physical: UInt64) throws(ClockError) -> Timestamp {
        try check(remote, physical: physical)
        let physical = min(physical, Timestamp.maxMilliseconds)
        let logical = max(last.milliseconds, remote.milliseconds, physical)
        let current = last
        if logical == current.milliseconds && logical == remote.milliseconds {
            last = Self.successor(of: max(current, remote))
        } else if logical == current.milliseconds {
            last = Self.successor(of: current)
        } else if logical == remote.milliseconds {
            last = Self.successor(of: remote)
        } else {
            last = Timestamp(milliseconds: logical, counter: 0)
        }
        return last
    }

    /// Refuses a remote timestamp that is more than the allowed offset ahead of local physical time.
    public func check(_ remote: Timestamp, physical: UInt64) throws(ClockError) {
        let limit = physical.addingReportingOverflow(maxOffsetMilliseconds)
        if !limit.overflow && remote.milliseconds > limit.partialValue {
            throw ClockError(
                remote: remote,
                physicalMilliseconds: physical,
                maxOffsetMilliseconds: maxOffsetMilliseconds
            )
        }
    }

    /// The next timestamp after `timestamp`: counter plus one, or the next millisecond on overflow.
    static func successor(of timestamp: Timestamp) -> Timestamp {
        if timestamp.counter < Timestamp.maxCounter {
            return Timestamp(milliseconds: timestamp.milliseconds, counter: timestamp.counter + 1)
        }
        return Timestamp(milliseconds: timestamp.milliseconds + 1, counter: 0)
    }
}

/// A remote timestamp too far into the future of the local physical clock.
public struct ClockError: Error, Equatable, Sendable, CustomStringConvertible {
    public let remote: Timestamp
    public let physicalMilliseconds: UInt64
    public let maxOffsetMilliseconds: UInt64

    /// How far ahead of local physical time the remote timestamp is, in milliseconds.
    public var aheadMilliseconds: UInt64 { remote.milliseconds - physicalMilliseconds }

    public var description: String {
        "a change is stamped \(Self.duration(aheadMilliseconds)) ahead of this node's clock; "
            + "the allowed offset is \(Self.duration(maxOffsetMilliseconds)). Nothing was applied. "
            + "Check the clock (NTP) on the sending node and on this one; the sender keeps its changes "
            + "and they will sync once the clocks agree."
    }

    static func duration(_ milliseconds: UInt64) -> String {
        let seconds = (milliseconds + 500) / 1000
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7200 { return "\((seconds + 30) / 60) min" }
        if seconds < 172_800 { return "\((seconds + 1800) / 3600) h" }
        return "\((seconds + 43200) / 86400) days"
    }
}
