import Hummingbird
import Logging
import NIOCore
import SSTPrivacy
import SSTStore

/// The request context of the sync server: the connection's channel (to read the TLS peer certificate) and,
/// once ``ClientCertificateMiddleware`` has checked it, the peer's identity.
public struct SyncRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came in on; its NIOSSL handler holds the verified peer certificate.
    public let channel: any Channel
    /// The authenticated peer: set by ``ClientCertificateMiddleware`` for `/v2` routes, never from the request.
    public var peer: PeerIdentity?
    /// The staff member's bearer token: set by ``StaffTokenMiddleware`` for staff API routes once it is valid.
    public var staffToken: StaffToken?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
        peer = nil
        staffToken = nil
    }

    /// The authenticated peer, or a 403 when the route was reached without one (a routing mistake).
    func requirePeer() throws(Problem) -> PeerIdentity {
        guard let peer else {
            throw Problem.denied(
                code: Problem.Codes.certificateRequired,
                "this endpoint needs a client certificate issued by the district CA"
            )
        }
        return peer
    }
}

extension Problem {
    /// A 403 denial made before the store was reached.
    static func denied(code: String, _ detail: String) -> Problem {
        Problem(
            status: 403,
            code: code,
            title: "Access denied",
            detail: detail,
            remedy: "Connect with the node's certificate issued by the district CA (`sst pki issue`); a revoked "
                + "certificate stays refused: issue a new one."
        )
    }
}
