import Foundation
import SSTCore
import SSTStore

/// The node's ``SyncState`` in `sync-state.json` in its data directory, written atomically (a temporary file
/// renamed over the old one), so a crash leaves the old state or the new one, never half of either. The file is
/// private to the node's user (mode 0600, ``PrivateFiles``).
public struct SyncStateFile: Sendable {
    /// The file's name in a node's data directory.
    public static let fileName = "sync-state.json"

    public let path: String
    let physicalClock: any PhysicalClock

    public init(directory: String, physicalClock: any PhysicalClock = SystemClock()) {
        self.path = URL(fileURLWithPath: directory).appendingPathComponent(Self.fileName).path
        self.physicalClock = physicalClock
    }

    /// The recorded state; an empty state when the node never synced.
    public func load() throws -> SyncState {
        guard FileManager.default.fileExists(atPath: path) else { return SyncState() }
        do {
            return try JSONDecoder().decode(SyncState.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw SyncSetupError(
                "cannot read the sync state \(path): \(error)",
                remedy: "Delete the file: the next sync writes it again (cursors live in the database, not here)."
            )
        }
    }

    /// Replaces the recorded state.
    public func save(_ state: SyncState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            try PrivateFiles.write(try encoder.encode(state), to: path)
        } catch {
            throw SyncSetupError("cannot write the sync state \(path): \(error)", remedy: "Check the --data directory.")
        }
    }

    /// Records the outcome of a sync that started at `startedAt`.
    func record(_ result: Result<SyncReport, SyncFailure>, at startedAt: UInt64) throws {
        let state = (try? load()) ?? SyncState()
        try save(state.recording(result, at: startedAt, now: physicalClock.milliseconds()))
    }
}
