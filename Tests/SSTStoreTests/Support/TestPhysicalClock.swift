import Foundation
import SSTCore

/// A physical clock the test moves by hand: forwards, or backwards to simulate a wall-clock jump.
final class TestPhysicalClock: PhysicalClock, @unchecked Sendable {
    private let lock = NSLock()
    private var now: UInt64

    init(_ milliseconds: UInt64 = 1_800_000_000_000) {
        self.now = milliseconds
    }

    func milliseconds() -> UInt64 {
        lock.withLock { now }
    }

    func set(_ milliseconds: UInt64) {
        lock.withLock { now = milliseconds }
    }

    func advance(by milliseconds: UInt64) {
        lock.withLock { now += milliseconds }
    }
}
