import Foundation
import GRDB
import SSTCore
import SSTPrivacy

/// What one export for the other side would cross, worked out in the export's read transaction and written
/// nowhere yet: the audit entries of its `sent` crossings (one per pupil and basis) and the records whose
/// values it carries.
///
/// A sync holds them as pending (``Store/holdCrossings(_:for:)``) before the batch goes on the wire and writes
/// them to the audit trail only when the receiver acknowledges the batch
/// (``Store/acknowledgeCrossings(by:upTo:supersedingAfter:holding:)``); a file export records them at once.
public struct PreparedCrossings: Hashable, Sendable {
    /// The batch's range of the sender's log.
    public let since: Int64
    public let upTo: Int64
    /// The `sent` entries, stamped with the time of the export (the acknowledgement restamps them).
    public let entries: [AuditEntry]
    let records: [CrossedRecordKey]

    /// Nothing of the export crosses the boundary (an export for this node's own side, or all withheld).
    public var isEmpty: Bool { entries.isEmpty }

    static func none(since: Int64, upTo: Int64) -> PreparedCrossings {
        PreparedCrossings(since: since, upTo: upTo, entries: [], records: [])
    }

    /// The crossings of the changes the filter allowed.
    init(
        _ allowed: [FilterResult.Allowed],
        since: Int64,
        upTo: Int64,
        direction: Direction,
        peer: String,
        at: UInt64,
        detail: String
    ) {
        self.since = since
        self.upTo = upTo
        entries = Store.crossingEntries(allowed, kind: .sent, direction: direction, peer: peer, at: at, detail: detail)
        var seen: Set<RecordKey> = []
        records = allowed.compactMap { item in
            guard seen.insert(RecordKey(entity: item.change.entity, record: item.change.record)).inserted else {
                return nil
            }
            return CrossedRecordKey(entity: item.change.entity, record: item.change.record, pupil: item.pupil)
        }
    }

    init(since: Int64, upTo: Int64, entries: [AuditEntry], records: [CrossedRecordKey]) {
        self.since = since
        self.upTo = upTo
        self.entries = entries
        self.records = records
    }
}

/// A record whose values a batch carries across the boundary, and the pupil it concerns.
struct CrossedRecordKey: Hashable, Sendable {
    let entity: String
    let record: RecordID
    let pupil: RecordID?
}

/// A batch sent to a peer that the peer has not acknowledged yet: what `sst audit` does not show, because it
/// may not have arrived.
public struct PendingCrossings: Hashable, Sendable {
    /// The receiver's node id.
    public let peer: String
    public let since: Int64
    public let upTo: Int64
    /// When the batch was handed to the transport (ms since the epoch).
    public let heldAtMilliseconds: UInt64
    /// Its `sent` entries, written to the audit trail when the receiver acknowledges it.
    public let entries: [AuditEntry]
}

/// What an acknowledgement did.
public struct CrossingAcknowledgement: Hashable, Sendable {
    /// Batches the receiver acknowledged, now in the audit trail as `sent`.
    public var acknowledgedBatches = 0
    /// `sent` entries written.
    public var auditEntries = 0
    /// Batches the receiver did not apply (lost on the wire, refused, or sent again from an earlier point):
    /// dropped, nothing recorded as sent.
    public var droppedBatches = 0
}

