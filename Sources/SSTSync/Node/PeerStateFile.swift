import Foundation
import SSTCore
import SSTStore
import Synchronization

/// What a node remembers about its direct syncs with other nodes of its school (`peers.json` in its data directory):
/// one ``SyncState`` per peer URL, whose ``SyncState/hub`` is the peer's node id.
///
/// Kept apart from `sync-state.json`, which is about the hub: a peer sync never moves the hub pin or the hub's
/// acknowledged counters. The cursors themselves live in the database (per origin node), as for the hub. Written
/// atomically and private to the node's user (mode 0600); the syncs of one process with several peers take turns.
public struct PeerStateFile: Sendable {
    /// The file's name in a node's data directory.
    public static let fileName = "peers.json"

    public let path: String
    /// The peer's base URL, the key of its entry.
    public let url: String
    let physicalClock: any PhysicalClock

    private static let lock = Mutex(())

    public init(directory: String, url: String, physicalClock: any PhysicalClock = SystemClock()) {
        self.path = Self.path(directory)
        self.url = Self.key(url)
        self.physicalClock = physicalClock
    }

    /// The recorded states of every peer, by URL; empty when the node never synced with a peer.
    public static func loadAll(directory: String) throws -> [String: SyncState] {
        try load(path(directory))
    }

    /// The recorded state of this peer; an empty state when the node never synced with it.
    public func load() throws -> SyncState {
        try Self.load(path)[url] ?? SyncState()
    }

    /// Records the outcome of a sync with this peer that started at `startedAt`.
    func record(_ result: Result<SyncReport, SyncFailure>, at startedAt: UInt64) throws {
        try Self.lock.withLock { _ in
            var all = (try? Self.load(path)) ?? [:]
            all[url] = (all[url] ?? SyncState()).recording(result, at: startedAt, now: physicalClock.milliseconds())
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            do {
                try PrivateFiles.write(try encoder.encode(all), to: path)
            } catch {
                throw SyncSetupError(
                    "cannot write the peer sync state \(path): \(error)",
                    remedy: "Check the --data directory."
                )
            }
        }
    }

    /// Where the last successful sync with this peer left the two logs (``NodeSynchronizer/lastSync()``).
    func lastSync(_ store: Store) -> HandshakeRequest.LastSync? {
        guard let state = try? load(), state.lastSuccess != nil, let peer = state.hub, let node = NodeID(peer),
            let pulledUpTo = try? store.cursor(for: node)
        else { return nil }
        return HandshakeRequest.LastSync(hub: peer, acknowledged: state.acknowledged, pulledUpTo: pulledUpTo)
    }

    private static func load(_ path: String) throws -> [String: SyncState] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        do {
            return try JSONDecoder().decode(
                [String: SyncState].self,
                from: Data(contentsOf: URL(fileURLWithPath: path))
            )
        } catch {
            throw SyncSetupError(
                "cannot read the peer sync state \(path): \(error)",
                remedy: "Delete the file: the next peer sync writes it again (cursors live in the database, not here)."
            )
        }
    }

    private static func path(_ directory: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent(fileName).path
    }

    /// A URL as the key of its entry: without trailing `/`.
    static func key(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
