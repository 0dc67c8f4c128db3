import GRDB
import SSTCore
import SSTPrivacy

/// Fingerprints of pushed batches: how a hub knows that the node it syncs with has, at the hub's cursor, the log
/// the hub received (issue 23, item 3).
///
/// A data directory copied by other means than `sst backup` (`cp` of a stopped node, a VM snapshot) and written
/// after the original went on would number its new changes with sequence numbers the hub already has from the
/// original, and the hub would skip them. So each side remembers the fingerprint of the batch that ended at the
/// hub's cursor: the node when it hands the batch to the transport (``Store/holdSentFingerprint(_:for:since:upTo:)``;
/// an answer lost on the way is covered), the hub when the batch moved its cursor
/// (``Store/recordReceivedFingerprint(_:from:upTo:)``). At the handshake a node whose own fingerprints at the hub's
/// cursor do not include the hub's is a copy whose log went on elsewhere, and the session is refused
/// (`restored`). One row per batch, never per write.
extension StoreMigrations {
    /// `log-fingerprint-1`: at a node, the fingerprints of the batches it sent that a receiver may hold at its
    /// cursor (`sst_log_sent`: the batch ending where the receiver's cursor stands, and those sent since without an
    /// answer); at a receiver, the fingerprint of the batch from each peer that ended at its cursor for that peer
    /// (`sst_log_received`).
    static func registerLogFingerprints(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("log-fingerprint-1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE sst_log_sent (
                        peer TEXT NOT NULL,
                        up_to INTEGER NOT NULL CHECK (up_to >= 0),
                        fingerprint TEXT NOT NULL,
                        PRIMARY KEY (peer, up_to, fingerprint)
                    ) WITHOUT ROWID;
                    CREATE TABLE sst_log_received (
                        peer TEXT PRIMARY KEY NOT NULL,
                        up_to INTEGER NOT NULL CHECK (up_to >= 0),
                        fingerprint TEXT NOT NULL
                    ) WITHOUT ROWID;
                    """
            )
        }
    }
}

/// The fingerprint of one batch this node sent: the receiver may hold it at its cursor `upTo`.
public struct SentFingerprint: Hashable, Sendable {
    /// The receiver it was sent to.
    public let peer: String
    /// The batch's end in this node's log.
    public let upTo: Int64
    /// ``ChangeSet/logFingerprint``.
    public let fingerprint: String
}

extension ChangeSet {
    /// A SHA-256 (lower-case hex) over the batch's range and the key and stamp of every change in it, in an order
    /// of their own (the wire format may regroup them): the same at the sender, which computes it from what it
    /// exported, and at the receiver, from what it decoded. Two copies of one node that wrote after they parted
    /// give different fingerprints for the same range, as their stamps differ.
    public var logFingerprint: String {
        let lines = changes.map { "\($0.entity)\t\($0.record.rawValue)\t\($0.field)\t\($0.stamp)" }.sorted()
        return AuditChain.hash(
            sequence: upTo,
            text: lines.joined(separator: "\n"),
            previousHash: "sst-log-fingerprint-1 since \(since)"
        )
    }
}

extension Store {
    /// Remembers the fingerprint of a batch for `peer`, in `(since, upTo]`, before it goes on the wire: if the
    /// answer is lost, the receiver's cursor may stand at `upTo` with this batch. The session pushes from the
    /// receiver's cursor, `since`: the fingerprints of batches ending before it are no longer needed and are
    /// dropped in the same transaction. One small write per batch.
    public func holdSentFingerprint(_ fingerprint: String, for peer: NodeID, since: Int64, upTo: Int64) throws {
        try writer.write { db in
            try db.execute(
                sql: "DELETE FROM sst_log_sent WHERE peer = ? AND up_to < ?",
                arguments: [peer.rawValue, since]
            )
            try db.execute(
                sql: "INSERT OR IGNORE INTO sst_log_sent (peer, up_to, fingerprint) VALUES (?, ?, ?)",
                arguments: [peer.rawValue, upTo, fingerprint]
            )
        }
    }

    /// Every fingerprint this node keeps of batches it sent, for the handshake: a receiver checks the one at its
    /// cursor against what it received. A few rows per receiver.
    public func sentFingerprints() throws -> [SentFingerprint] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT peer, up_to, fingerprint FROM sst_log_sent ORDER BY peer, up_to")
                .map { SentFingerprint(peer: $0["peer"], upTo: $0["up_to"], fingerprint: $0["fingerprint"]) }
        }
    }

    /// The fingerprints of the batches this node sent, to any receiver, that ended at `upTo`.
    public func sentFingerprints(endingAt upTo: Int64) throws -> Set<String> {
        try writer.read { db in
            Set(try String.fetchAll(db, sql: "SELECT fingerprint FROM sst_log_sent WHERE up_to = ?", arguments: [upTo]))
        }
    }

    /// At a receiver: remembers the fingerprint of a batch from `peer` that ended at `upTo`, when its cursor for
    /// `peer` now stands there (a batch that did not move it there says nothing of the cursor). After the apply,
    /// in a transaction of its own: a crash in between loses one check (the row no longer matches the cursor),
    /// never refuses a node wrongly.
    public func recordReceivedFingerprint(_ fingerprint: String, from peer: NodeID, upTo: Int64) throws {
        try writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO sst_log_received (peer, up_to, fingerprint)
                        SELECT ?1, ?2, ?3 WHERE (SELECT cursor FROM sst_peer WHERE node_id = ?1) = ?2
                        ON CONFLICT (peer) DO UPDATE SET up_to = excluded.up_to, fingerprint = excluded.fingerprint
                    """,
                arguments: [peer.rawValue, upTo, fingerprint]
            )
        }
    }

    /// At a receiver: its cursor for `peer` and the fingerprint of the batch from `peer` that ended there; `nil`
    /// when it does not know it (nothing received since this version, or the cursor moved by a file import or the
    /// mailbox), and then nothing is checked.
    public func receivedFingerprint(of peer: NodeID) throws -> (cursor: Int64, fingerprint: String?) {
        try writer.read { db in
            let cursor =
                try Int64.fetchOne(db, sql: "SELECT cursor FROM sst_peer WHERE node_id = ?", arguments: [peer.rawValue])
                ?? 0
            let fingerprint = try String.fetchOne(
                db,
                sql: "SELECT fingerprint FROM sst_log_received WHERE peer = ? AND up_to = ?",
                arguments: [peer.rawValue, cursor]
            )
            return (cursor, fingerprint)
        }
    }
}
