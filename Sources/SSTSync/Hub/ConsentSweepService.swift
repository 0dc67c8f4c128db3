import Logging
import SSTStore
import ServiceLifecycle

/// The hub's consent sweep, a `Service` beside the sync endpoints: at start and every ``interval`` it purges (or,
/// if the policy says so, retains and audits) what the hub received under consents that are no longer in force,
/// judged on the hub's own clock. An expiry needs no message from the school, and takes effect even while the
/// school never syncs again.
///
/// On graceful shutdown it stops between two sweeps; a sweep is one transaction, so it is never half-done.
public struct ConsentSweepService: Service {
    /// Ten minutes: consents lapse by the day, so a lapsed consent's data is gone within minutes of midnight.
    public static let defaultInterval: Duration = .seconds(600)

    public let store: Store
    public let interval: Duration
    let logger: Logger

    public init(store: Store, interval: Duration = Self.defaultInterval, logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let store = self.store
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let report = try await Blocking.run { try store.sweepConsents() }
                if report.purgedFields > 0 || report.retainedFields > 0 {
                    logger.info(
                        "consent sweep",
                        metadata: [
                            "purged": "\(report.purgedFields)", "retained": "\(report.retainedFields)",
                            "pupils": "\(report.pupils.count)",
                        ]
                    )
                }
            } catch {
                logger.error(
                    "consent sweep failed; it runs again at the next interval",
                    metadata: ["error": "\(error)"]
                )
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
