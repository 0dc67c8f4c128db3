import Logging
import SSTStore
import ServiceLifecycle

/// The node's background sync loop, a `Service` for a `ServiceGroup`: it syncs at start, every ``Configuration/
/// interval``, and soon after local writes (it watches the store's sequence number); after a failure it retries
/// with growing waits, capped at the interval, for as long as the hub stays down — days if need be.
///
/// On graceful shutdown it stops between two steps: a request in flight finishes, nothing is half-applied.
public struct NodeSyncService: Service {
    public struct Configuration: Sendable {
        /// The time between two syncs when nothing happens.
        public var interval: Duration
        /// How often the store is checked for local writes.
        public var writeCheckInterval: Duration
        /// The wait between a local write and the sync it triggers, so that a burst of writes syncs once.
        public var writeDelay: Duration
        /// The waits after failed syncs: growing from `initial`, capped at `interval`.
        public var failureBackoff: Backoff

        public init(
            interval: Duration = .seconds(300),
            writeCheckInterval: Duration = .seconds(1),
            writeDelay: Duration = .seconds(2),
            failureBackoff: Backoff = Backoff(initial: .seconds(5), maximum: .seconds(300))
        ) {
            self.interval = interval
            self.writeCheckInterval = writeCheckInterval
            self.writeDelay = writeDelay
            self.failureBackoff = failureBackoff
        }
    }

    public let synchronizer: NodeSynchronizer
    public let configuration: Configuration
    let logger: Logger

    public init(synchronizer: NodeSynchronizer, configuration: Configuration = Configuration(), logger: Logger) {
        self.synchronizer = synchronizer
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let clock = ContinuousClock()
        var next = clock.now
        var failures = 0
        var seen = (try? synchronizer.store.lastSequence()) ?? 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if clock.now >= next {
                // What the store held before this sync began: a write made while the sync runs (after its
                // export) is newer than this and triggers the next sync soon, instead of waiting an interval.
                let before = (try? synchronizer.store.lastSequence()) ?? seen
                do {
                    // Consents expire on this node's own clock, even while the hub is unreachable.
                    try synchronizer.store.sweepConsents()
                } catch {
                    logger.error("consent sweep failed", metadata: ["error": "\(error)"])
                }
                do {
                    try await synchronizer.sync(shouldStop: { Task.isShuttingDownGracefully })
                    failures = 0
                    next = clock.now + configuration.interval
                } catch {
                    let backoff = configuration.failureBackoff
                    let delay = min(
                        backoff.delay(attempt: failures, jitter: Double.random(in: 0..<1)),
                        configuration.interval
                    )
                    failures += 1
                    next = clock.now + delay
                    logger.info("next sync attempt", metadata: ["in": "\(delay)", "failures": "\(failures)"])
                }
                seen = before
            }
            let pause = min(configuration.writeCheckInterval, max(.zero, next - clock.now))
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            if let latest = try? synchronizer.store.lastSequence(), latest > seen {
                seen = latest
                if failures == 0 {  // While the hub is down, writes wait for the backoff like everything else.
                    next = min(next, clock.now + configuration.writeDelay)
                }
            }
        }
        logger.info("background sync stopped")
    }
}
