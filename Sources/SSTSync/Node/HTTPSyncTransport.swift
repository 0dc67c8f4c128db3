import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPCompression
import NIOSSL
import SSTCore
import SSTPKI

/// The node's transport to the hub over HTTPS with mutual TLS (AsyncHTTPClient): its certificate as client
/// certificate, only the district CA trusted, a deadline on every request. Push bodies go gzip-compressed
/// (unless ``Configuration/gzipRequestBodies`` is off), and every request accepts a gzip answer.
///
/// Only a hub is sent anything beyond the TLS handshake. The transport connects to the host and port of the hub
/// URL, but asks TLS for ``HubTLSName/name`` (SNI, and the name the server's certificate must carry), which only
/// hub certificates have; a school's certificate of the same CA fails the handshake. The TLS library also accepts a
/// certificate that names the connected IP address itself, and every node certificate names 127.0.0.1, so the
/// transport connects to an IPv4 address in its IPv4-mapped IPv6 form (`::ffff:a.b.c.d`), which no certificate
/// names (`sst pki issue` refuses such an address for a school): then only the hub name matches. The host is
/// resolved again at every handshake.
///
/// To another node of this node's school (``Configuration/peerSchool``, `sst sync --peer`) it asks TLS for
/// ``SchoolTLSName/name(forSchool:)`` instead, which only that school's certificates carry: another school's
/// certificate, or the hub's, fails the handshake likewise and is sent nothing.
public struct HTTPSyncTransport: SyncTransport {
    /// Connection and request limits.
    public struct Configuration: Sendable {
        /// The hub's base URL, e.g. `https://hub.example:8443`.
        public var hubURL: String
        /// Time to connect (TCP and TLS).
        public var connectTimeout: Duration
        /// Time for a whole request, from sending to the last byte of the answer.
        public var requestTimeout: Duration
        /// The largest answer accepted, in bytes (after decompression).
        public var maxResponseBytes: Int
        /// Whether push bodies are sent gzip-compressed (`Content-Encoding: gzip`).
        public var gzipRequestBodies: Bool
        /// This node's school when ``hubURL`` is another node of it (a peer), not the hub: the server's certificate
        /// must then carry ``SchoolTLSName/name(forSchool:)`` instead of ``HubTLSName/name``.
        public var peerSchool: String?

        public init(
            hubURL: String,
            connectTimeout: Duration = .seconds(10),
            requestTimeout: Duration = .seconds(120),
            maxResponseBytes: Int = 256 * 1024 * 1024,
            gzipRequestBodies: Bool = true,
            peerSchool: String? = nil
        ) {
            self.hubURL = hubURL.hasSuffix("/") ? String(hubURL.dropLast()) : hubURL
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.maxResponseBytes = maxResponseBytes
            self.gzipRequestBodies = gzipRequestBodies
            self.peerSchool = peerSchool
        }

        /// The name TLS is asked for: the hub's, or the peer school's.
        var serverName: String { peerSchool.map(SchoolTLSName.name(forSchool:)) ?? HubTLSName.name }
    }

    let clients: HubClients
    let endpoint: HubEndpoint
    public let configuration: Configuration
    let logger: Logger

