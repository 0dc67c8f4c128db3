/// A source of physical time in milliseconds since the Unix epoch.
///
/// The core never reads the system clock itself: the store and the command line inject one, and tests
/// inject a clock they can move forwards and backwards.
public protocol PhysicalClock: Sendable {
    func milliseconds() -> UInt64
}
