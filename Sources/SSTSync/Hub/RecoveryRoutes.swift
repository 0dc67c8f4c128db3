import Hummingbird
import SSTCore
import SSTStore

/// `GET /v2/recovery`: whether the hub's recovery window is open (``RecoveryAnswer``), asked by a school node
/// before it syncs with a hub it follows after the hub's restore (`--accept-hub`).
///
/// Behind the client certificate like every `/v2` endpoint. It names the hub's node ids and a time, no pupil data.
enum RecoveryRoutes {
    static let path = "recovery"
    /// The endpoint's full path.
    static let fullPath = "/\(SyncProtocol.pathPrefix)/\(path)"

    static func add(to group: RouterGroup<SyncRequestContext>, store: Store) {
        group.get(RouterPath(path)) { _, context in
            _ = try context.requirePeer()
            let answer = try await Blocking.run { () throws -> RecoveryAnswer in
                let hub = try store.identity().node.rawValue
                guard let window = try store.openRecoveryWindowNow() else {
                    return RecoveryAnswer(hub: hub, open: false, previous: [], until: nil)
                }
                return RecoveryAnswer(
                    hub: hub,
                    open: true,
                    previous: window.previous.map(\.rawValue),
                    until: window.until
                )
            }
            return try SyncRoutes.json(answer)
        }
    }
}
