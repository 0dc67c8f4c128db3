import SSTCore
import SSTStore

/// Whom a ``NodeSynchronizer`` syncs with: the district hub, or another node of this node's own school (a peer:
/// `sst sync --peer`, `sst node serve --peer`), which holds everything of the school and gets everything, unfiltered
/// (the same side of the boundary).
public enum SyncCounterpart: Hashable, Sendable {
    case hub
    /// A node of `school` (this node's), in `stadsdel`.
    case schoolPeer(school: String, stadsdel: String?)

    /// The identity of the counterpart whose handshake named it `node`: what the store exports for and applies from.
    /// A peer's school is known before anything is sent: TLS checked that its certificate carries the school's name
    /// (``HTTPSyncTransport/Configuration/peerSchool``).
    func identity(of node: NodeID) -> PeerIdentity {
        switch self {
        case .hub:
            return PeerIdentity(node: node, role: .hub)
        case .schoolPeer(let school, let stadsdel):
            return PeerIdentity(node: node, role: .school, school: school, stadsdel: stadsdel)
        }
    }
}
