import Logging
import SSTCore
import SSTStore
import ServiceLifecycle

extension HubServer {
    /// Runs the hub for the duration of `body`, which gets the bound port, then shuts it down gracefully
    /// (requests in flight finish). For tools and demos that start a hub in process. As in
    /// ``run(store:configuration:logger:)``, the store's log is checkpointed on a thread of its own meanwhile.
    public static func withRunning<T: Sendable>(
        store: Store,
        configuration: Configuration,
        physicalClock: any PhysicalClock = SystemClock(),
        logger: Logger,
        _ body: @Sendable (_ port: Int) async throws -> T
    ) async throws -> T {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = try application(
            store: store,
            configuration: configuration,
            physicalClock: physicalClock,
            logger: logger
        ) { port in
            continuation.yield(port)
        }
        let group = ServiceGroup(configuration: .init(services: [application], logger: logger))
        return try await store.withBackgroundCheckpoints {
            try await SyncServer.run(group, ports: ports, finishing: continuation, body)
        }
    }
}
