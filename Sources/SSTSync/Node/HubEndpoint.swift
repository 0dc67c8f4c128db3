import AsyncHTTPClient
import Foundation
import Logging
import SSTPKI

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the hub is, from its URL, and the address a node connects to so that only ``HubTLSName/name`` can match
/// the server's certificate (``HTTPSyncTransport``).
struct HubEndpoint: Sendable {
    /// The host of the hub URL: a name, an IPv4 or an IPv6 address (without brackets).
    let host: String
    let port: Int
    /// The URL's path, without a trailing `/`; usually empty.
    let path: String
    /// The name TLS is asked for: ``HubTLSName/name`` for the hub, ``SchoolTLSName/name(forSchool:)`` for another
    /// node of this node's school.
    let serverName: String

    init(url: String, serverName: String = HubTLSName.name) throws {
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == "https",
            var host = components.host, !host.isEmpty
        else {
            throw SyncSetupError("the hub URL \(url) is not https://HOST:PORT", remedy: "Give --hub https://HOST:PORT.")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host
        self.port = components.port ?? 443
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.path = path
        self.serverName = serverName
    }

    /// The base of every request URL: the server name, the server's port and path. The HTTP client connects to
    /// ``connectionAddress()`` instead of resolving the name.
    var requestBase: String { "https://\(serverName):\(port)\(path)" }

    /// The address to connect to: an IPv4 address (the URL's, or the first the host name resolves to) in its
    /// IPv4-mapped IPv6 form, which no node certificate names, so that the server's certificate passes by the hub
    /// name alone; an IPv6 address as it is (a certificate naming it with `--ip` would pass too).
    func connectionAddress() async throws(SyncFailure) -> String {
        if Self.isIPv4(host) { return try Self.mapped(host) }
        if Self.isIPv6(host) { return host }
        let resolved = await Self.resolve(host)
        switch resolved {
        case .success(let addresses):
            if let v4 = addresses.first(where: Self.isIPv4) { return try Self.mapped(v4) }
            if let v6 = addresses.first { return v6 }
            throw SyncFailure(
                .unreachable,
                "the hub's host name \(host) resolves to no address",
                remedy: "Check the --hub URL and this node's DNS; the node keeps its changes and retries."
            )
        case .failure(let message):
            throw SyncFailure(
                .unreachable,
                "the hub's host name \(host) cannot be resolved: \(message.text)",
                remedy: "Check the --hub URL and this node's DNS; the node keeps its changes and retries."
            )
        }
    }

    private static func mapped(_ v4: String) throws(SyncFailure) -> String {
        guard ipv6Sockets else {
            throw SyncFailure(
                .local,
                "this machine cannot open IPv6 sockets, which the node needs to reach its hub at an IPv4 address "
                    + "(as ::ffff:\(v4), so that no certificate but a hub's passes)",
                remedy: "Turn IPv6 on in the kernel (no interface needs an IPv6 address); the node keeps its changes."
            )
        }
        return "::ffff:" + v4
    }

    /// Whether this machine can open IPv6 sockets (a kernel started with `ipv6.disable=1` cannot).
    private static let ipv6Sockets: Bool = {
        #if canImport(Glibc) || canImport(Musl)
        let descriptor = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET6, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { return false }
        close(descriptor)
        return true
    }()

    static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }

    struct ResolutionError: Error {
        let text: String
    }

    /// The host's addresses in text form, in the resolver's order, off the cooperative threads (`getaddrinfo`
    /// blocks).
    private static func resolve(_ host: String) async -> Result<[String], ResolutionError> {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: resolveBlocking(host)) }
        }
    }

    private static func resolveBlocking(_ host: String) -> Result<[String], ResolutionError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc) || canImport(Musl)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else { return .failure(ResolutionError(text: String(cString: gai_strerror(status)))) }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var next = list
        while let entry = next {
            next = entry.pointee.ai_next
            guard let socketAddress = entry.pointee.ai_addr else { continue }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
            let text: String?
            switch entry.pointee.ai_family {
            case AF_INET:
                text = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    var address = pointer.pointee.sin_addr
                    return inet_ntop(AF_INET, &address, &buffer, socklen_t(buffer.count)).map { String(cString: $0) }
                }
            case AF_INET6:
                text = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    var address = pointer.pointee.sin6_addr
                    return inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)).map { String(cString: $0) }
                }
            default:
                text = nil
            }
            if let text, !addresses.contains(text) { addresses.append(text) }
        }
        return .success(addresses)
    }
}

/// The HTTP clients of one ``HTTPSyncTransport``: one per address the hub's host resolved to (usually one), each
/// connecting there for ``HubTLSName/name``; all shut down together.
final class HubClients: @unchecked Sendable {
    private let lock = NSLock()
    private let configuration: HTTPClient.Configuration
    private let logger: Logger
    private let serverName: String
    private var address: String?
    private var client: HTTPClient?
    private var all: [HTTPClient] = []

    init(configuration: HTTPClient.Configuration, logger: Logger, serverName: String = HubTLSName.name) {
        self.configuration = configuration
        self.logger = logger
        self.serverName = serverName
    }

    /// Connects to `address` from now on; requests already under way finish on their connection.
    func use(_ address: String) {
        lock.lock()
        defer { lock.unlock() }
        guard address != self.address else { return }
        var configuration = configuration
        configuration.dnsOverride = [serverName: address]
        let client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: configuration,
            backgroundActivityLogger: logger
        )
        if self.address != nil {
            logger.info("the hub's address changed", metadata: ["address": "\(address)"])
        }
        self.address = address
        self.client = client
        all.append(client)
    }

    /// The client for the current address, resolving the hub's host first when there is none yet.
    func current(or endpoint: HubEndpoint) async throws -> HTTPClient {
        if let client = lock.withLock({ client }) { return client }
        use(try await endpoint.connectionAddress())
        return lock.withLock { client! }
    }

    func shutdown() async throws {
        let clients = lock.withLock {
            defer { all = [] }
            client = nil
            address = nil
            return all
        }
        var firstError: (any Error)?
        for client in clients {
            do {
                try await client.shutdown()
            } catch {
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
    }
}
