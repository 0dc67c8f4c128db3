import Foundation
import Hummingbird
import Logging
import NIOCore
import SSTCore
import SSTStore

/// The routes of the hub: `/v1` (client certificate required), `/health` and `/metrics` (open).
public enum SyncRoutes {
    /// The hub's router: every answer counted, every error a problem+json, `/v1` behind the client certificate.
    public static func hubRouter(
        service: HubService,
        authenticator: PeerAuthenticator
    ) -> Router<SyncRequestContext> {
        let router = Router(context: SyncRequestContext.self)
        router.add(middleware: ProblemMiddleware(metrics: service.metrics))
        addOpenRoutes(to: router, metrics: service.metrics, node: try? service.store.identity().node.rawValue)
        let v1 = router.group("v1")
            .add(middleware: ClientCertificateMiddleware(authenticator: authenticator, metrics: service.metrics))
        v1.post("handshake") { request, context in
            let peer = try context.requirePeer()
            let body = try await collect(request, limit: service.configuration.maxBodyBytes)
            let handshake: HandshakeRequest
            do {
                handshake = try JSONDecoder().decode(HandshakeRequest.self, from: body)
            } catch {
                throw Problem.malformed("the handshake body is not a handshake request: \(error)")
            }
            let answer = try await Blocking.run { () throws(Problem) in try service.handshake(handshake, from: peer) }
            return try json(answer)
        }
        v1.post("push") { request, context in
            let peer = try context.requirePeer()
            let body = try await collect(request, limit: service.configuration.maxBodyBytes)
            let answer = try await Blocking.run { () throws(Problem) in try service.push(body, from: peer) }
            return try json(answer)
        }
        v1.get("pull") { request, context in
            let peer = try context.requirePeer()
            let since = try integer(request, "since") ?? 0
            let limit = try integer(request, "limit").map { Int(clamping: $0) }
            let answer = try await Blocking.run { () throws(Problem) in
                try service.pull(since: since, limit: limit, for: peer)
            }
            return try json(answer)
        }
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

    /// The request body, refused with a 413 problem when it is (or says it is) larger than `limit`, and with a
    /// 415 when it is compressed (this hub reads identity bodies only).
    static func collect(_ request: Request, limit: Int) async throws -> Data {
        if let encoding = request.headers[.contentEncoding], encoding.lowercased() != "identity" {
            throw Problem(
                status: 415,
                code: Problem.Codes.malformedRequest,
                title: "Unsupported content encoding",
                detail: "the request body is \(encoding)-encoded; this hub reads uncompressed bodies only",
                remedy: "Send the body without Content-Encoding."
            )
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw Problem.bodyTooLarge(limit: limit)
        }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Data(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw Problem.bodyTooLarge(limit: limit)
        }
    }

    static func integer(_ request: Request, _ name: String) throws(Problem) -> Int64? {
        guard let text = request.uri.queryParameters[name[...]].map(String.init) else { return nil }
        guard let value = Int64(text) else {
            throw Problem.malformed("the query parameter \(name) must be an integer, not \"\(text)\"")
        }
        return value
    }

    /// A JSON response with sorted keys.
    static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(
            status: .ok,
            headers: [.contentType: SyncProtocol.jsonMediaType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value)))
        )
    }
}
