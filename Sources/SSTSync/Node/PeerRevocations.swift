import Foundation
import Logging
import SSTPKI
import SSTStore
import Synchronization

/// A school node's copy of the district's deny list (`revoked.json` in its data directory, mode 0600), which it
/// fetches from the hub (`GET /v2/revocations`) at the end of every successful hub sync, and checks the other nodes
/// of its school against on every request they make to it.
///
/// Fails closed: a node that has synced with a hub but holds no readable list refuses its peers (503
/// `revocationListMissing`) until its next hub sync brings one; a list that is damaged or removed while it runs keeps
/// the last good one in force (``RevocationWatcher``). Only a node that has never synced with a hub, and so cannot have
/// learnt a list, serves its peers without one, and logs a warning.
public final class PeerRevocations: Sendable {
    /// The file's name in a node's data directory.
    public static let fileName = "revoked.json"

    /// The node's copy of the list.
    public let path: String
    private let dataDirectory: String
    private let logger: Logger
    private let watcher = Mutex<RevocationWatcher?>(nil)
    private let warned = Mutex(false)

    public init(dataDirectory: String, logger: Logger) {
        self.dataDirectory = dataDirectory
        self.path = Self.path(dataDirectory)
        self.logger = logger
    }

    /// The path of the list in a data directory.
    public static func path(_ dataDirectory: String) -> String {
        URL(fileURLWithPath: dataDirectory).appendingPathComponent(fileName).path
    }

    /// Replaces the node's copy with `list`, atomically (peers are checked against the old list or the new one).
    public static func save(_ list: RevocationList, dataDirectory: String) throws {
        try PrivateFiles.write(try list.fileData(), to: path(dataDirectory))
    }

    /// What a peer's request meets.
    enum Check: Equatable {
        /// The list in force (or, before any hub sync, none) lets it through.
        case allowed
        case revoked
        /// The node has synced with a hub but holds no readable list: refused until the next hub sync.
        case noList
    }

    /// Checks the certificate with `serial` (hex) against the list in force.
    func check(serial: String) -> Check {
        if let list = currentWatcher() {
            return list.isRevoked(serial: serial) ? .revoked : .allowed
        }
        guard hasSyncedWithHub() else {
            let first = warned.withLock { warned in
                defer { warned = true }
                return !warned
            }
            if first {
                logger.warning(
                    "serving the other nodes of this school without a revocation list: this node has never synced with the hub, from which it learns the district's list",
                    metadata: ["remedy": "Sync with the hub (`sst sync`); peers are then checked against its list."]
                )
            }
            return .allowed
        }
        return .noList
    }

    /// Whether peers are refused for want of a list: the node has synced with a hub but holds no readable copy.
    var refusesForWantOfList: Bool { currentWatcher() == nil && hasSyncedWithHub() }

    /// The watcher on the node's copy, made once the file first exists and is readable.
    private func currentWatcher() -> RevocationWatcher? {
        watcher.withLock { watcher in
            if let watcher { return watcher }
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            let path = path
            let logger = logger
            watcher = try? RevocationWatcher(path: path) { error in
                logger.error(
                    "this node's copy of the revocation list cannot be read; the last good list stays in force",
                    metadata: ["error": "\(error)"]
                )
            }
            return watcher
        }
    }

    private func hasSyncedWithHub() -> Bool {
        // An unreadable state file counts as a sync: fail closed.
        guard let state = try? SyncStateFile(directory: dataDirectory).load() else { return true }
        return state.lastSuccess != nil
    }
}
