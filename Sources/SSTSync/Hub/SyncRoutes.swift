import Foundation
import Hummingbird
import Logging
import NIOCore
import SSTCore
import SSTStore

/// The routes of the hub: `/v2` (client certificate required), the staff API `/api/v1` (a staff token
/// required, ``StaffRoutes``), `/health` and `/metrics` (open).
public enum SyncRoutes {
    /// The hub's router: every answer counted, every error a problem+json, `/v2` behind the client certificate.
    public static func hubRouter(
        service: HubService,
        authenticator: PeerAuthenticator
    ) -> Router<SyncRequestContext> {
        let router = Router(context: SyncRequestContext.self)
        router.add(middleware: ProblemMiddleware(metrics: service.metrics))
        addOpenRoutes(to: router, metrics: service.metrics, node: try? service.store.identity().node.rawValue)
        let sync = router.group(RouterPath(SyncProtocol.pathPrefix))
            .add(
                middleware: ClientCertificateMiddleware(
                    authenticator: authenticator,
                    metrics: service.metrics,
                    store: service.store
                )
            )
            .add(middleware: RefusalAuditMiddleware(store: service.store))
        sync.post("handshake") { request, context in
            let peer = try context.requirePeer()
            let body = try await collect(request, limit: service.configuration.maxBodyBytes, metrics: service.metrics)
            let handshake: HandshakeRequest
            if let duplicate = JSONDuplicateMembers.first(in: body) {
                throw Problem.malformed("the handshake body names \(duplicate.joined(separator: ".")) twice")
            }
            do {
                handshake = try JSONDecoder().decode(HandshakeRequest.self, from: body)
            } catch {
                throw Problem.malformed("the handshake body is not a handshake request: \(error)")
            }
            let answer = try await Blocking.run { () throws(Problem) in try service.handshake(handshake, from: peer) }
            return try await json(answer, answering: request, metrics: service.metrics)
        }
        sync.post("push") { request, context in
            let peer = try context.requirePeer()
            let limit = service.configuration.maxBodyBytes
            let body = try await receive(request, limit: limit, metrics: service.metrics)
            let answer = try await service.pushGate.withPermit {
                try await Blocking.run { () throws(Problem) in
                    try service.push(body.decoded(limit: limit), from: peer)
                }
            }
            return try await json(answer, answering: request, metrics: service.metrics)
        }
        sync.get("pull") { request, context in
            let peer = try context.requirePeer()
            let since = try integer(request, "since") ?? 0
            let limit = try integer(request, "limit").map { Int(clamping: $0) }
            let answer = try await Blocking.run { () throws(Problem) in
                try service.pull(since: since, limit: limit, for: peer)
            }
            return try await json(answer, answering: request, metrics: service.metrics)
        }
        MailboxRoutes.add(to: sync, service: service, authenticator: authenticator)
        RevocationRoutes.add(to: sync, authenticator: authenticator)
        RecoveryRoutes.add(to: sync, store: service.store)
        StaffRoutes.add(to: router, store: service.store)
        StaffPages.add(to: router, store: service.store, dataDirectory: nil)
        MethodNotAllowedMiddleware.addAfterEveryRoute(to: router)
        return router
    }

    /// `GET /health` and `GET /metrics`, which need no client certificate and reveal no pupil data.
    public static func addOpenRoutes(to router: Router<SyncRequestContext>, metrics: HubMetrics, node: String?) {
        router.get("health") { _, _ in
            try json(["status": "ok", "node": node ?? "?"])
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render()))
            )
        }
    }

    /// A request body as it came, in its content coding.
    struct ReceivedBody: Sendable {
        let bytes: Data
        let coding: ContentCoding

        /// The JSON the body carries (``ContentCoding/decode(_:_:limit:)``).
        func decoded(limit: Int) throws(Problem) -> Data {
            try ContentCoding.decode(bytes, coding, limit: limit)
        }
    }

    /// The request body as the JSON it carries: uncompressed, or gzip (`Content-Encoding: gzip`) decompressed.
    ///
    /// Refused with a 413 problem when the body is (or says it is) larger than `limit`, or decompresses to more
    /// than `limit`; with a 400 when a gzip body cannot be decompressed; with a 415 in any other coding.
    static func collect(_ request: Request, limit: Int, metrics: HubMetrics) async throws -> Data {
        let body = try await receive(request, limit: limit, metrics: metrics)
        // Off the cooperative threads: inflating up to `limit` (16 MiB by default) takes a while.
        return try await Blocking.run { () throws(Problem) in try body.decoded(limit: limit) }
    }

    /// The request body as it came (compressed or not), counted by coding; refused as ``collect(_:limit:metrics:)``
    /// says, except that it is not decompressed yet.
    static func receive(_ request: Request, limit: Int, metrics: HubMetrics) async throws -> ReceivedBody {
        let coding = try ContentCoding.ofRequest(request.headers[.contentEncoding])
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw Problem.bodyTooLarge(limit: limit)
        }
        let body: Data
        do {
            let buffer = try await request.body.collect(upTo: limit)
            body = Data(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw Problem.bodyTooLarge(limit: limit)
        }
        metrics.requestBody(
            endpoint: ProblemMiddleware<SyncRequestContext>.endpoint(request.uri.path),
            encoding: coding.rawValue
        )
        return ReceivedBody(bytes: body, coding: coding)
    }

    static func integer(_ request: Request, _ name: String) throws(Problem) -> Int64? {
        guard let text = request.uri.queryParameters[name[...]].map(String.init) else { return nil }
        guard let value = Int64(text) else {
            throw Problem.malformed("the query parameter \(name) must be an integer, not \"\(text)\"")
        }
        return value
    }

    /// A JSON response with sorted keys.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(
            status: status,
            headers: [.contentType: SyncProtocol.jsonMediaType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encode(value)))
        )
    }

    /// A JSON answer to a `/v2` request: gzip-compressed when the request's `Accept-Encoding` takes gzip,
    /// uncompressed otherwise, and counted by coding.
    static func json(
        _ value: some Encodable,
        answering request: Request,
        metrics: HubMetrics
    ) async throws -> Response {
        var body = try encode(value)
        var headers: HTTPFields = [.contentType: SyncProtocol.jsonMediaType, .vary: "Accept-Encoding"]
        var coding = ContentCoding.identity
        let uncompressed = body
        if ContentCoding.acceptsGzip(request.headers[.acceptEncoding]),
            let compressed = await Blocking.run({ try? GzipCodec.compress(uncompressed) })
        {
            body = compressed
            headers[.contentEncoding] = ContentCoding.gzip.rawValue
            coding = .gzip
        }
        metrics.responseBody(
            endpoint: ProblemMiddleware<SyncRequestContext>.endpoint(request.uri.path),
            encoding: coding.rawValue
        )
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    private static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
