import Foundation
import Hummingbird
import Logging
import SSTCore
import SSTPKI
import SSTStore

/// The sync endpoints a school node serves to the other nodes of its school: the hub's three, on the node's own
/// listener (`POST /v2/handshake`, `POST /v2/push`, `GET /v2/pull`), run by the same ``HubService`` on the node's store.
/// To its school's other nodes the node is their hub: a push is applied by the store's same-side path (which refuses
/// another school's records) and a pull exports everything, unfiltered.
///
/// Every request needs a client certificate of the district CA (``ClientCertificateMiddleware``) that is not on the
/// node's copy of the district's deny list (``PeerRevocations``), and that is a school certificate of this node's
/// school: another school's, or the hub's, is refused with 403 `notSameSchool`, changing nothing, in the audit trail
/// as `refused` (``RefusalAuditMiddleware``).
enum PeerRoutes {
    static func add(
        to router: Router<SyncRequestContext>,
        store: Store,
        school: String,
        revocations: PeerRevocations,
        metrics: HubMetrics,
        logger: Logger
    ) {
        let service = HubService(store: store, metrics: metrics, logger: logger)
        let district = PeerAuthenticator.district(revocations: nil)
        let authenticator = PeerAuthenticator(
            identify: district.identify,
            isRevoked: { revocations.check(serial: $0) == .revoked }
        )
        let sync = router.group(RouterPath(SyncProtocol.pathPrefix))
            .add(middleware: ClientCertificateMiddleware(authenticator: authenticator, metrics: metrics, store: store))
            .add(middleware: RefusalAuditMiddleware(store: store))
            .add(middleware: SameSchoolMiddleware(school: school, revocations: revocations, metrics: metrics))
        sync.post("handshake") { request, context in
            let peer = try context.requirePeer()
            let body = try await SyncRoutes.collect(
                request,
                limit: service.configuration.maxBodyBytes,
                metrics: metrics
            )
            if let duplicate = JSONDuplicateMembers.first(in: body) {
                throw Problem.malformed("the handshake body names \(duplicate.joined(separator: ".")) twice")
            }
            let handshake: HandshakeRequest
            do {
                handshake = try JSONDecoder().decode(HandshakeRequest.self, from: body)
            } catch {
                throw Problem.malformed("the handshake body is not a handshake request: \(error)")
            }
            let answer = try await Blocking.run { () throws(Problem) in try service.handshake(handshake, from: peer) }
            return try await SyncRoutes.json(answer, answering: request, metrics: metrics)
        }
        sync.post("push") { request, context in
            let peer = try context.requirePeer()
            let limit = service.configuration.maxBodyBytes
            let body = try await SyncRoutes.receive(request, limit: limit, metrics: metrics)
            let answer = try await service.pushGate.withPermit {
                try await Blocking.run { () throws(Problem) in
                    try service.push(body.decoded(limit: limit), from: peer)
                }
            }
            return try await SyncRoutes.json(answer, answering: request, metrics: metrics)
        }
        sync.get("pull") { request, context in
            let peer = try context.requirePeer()
            let since = try SyncRoutes.integer(request, "since") ?? 0
            let limit = try SyncRoutes.integer(request, "limit").map { Int(clamping: $0) }
            let answer = try await Blocking.run { () throws(Problem) in
                try service.pull(since: since, limit: limit, for: peer)
            }
            return try await SyncRoutes.json(answer, answering: request, metrics: metrics)
        }
    }
}

/// Lets only the nodes of `school` past (403 `notSameSchool` otherwise), and only while the node holds the district's
/// deny list or has never synced with a hub (503 `revocationListMissing` otherwise, see ``PeerRevocations``). Sits
/// behind ``RefusalAuditMiddleware``, which audits its refusals.
struct SameSchoolMiddleware: RouterMiddleware {
    typealias Context = SyncRequestContext
    let school: String
    let revocations: PeerRevocations
    let metrics: HubMetrics

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let peer = try context.requirePeer()
        guard peer.role == .school, peer.school == school else {
            let what =
                peer.role == .hub
                ? "the hub's certificate (\(peer.node))"
                : "the certificate of \(peer.node), a node of \(peer.school ?? "no school")"
            metrics.denial(reason: Problem.Codes.notSameSchool)
            context.logger.warning(
                "access denied",
                metadata: [
                    "reason": "\(Problem.Codes.notSameSchool)", "path": "\(request.uri.path)", "peer": "\(peer.node)",
                ]
            )
            throw Problem(
                status: 403,
                code: Problem.Codes.notSameSchool,
                title: "Not a node of this school",
                detail:
                    "this node serves the sync endpoints to the other nodes of \(school) only, and the request came "
                    + "with \(what). Nothing was exchanged",
                remedy: "Sync a school node with its district hub (`sst sync --hub`), or with a node of its own school "
                    + "(`sst sync --peer`)."
            )
        }
        guard !revocations.refusesForWantOfList else {
            throw Problem(
                status: 503,
                code: Problem.Codes.revocationListMissing,
                title: "This node holds no revocation list",
                detail:
                    "this node has synced with the hub but holds no readable copy of the district's revocation list "
                    + "(\(revocations.path)), against which it checks the other nodes of its school. Nothing was exchanged",
                remedy: "Retry later: this node fetches the list from the hub at its next hub sync (`sst sync`)."
            )
        }
        return try await next(request, context)
    }
}

extension Problem.Codes {
    /// A school node's sync endpoints reached with a certificate of another school, or the hub's.
    public static let notSameSchool = "notSameSchool"
    /// A school node that synced with a hub but holds no copy of the district's revocation list refuses its peers.
    public static let revocationListMissing = "revocationListMissing"
}