extension StoreMigrations {
    /// `pending-crossings-1`: what a node sent across the boundary that its receiver has not acknowledged yet
    /// (`sst_pending_crossing`, with the records it carries in `sst_pending_crossed`, which the crossing history
    /// reads too), and, per receiver, how far it acknowledged this node's log (`sst_acknowledged`: at a node,
    /// the hub's cursor for this node; at the hub, how far a school node pulled).
    static func registerPendingCrossings(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("pending-crossings-1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE sst_pending_crossing (
                        peer TEXT NOT NULL,
                        up_to INTEGER NOT NULL CHECK (up_to >= 0),
                        since INTEGER NOT NULL CHECK (since >= 0),
                        held_at_ms INTEGER NOT NULL,
                        entries TEXT NOT NULL,
                        PRIMARY KEY (peer, up_to)
                    ) WITHOUT ROWID;
                    CREATE TABLE sst_pending_crossed (
                        peer TEXT NOT NULL,
                        up_to INTEGER NOT NULL,
                        entity TEXT NOT NULL,
                        record_id TEXT NOT NULL,
                        pupil_id TEXT,
                        PRIMARY KEY (peer, up_to, entity, record_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX sst_pending_crossed_record ON sst_pending_crossed (entity, record_id);
                    CREATE TABLE sst_acknowledged (
                        peer TEXT PRIMARY KEY NOT NULL,
                        up_to INTEGER NOT NULL CHECK (up_to >= 0),
                        at_ms INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """
            )
        }
    }
}

extension Store {
    /// Holds a batch's crossings as pending for `peer`, before the batch goes on the wire: not in the audit
    /// trail (it may never arrive), but in the crossing history's view, so that a purge or deletion exported
    /// meanwhile follows the records it carries. A batch starting at `since` supersedes every pending batch
    /// for `peer` that ends after `since` (the sender starts again from there: those were not applied).
    public func holdCrossings(_ prepared: PreparedCrossings, for peer: NodeID) throws {
        let now = physicalClock.milliseconds()
        // A batch of nothing that crosses, with nothing pending after it (an export for this node's own side):
        // no write transaction.
        if prepared.isEmpty {
            let superseded = try writer.read { db in
                try Bool.fetchOne(
                    db,
                    sql: "SELECT EXISTS (SELECT 1 FROM sst_pending_crossing WHERE peer = ? AND up_to > ?)",
                    arguments: [peer.rawValue, prepared.since]
                ) ?? false
            }
            guard superseded else { return }
        }
        try writer.write { db in
            try Self.dropPending(for: peer.rawValue, after: prepared.since, db)
            try Self.hold(prepared, for: peer.rawValue, at: now, db)
        }
    }

    /// The receiver `peer` has everything of this node's log up to `cursor` (a push answer's or handshake's
    /// cursor at a node; at the hub, a school node's next pull or handshake): in one transaction, every pending
    /// batch ending at or before it goes to the audit trail as `sent`, stamped now, its records into the
    /// crossing history, and the cursor is stored. With `supersedingAfter`, the pending batches ending after it
    /// are dropped: the receiver did not apply them and the sender starts again from `cursor`. `holding` then
    /// holds the next batch's crossings in the same transaction.
    @discardableResult
    public func acknowledgeCrossings(
        by peer: NodeID,
        upTo cursor: Int64,
        supersedingAfter: Bool,
        holding next: PreparedCrossings? = nil
    ) throws -> CrossingAcknowledgement {
        let now = physicalClock.milliseconds()
        let name = peer.rawValue
        // Most acknowledgements find nothing pending: no write transaction for them.
        let pending = try writer.read { db in
            try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM sst_pending_crossing WHERE peer = ?)",
                arguments: [name]
            )
                ?? false
        }
        guard pending || next.map({ !$0.isEmpty }) == true else { return CrossingAcknowledgement() }
        return try writer.write { db in
            var result = CrossingAcknowledgement()
            let batches = try Row.fetchAll(
                db,
                sql: "SELECT up_to, entries FROM sst_pending_crossing WHERE peer = ? AND up_to <= ? ORDER BY up_to",
                arguments: [name, cursor]
            )
            for batch in batches {
                let upTo: Int64 = batch["up_to"]
                let entries = try Self.decodeEntries(batch["entries"]).map { $0.restamped(at: now) }
                try Self.appendAudit(entries, db)
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO sst_crossed (entity, record_id, pupil_id)
                            SELECT entity, record_id, pupil_id FROM sst_pending_crossed WHERE peer = ? AND up_to = ?
                        """,
                    arguments: [name, upTo]
                )
                result.acknowledgedBatches += 1
                result.auditEntries += entries.count
            }
            try db.execute(
                sql: "DELETE FROM sst_pending_crossed WHERE peer = ? AND up_to <= ?",
                arguments: [name, cursor]
            )
            try db.execute(
                sql: "DELETE FROM sst_pending_crossing WHERE peer = ? AND up_to <= ?",
                arguments: [name, cursor]
            )
            if supersedingAfter { result.droppedBatches = try Self.dropPending(for: name, after: cursor, db) }
            try db.execute(
                sql: """
                    INSERT INTO sst_acknowledged (peer, up_to, at_ms) VALUES (?, ?, ?)
                        ON CONFLICT (peer) DO UPDATE SET up_to = excluded.up_to, at_ms = excluded.at_ms
                    """,
                arguments: [name, cursor, Int64(now)]
            )
            if let next {
                try Self.dropPending(for: name, after: next.since, db)
                try Self.hold(next, for: name, at: now, db)
            }
            return result
        }
    }

