import Foundation
import SSTCore

/// A physical clock a test sets and moves: starts at the real time.
final class TestClock: PhysicalClock, @unchecked Sendable {
    private let lock = NSLock()
    private var now: UInt64

    init(milliseconds: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000)) {
        now = milliseconds
    }

    func milliseconds() -> UInt64 {
        lock.withLock { now }
    }

    /// Moves the clock forward (or back, with a negative amount).
    func advance(by milliseconds: Int64) {
        lock.withLock { now = UInt64(Int64(now) + milliseconds) }
    }

    static let day: Int64 = 86_400_000
}
