import Foundation
import SSTCore

/// The machine's wall clock, in milliseconds since the Unix epoch.
public struct SystemClock: PhysicalClock {
    public init() {}

    public func milliseconds() -> UInt64 {
        UInt64(max(0, Date().timeIntervalSince1970 * 1000))
    }
}