    init(clients: HubClients, endpoint: HubEndpoint, configuration: Configuration, logger: Logger) {
        self.clients = clients
        self.endpoint = endpoint
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs `body` with a transport to the hub, whose HTTP clients are shut down when `body` returns. The clients
    /// decompress gzip answers, up to ``Configuration/maxResponseBytes``. `tls` is used with the server's name
    /// checked, whatever it says.
    public static func withTransport<T>(
        configuration: Configuration,
        tls: TLSConfiguration,
        logger: Logger,
        _ body: (HTTPSyncTransport) async throws -> T
    ) async throws -> T {
        let endpoint = try HubEndpoint(url: configuration.hubURL, serverName: configuration.serverName)
        var tls = tls
        tls.certificateVerification = .fullVerification
        var clientConfiguration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(configuration.connectTimeout.nanoseconds))
        )
        clientConfiguration.httpVersion = .http1Only
        clientConfiguration.decompression = .enabled(limit: .size(configuration.maxResponseBytes))
        let clients = HubClients(
            configuration: clientConfiguration,
            logger: logger,
            serverName: configuration.serverName
        )
        let transport = HTTPSyncTransport(
            clients: clients,
            endpoint: endpoint,
            configuration: configuration,
            logger: logger
        )
        let result: T
        do {
            result = try await body(transport)
        } catch {
            try? await clients.shutdown()
            throw error
        }
        try await clients.shutdown()
        return result
    }

    /// Resolves the hub's host again (a session starts here), then sends the handshake.
    public func handshake(_ request: HandshakeRequest) async throws(SyncFailure) -> HandshakeResponse {
        let address = try await endpoint.connectionAddress()
        clients.use(address)
        return try await send(.POST, SyncProtocol.handshakePath, body: encode(request))
    }

    public func pushBody(_ changeSet: ChangeSet) throws(SyncFailure) -> PushBody {
        let json: Data
        do {
            json = try ChangeSetCodec.encode(changeSet)
        } catch {
            throw SyncFailure(.local, "cannot encode the change set: \(error)", remedy: "Report this as a bug.")
        }
        guard configuration.gzipRequestBodies else { return PushBody(json: json, gzip: nil) }
        do {
            return PushBody(json: json, gzip: try GzipCodec.compress(json))
        } catch {
            logger.warning("cannot gzip the push body; sending it uncompressed", metadata: ["error": "\(error)"])
            return PushBody(json: json, gzip: nil)
        }
    }

    public func push(_ body: PushBody) async throws(SyncFailure) -> PushResponse {
        guard let compressed = body.gzip else {
            return try await send(.POST, SyncProtocol.pushPath, body: body.json)
        }
        do throws(SyncFailure) {
            return try await send(.POST, SyncProtocol.pushPath, body: compressed, encoding: "gzip")
        } catch let failure where failure.problem?.statusCode == 415 {
            // A hub of an earlier version reads uncompressed bodies only; nothing was applied.
            logger.notice("the hub does not read gzip bodies; pushing uncompressed")
            return try await send(.POST, SyncProtocol.pushPath, body: body.json)
        }
    }

    public func pull(since: Int64, limit: Int) async throws(SyncFailure) -> PullResponse {
        try await send(.GET, "\(SyncProtocol.pullPath)?since=\(since)&limit=\(limit)", body: nil)
    }

    /// The district's deny list the hub enforces (`GET /v2/revocations`); `nil` from a peer, which serves none.
    public func revocationList() async throws(SyncFailure) -> RevocationList? {
        guard configuration.peerSchool == nil else { return nil }
        let list: RevocationList
        do {
            let body = try await sendRaw(.GET, RevocationRoutes.fullPath, body: nil)
            list = try RevocationList.decode(body, from: "the hub")
        } catch let failure as SyncFailure {
            throw failure
        } catch {
            throw SyncFailure(
                .protocolError,
                "the hub's revocation list cannot be read: \(error)",
                remedy: "Run the same SST Sync version on the node and the hub."
            )
        }
        return list
    }

    /// Sends a request (`body` in the content coding `encoding`, if any) and reads the answer.
    func send<Answer: Decodable>(
        _ method: HTTPMethod,
        _ path: String,
        body: Data?,
        encoding: String? = nil
    ) async throws(SyncFailure)
        -> Answer
    {
        let data = try await sendRaw(method, path, body: body, encoding: encoding)
        // A member named twice could be read differently by two readers: refused, as the hub refuses it.
        if let duplicate = JSONDuplicateMembers.first(in: data) {
            throw SyncFailure(
                .protocolError,
                "the hub's answer to \(path) names \(duplicate.joined(separator: ".")) twice; nothing of it was applied",
                remedy: "Check the --hub URL, and run the same SST Sync version on the node and the hub."
            )
        }
        do {
            return try JSONDecoder().decode(Answer.self, from: data)
        } catch {
            throw SyncFailure(
                .protocolError,
                "the hub's answer to \(path) cannot be read: \(error)",
                remedy: "Check the --hub URL, and run the same SST Sync version on the node and the hub."
            )
        }
    }

    /// Sends a request as ``send(_:_:body:encoding:)`` does and returns the body of a 2xx answer, decompressed.
    private func sendRaw(
        _ method: HTTPMethod,
        _ path: String,
        body: Data?,
        encoding: String? = nil
    ) async throws(SyncFailure)
        -> Data
    {
        let client: HTTPClient
        do {
            client = try await clients.current(or: endpoint)
        } catch let failure as SyncFailure {
            throw failure
        } catch {
            throw Self.failure(error, url: configuration.hubURL, peerSchool: configuration.peerSchool)
        }
        var request = HTTPClientRequest(url: endpoint.requestBase + path)
        request.method = method
        request.headers.add(name: "Accept", value: SyncProtocol.jsonMediaType)
        request.headers.add(name: "Accept-Encoding", value: "gzip")
        request.headers.add(name: "User-Agent", value: "sst-sync/\(SyncProtocol.version)")
        if let body {
            request.headers.add(name: "Content-Type", value: SyncProtocol.jsonMediaType)
            if let encoding {
                request.headers.add(name: "Content-Encoding", value: encoding)
            }
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let status: Int
        let bytes: ByteBuffer
        do {
            let response = try await client.execute(
                request,
                timeout: .nanoseconds(configuration.requestTimeout.nanoseconds),
                logger: logger
            )
            status = Int(response.status.code)
            bytes = try await response.body.collect(upTo: configuration.maxResponseBytes)
        } catch {
            throw Self.failure(error, url: configuration.hubURL, peerSchool: configuration.peerSchool)
        }
        var data = Data(bytes.readableBytesView)
        if GzipCodec.isGzip(data) {
            // Still compressed: the HTTP client was made without decompression (JSON never starts so).
            do {
                data = try GzipCodec.decompress(data, limit: configuration.maxResponseBytes)
            } catch {
                throw SyncFailure(
                    .protocolError,
                    "the hub's gzip answer to \(path) cannot be read: \(error)",
                    remedy: "Check the --hub URL, and run the same SST Sync version on the node and the hub."
                )
            }
        }
        guard (200..<300).contains(status) else {
            if let problem = try? JSONDecoder().decode(Problem.self, from: data) {
                throw SyncFailure(problem: problem)
            }
            throw SyncFailure(
                problem: Problem(
                    status: status,
                    code: status >= 500 ? Problem.Codes.internalError : Problem.Codes.malformedRequest,
                    title: "HTTP \(status)",
                    detail: "the hub answered HTTP \(status) without a problem body",
                    remedy: "Check the --hub URL: it must be the district hub."
                )
            )
        }
        return data
    }

    private func encode(_ value: some Encodable) throws(SyncFailure) -> Data {
        do {
            return try JSONEncoder().encode(value)
        } catch {
            throw SyncFailure(.local, "cannot encode the request: \(error)", remedy: "Report this as a bug.")
        }
    }

    /// A transport error as a sync failure: TLS refusals are permanent, everything else may pass.
    static func failure(_ error: any Error, url: String, peerSchool: String? = nil) -> SyncFailure {
        if let school = peerSchool, let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            let name = SchoolTLSName.name(forSchool: school)
            return SyncFailure(
                .notSameSchool,
                "the server at \(url) is not a node of \(school): its certificate, issued by the district CA, does not "
                    + "carry the school's name \(name) (another school's certificate, the hub's, or a school "
                    + "certificate issued before school certificates carried that name); nothing was sent to it",
                remedy: "Check the --peer URL. If it is a node of \(school), its administrators reissue its "
                    + "certificate with `sst pki issue --role school --school \"\(school)\"` (which adds \(name)) and restart "
                    + "`sst node serve` with it; then sync again."
            )
        }
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            return SyncFailure(
                .notHub,
                "the server at \(url) is not the district hub: its certificate, issued by the district CA, does not "
                    + "carry the hub name \(HubTLSName.name) (a school's certificate, or a hub certificate issued "
                    + "before hubs carried that name); nothing was sent to it",
                remedy: "Check the --hub URL. If it is the district hub, its administrators reissue its certificate "
                    + "with `sst pki issue --role hub` (which adds \(HubTLSName.name)) and restart `sst hub serve` "
                    + "with it; then sync again."
            )
        }
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return SyncFailure(
                .tls,
                "the TLS handshake with \(url) failed: \(error)",
                remedy:
                    "Check that the hub's certificate and this node's are issued by the district CA and valid today."
            )
        }
        if let error = error as? HTTPClientError, error == .cancelled {
            return SyncFailure(.cancelled, "the request to \(url) was cancelled", remedy: "Sync again.")
        }
        if error is NIOHTTPDecompression.DecompressionError || error is NIOHTTPDecompression.ExtraDecompressionError {
            return SyncFailure(
                .protocolError,
                "the hub's gzip answer cannot be read: \(error)",
                remedy: "An answer over the node's limit, or a corrupt one: check the --hub URL, and run the same SST "
                    + "Sync version on the node and the hub."
            )
        }
        return SyncFailure(
            .unreachable,
            "the hub at \(url) cannot be reached: \(error)",
            remedy:
                "Check the network and that the hub runs; the node keeps its changes and retries. If the hub is up, "
                + "check that this node's certificate is issued by the district CA and not revoked."
        )
    }
}
