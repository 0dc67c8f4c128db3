import Foundation
import SSTCore
import SSTStore

/// The sync part of `sst status`: pending changes, last success, last error and lag, from the node's
/// `sync-state.json`, `sync.json` and store.
public struct SyncStatus: Sendable {
    public let state: SyncState
    public let settings: SyncSettings?
    /// The changes in this node's log after what the hub acknowledged at the last success (all of them before
    /// any), leaving out those the hub wrote itself: what the next push offers the hub.
    public let pending: Int64
    /// Milliseconds since the last successful sync; `nil` before the first.
    public let lag: UInt64?
    /// Set when the store is a restored `sst backup` copy that has not synced since.
    public let restoredBackup: BackupMark?
    /// The direct syncs with other nodes of this school, by peer URL (`peers.json`).
    public let peers: [String: SyncState]

    public init(dataDirectory: String, store: Store, now: UInt64) throws {
        state = try SyncStateFile(directory: dataDirectory).load()
        settings = try SyncSettings.load(directory: dataDirectory)
        pending = try store.changesWaiting(after: state.acknowledged, notWrittenBy: state.hub.flatMap(NodeID.init))
        lag = state.lag(now: now)
        restoredBackup = try store.backupMark()
        peers = try PeerStateFile.loadAll(directory: dataDirectory)
    }

    /// The status as JSON, for `sst status --json`.
    public var json: CanonicalJSON {
        .object([
            "hub": state.hub.map(CanonicalJSON.string) ?? .null,
            "hubURL": settings.map { .string($0.hubURL) } ?? .null,
            "pending": .integer(pending),
            "lastAttempt": Self.time(state.lastAttempt),
            "lastSuccess": Self.time(state.lastSuccess),
            "lagSeconds": lag.map { .integer(Int64($0 / 1000)) } ?? .null,
            "restoredBackup": restoredBackup.map { mark in
                .object(["takenAt": .string(Self.text(mark.takenAt)), "lastSequence": .integer(mark.lastSequence)])
            } ?? .null,
            "consecutiveFailures": .integer(Int64(state.consecutiveFailures)),
            "mailbox": state.lastReport?.mailbox.map(\.json) ?? .null,
            "peerSync": .object(peers.mapValues(Self.peerJSON)),
            "lastError": state.lastError.map { error in
                .object([
                    "at": Self.time(error.at), "code": .string(error.code), "message": .string(error.message),
                    "remedy": .string(error.remedy),
                ])
            } ?? .null,
        ])
    }

    /// The status as labelled lines for a terminal.
    public var lines: [String] {
        let hub = [state.hub, settings.map { "at \($0.hubURL)" }].compactMap { $0 }.joined(separator: " ")
        var lines = ["Hub         \(hub.isEmpty ? "not configured (sst sync --hub URL …)" : hub)"]
        lines.append(
            "Pending     \(pending) change\(pending == 1 ? "" : "s") waiting for the hub (not yet acknowledged)"
        )
        if let success = state.lastSuccess, let lag {
            lines.append("Last sync   \(Self.text(success)) (\(Self.ago(lag)) ago)")
        } else {
            lines.append("Last sync   never")
        }
        if let mark = restoredBackup {
            lines.append(
                "Backup      restored from a backup taken \(Self.text(mark.takenAt)) (log up to \(mark.lastSequence)); "
                    + "the next sync checks the hub has nothing newer of this node"
            )
        }
        if let mailbox = state.lastReport?.mailbox { lines.append(mailbox.line) }
        if let error = state.lastError {
            lines.append("Last error  \(Self.text(error.at)): \(error.message) [\(error.code)]")
            if !error.remedy.isEmpty { lines.append("            \(error.remedy)") }
            if state.consecutiveFailures > 1 {
                lines.append("            \(state.consecutiveFailures) failed syncs in a row")
            }
        }
        return lines + peerLines
    }

    private static func peerJSON(_ state: SyncState) -> CanonicalJSON {
        .object([
            "node": state.hub.map(CanonicalJSON.string) ?? .null,
            "lastAttempt": time(state.lastAttempt),
            "lastSuccess": time(state.lastSuccess),
            "acknowledged": .integer(state.acknowledged),
            "pulledUpTo": .integer(state.pulledUpTo),
            "consecutiveFailures": .integer(Int64(state.consecutiveFailures)),
            "lastError": state.lastError.map { error in
                .object(["at": time(error.at), "code": .string(error.code), "message": .string(error.message)])
            } ?? .null,
        ])
    }

    /// One line per peer (another node of this school) synced with directly.
    var peerLines: [String] {
        peers.keys.sorted().map { url in
            let state = peers[url]!
            var line = "Peer sync   \(state.hub ?? "?") at \(url): "
            if let success = state.lastSuccess {
                line += "last sync \(Self.text(success)), has this node up to \(state.acknowledged)"
            } else {
                line += "never synced"
            }
            if let error = state.lastError { line += "; last error \(Self.text(error.at)) [\(error.code)]" }
            return line
        }
    }

    private static func time(_ milliseconds: UInt64?) -> CanonicalJSON {
        milliseconds.map { .string(text($0)) } ?? .null
    }

    /// An ISO 8601 UTC time.
    static func text(_ milliseconds: UInt64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000))
    }

    static func ago(_ milliseconds: UInt64) -> String {
        DurationText.milliseconds(milliseconds)
    }
}
