import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// Builds the HTTPS server (HTTP/1.1 over TLS) that serves a sync router: the hub's, or a school node's
/// open routes. The result is a `Service` to run in a `ServiceGroup`, which shuts it down gracefully:
/// requests in flight finish, new connections are refused.
public enum SyncServer {
    /// Where and how to listen.
    public struct Configuration: Sendable {
        /// The host (address or name) to bind.
        public var host: String
        /// The port to bind; 0 picks a free one (``application(router:tls:configuration:logger:onListening:)``
        /// reports it).
        public var port: Int
        /// How long an idle connection stays open.
        public var idleTimeout: Duration

        public init(host: String, port: Int, idleTimeout: Duration = .seconds(60)) {
            self.host = host
            self.port = port
            self.idleTimeout = idleTimeout
        }
    }

    /// The application for `router` on TLS; `onListening` gets the bound port once the server accepts connections.
    public static func application(
        router: Router<SyncRequestContext>,
        tls: TLSConfiguration,
        configuration: Configuration,
        logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let http1 = HTTP1Channel.Configuration(idleTimeout: .nanoseconds(configuration.idleTimeout.nanoseconds))
        let server: HTTPServerBuilder
        do {
            server = try .tls(.http1(configuration: http1), tlsConfiguration: tls)
        } catch {
            throw SyncSetupError(
                "cannot set up TLS: \(error)",
                remedy: "Check that the key belongs to the certificate, and that both are PEM."
            )
        }
        return Application(
            router: router,
            server: server,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "sst-sync"
            ),
            onServerRunning: { channel in
                await onListening(channel.localAddress?.port ?? configuration.port)
            },
            logger: logger
        )
    }
}

extension SyncServer {
    /// Runs `group` (a server application) until `body`, given the port the application reported through
    /// `ports`, is done; then shuts it down gracefully (requests in flight finish).
    public static func run<T: Sendable>(
        _ group: ServiceGroup,
        ports: AsyncStream<Int>,
        finishing continuation: AsyncStream<Int>.Continuation,
        _ body: @Sendable (_ port: Int) async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                try await group.run()
                continuation.finish()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await tasks.waitForAll()
                throw SyncSetupError("the server stopped before it listened", remedy: "See the log for why.")
            }
            do {
                let result = try await body(port)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}

extension Duration {
    /// The whole duration in nanoseconds, saturating at `Int64.max`.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled + attoseconds / 1_000_000_000
    }
}
