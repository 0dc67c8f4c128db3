import Foundation
import SSTCore
import SSTSync

/// The demo's simulated time, shared by the hub and the schools: it starts now and jumps a day at a time
/// while the hub is down, so that a week passes in a second and every clock still agrees.
final class DemoClock: PhysicalClock, @unchecked Sendable {
    private let lock = NSLock()
    private var now = UInt64(Date().timeIntervalSince1970 * 1000)

    func milliseconds() -> UInt64 {
        lock.withLock { now }
    }

    func advance(days: Int) {
        lock.withLock { now += UInt64(days) * 86_400_000 }
    }

    /// Today in the simulated calendar, `YYYY-MM-DD`.
    var today: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(milliseconds()) / 1000))
    }
}