    /// How far `peer` acknowledged this node's log (see ``acknowledgeCrossings(by:upTo:supersedingAfter:holding:)``),
    /// or nil when it never did.
    public func acknowledgedCursor(of peer: NodeID) throws -> Int64? {
        try writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT up_to FROM sst_acknowledged WHERE peer = ?", arguments: [peer.rawValue])
        }
    }

    /// The batches sent and not acknowledged yet, oldest first; for one receiver, or all.
    public func pendingCrossings(for peer: NodeID? = nil) throws -> [PendingCrossings] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT peer, since, up_to, held_at_ms, entries FROM sst_pending_crossing
                    WHERE ?1 IS NULL OR peer = ?1 ORDER BY held_at_ms, peer, up_to
                    """,
                arguments: [peer?.rawValue]
            )
            .map { row in
                PendingCrossings(
                    peer: row["peer"],
                    since: row["since"],
                    upTo: row["up_to"],
                    heldAtMilliseconds: UInt64(max(0, row["held_at_ms"] as Int64)),
                    entries: try Self.decodeEntries(row["entries"])
                )
            }
        }
    }

    /// Records crossings that left the node as the export returned (a file): audited at once, the records
    /// into the crossing history.
    func recordCrossings(_ prepared: PreparedCrossings) throws {
        guard !prepared.isEmpty else { return }
        try writer.write { db in
            try Self.appendAudit(prepared.entries, db)
            try Self.insertCrossed(prepared.records, db)
        }
    }

    /// The record is in a batch sent and not acknowledged yet (it may be at the receiver).
    static func pendingCrossedRecord(entity: String, record: RecordID, _ db: Database) throws -> CrossedRecord? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT pupil_id FROM sst_pending_crossed WHERE entity = ? AND record_id = ? LIMIT 1"
                ),
                arguments: [entity, record.rawValue]
            )
        else { return nil }
        return CrossedRecord(pupil: (row["pupil_id"] as String?).flatMap(RecordID.init))
    }

    private static func hold(_ prepared: PreparedCrossings, for peer: String, at now: UInt64, _ db: Database) throws {
        guard !prepared.isEmpty else { return }
        let entries = CanonicalJSON.array(prepared.entries.map(\.json)).rendered()
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO sst_pending_crossing (peer, up_to, since, held_at_ms, entries)
                    VALUES (?, ?, ?, ?, ?)
                """,
            arguments: [peer, prepared.upTo, prepared.since, Int64(now), entries]
        )
        try db.execute(
            sql: "DELETE FROM sst_pending_crossed WHERE peer = ? AND up_to = ?",
            arguments: [peer, prepared.upTo]
        )
        let insert = try db.cachedStatement(
            sql:
                "INSERT OR IGNORE INTO sst_pending_crossed (peer, up_to, entity, record_id, pupil_id) VALUES (?, ?, ?, ?, ?)"
        )
        for record in prepared.records {
            try insert.execute(arguments: [
                peer, prepared.upTo, record.entity, record.record.rawValue, record.pupil?.rawValue,
            ])
        }
    }

    /// Drops the pending batches for `peer` that end after `cursor`; returns how many.
    @discardableResult
    private static func dropPending(for peer: String, after cursor: Int64, _ db: Database) throws -> Int {
        try db.execute(sql: "DELETE FROM sst_pending_crossed WHERE peer = ? AND up_to > ?", arguments: [peer, cursor])
        try db.execute(sql: "DELETE FROM sst_pending_crossing WHERE peer = ? AND up_to > ?", arguments: [peer, cursor])
        return db.changesCount
    }

    private static func insertCrossed(_ records: [CrossedRecordKey], _ db: Database) throws {
        let insert = try db.cachedStatement(
            sql: "INSERT OR IGNORE INTO sst_crossed (entity, record_id, pupil_id) VALUES (?, ?, ?)"
        )
        for record in records {
            try insert.execute(arguments: [record.entity, record.record.rawValue, record.pupil?.rawValue])
        }
    }

    private static func decodeEntries(_ text: String) throws -> [AuditEntry] {
        let json = try CanonicalJSON.read(text) ?? JSONDecoder().decode(CanonicalJSON.self, from: Data(text.utf8))
        guard case .array(let items) = json else {
            throw StoreError(
                .invalidValue,
                "a pending crossing's audit entries are not a list",
                remedy: "The store file was edited by hand: restore it from a backup."
            )
        }
        return try items.map { item in
            guard let entry = AuditEntry(json: item) else {
                throw StoreError(
                    .invalidValue,
                    "a pending crossing holds an audit entry that cannot be read",
                    remedy: "The store file was edited by hand: restore it from a backup."
                )
            }
            return entry
        }
    }
}

extension AuditEntry {
    /// The same entry at another time.
    func restamped(at milliseconds: UInt64) -> AuditEntry {
        AuditEntry(
            kind: kind,
            atMilliseconds: milliseconds,
            direction: direction,
            peer: peer,
            pupil: pupil,
            fields: fields,
            basis: basis,
            detail: detail
        )
    }
}
