import Hummingbird
import Logging
import NIOCore
import NIOSSL
import SSTCore
import SSTStore

/// Authenticates `/v2` requests by the verified TLS client certificate: no certificate, one naming no node
/// identity or a revoked one is a 403 problem, logged and counted (a revoked one, which names its node, also in
/// the audit trail of `store`); otherwise the peer goes into the context.
///
/// TLS has already checked the chain against the district CA (and its validity period); a certificate from
/// another CA, or an expired one, never gets this far: its handshake fails.
public struct ClientCertificateMiddleware: RouterMiddleware {
    public typealias Context = SyncRequestContext

    let authenticator: PeerAuthenticator
    let metrics: HubMetrics
    let store: Store?

    public init(authenticator: PeerAuthenticator, metrics: HubMetrics, store: Store? = nil) {
        self.authenticator = authenticator
        self.metrics = metrics
        self.store = store
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let certificate: NIOSSLCertificate?
        do {
            certificate = try await context.channel.nioSSL_peerCertificate().get()
        } catch {
            certificate = nil  // No TLS handler on this channel: no certificate either.
        }
        guard let certificate else {
            throw deny(
                request,
                context,
                reason: Problem.Codes.certificateRequired,
                "no client certificate was presented"
            )
        }
        let peer: PeerIdentity
        do {
            peer = try authenticator.identify(certificate.toDERBytes())
        } catch {
            throw deny(
                request,
                context,
                reason: Problem.Codes.certificateInvalid,
                "the client certificate names no valid node identity (\(error))"
            )
        }
        let serial = PeerAuthenticator.hex(certificate.serialNumber)
        guard !authenticator.isRevoked(serial) else {
            let problem = deny(
                request,
                context,
                reason: Problem.Codes.certificateRevoked,
                "the certificate \(serial) of \(peer.node) is revoked",
                peer: peer
            )
            if let store {
                await RefusalAuditMiddleware.audit(
                    problem,
                    of: request,
                    by: .node(peer.node),
                    store: store,
                    logger: context.logger
                )
            }
            throw problem
        }
        context.peer = peer
        context.logger[metadataKey: "peer"] = "\(peer.node)"
        return try await next(request, context)
    }

    private func deny(
        _ request: Request,
        _ context: Context,
        reason: String,
        _ detail: String,
        peer: PeerIdentity? = nil
    ) -> Problem {
        metrics.denial(reason: reason)
        context.logger.warning(
            "access denied",
            metadata: [
                "reason": "\(reason)", "path": "\(request.uri.path)", "detail": "\(detail)",
                "remote": "\(context.channel.remoteAddress?.description ?? "?")",
                "peer": "\(peer?.node.rawValue ?? "-")",
            ]
        )
        return Problem.denied(code: reason, detail)
    }
}
