import Hummingbird
import NIOCore
import SSTPKI

/// `GET /v2/revocations`: the district's deny list the hub enforces, in the format of `revoked.json`, for school
/// nodes to check the other nodes of their school against when those sync with them directly (`sst sync --peer`).
///
/// Behind the client certificate like every `/v2` endpoint: any node of the district may read it (it names node ids
/// and serials, no pupil data). A hub that watches no list (started without one) enforces nothing and answers an
/// empty list.
enum RevocationRoutes {
    static let path = "revocations"
    /// The endpoint's full path.
    static let fullPath = "/\(SyncProtocol.pathPrefix)/\(path)"

    static func add(to group: RouterGroup<SyncRequestContext>, authenticator: PeerAuthenticator) {
        group.get(RouterPath(path)) { _, context in
            _ = try context.requirePeer()
            let body = try authenticator.revocationList().fileData()
            return Response(
                status: .ok,
                headers: [.contentType: SyncProtocol.jsonMediaType],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
            )
        }
    }
}
