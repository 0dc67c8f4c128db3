import GRDB
import SSTCore

/// What applying a change set did.
public struct ApplyReport: Hashable, Sendable {
    public let origin: NodeID
    /// Changes in the set.
    public internal(set) var received: Int
    /// Changes that altered this store; the rest were already known or lost their merge.
    public internal(set) var applied: Int
    /// The origin's sequence number this node now has everything up to, when the set followed on from it.
    public let cursor: Int64
    /// For a set from the other side: whether the receiver's privacy decisions were worked out alongside the
    /// merge, on the state before it with the set laid over it (``ReceiverOverlay``), rather than after it.
    /// The decisions are the same either way; this says only which way was taken.
    public internal(set) var decidedBeforeMerge = false
}

extension Store {
    /// Applies a change set from a file or a same-side peer whose identity is not verified: everything is
    /// validated first, then merged in one transaction with the clock and the origin's cursor. Across the
    /// boundary the receiver's privacy checks run too (see ``apply(_:from:)``). On any error nothing is
    /// applied.
    @discardableResult
    public func apply(_ changeSet: ChangeSet) throws -> ApplyReport {
        try apply(changeSet, from: nil)
    }

    /// The sequence number of `peer` this node has received everything up to (0 when nothing yet).
    public func cursor(for peer: NodeID) throws -> Int64 {
        try writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT cursor FROM sst_peer WHERE node_id = ?", arguments: [peer.rawValue])
                ?? 0
        }
    }

    /// Every peer this node has received change sets from, with its cursor.
    public func cursors() throws -> [(peer: NodeID, cursor: Int64)] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT node_id, cursor FROM sst_peer ORDER BY node_id").compactMap { row in
                NodeID(row["node_id"]).map { (peer: $0, cursor: row["cursor"]) }
            }
        }
    }

    /// Validates and merges every change of the set, moves the clock past its newest stamp and the
    /// origin's cursor to `upTo` when `since ≤ cursor` (a set after a gap is merged but leaves the cursor).
    func merge(
        _ changeSet: ChangeSet,
        into session: inout MergeSession,
        identity: NodeIdentity,
        physical: UInt64
    ) throws -> ApplyReport {
        var untracked = FilterInputCheck(tracking: false)
        return try merge(changeSet, into: &session, identity: identity, physical: physical, inputs: &untracked)
    }

    /// As ``merge(_:into:identity:physical:)``, checking as it goes whether every filter input of the set
    /// ends stored (see ``ReceiverOverlay``).
    func merge(
        _ changeSet: ChangeSet,
        into session: inout MergeSession,
        identity: NodeIdentity,
        physical: UInt64,
        inputs: inout FilterInputCheck
    ) throws -> ApplyReport {
        try ChangeValidator(schema: schema).validate(changeSet, clock: session.state.clock, physical: physical)
        // A set's fields of one record follow one another: each record's row is written once.
        let applied = try session.batchingRecordWrites { session in
            var applied = 0
            for change in changeSet.changes {
                let entity = schema.entity(named: change.entity)!
                let field = entity.field(named: change.field)!
                let changed = try session.merge(change, entity: entity, field: field)
                if changed { applied += 1 }
                try inputs.record(change, applied: changed) {
                    try session.currentState(entity: entity, record: change.record, field: field)
                }
            }
            return applied
        }
        if let newest = changeSet.changes.map(\.stamp.timestamp).max() {
            _ = try session.state.clock.receive(newest, physical: physical)
        }
        let origin = changeSet.originNode!
        let cursor = try Self.advanceCursor(
            session.db,
            peer: origin,
            since: changeSet.since,
            upTo: changeSet.upTo,
            isSelf: origin == identity.node
        )
        return ApplyReport(origin: origin, received: changeSet.changes.count, applied: applied, cursor: cursor)
    }

    private static func advanceCursor(
        _ db: Database,
        peer: NodeID,
        since: Int64,
        upTo: Int64,
        isSelf: Bool
    ) throws -> Int64 {
        let current =
            try Int64.fetchOne(db, sql: "SELECT cursor FROM sst_peer WHERE node_id = ?", arguments: [peer.rawValue])
            ?? 0
        guard !isSelf, since <= current, upTo > current else { return current }
        try db.execute(
            sql: """
                INSERT INTO sst_peer (node_id, cursor) VALUES (?, ?)
                ON CONFLICT (node_id) DO UPDATE SET cursor = excluded.cursor
                """,
            arguments: [peer.rawValue, upTo]
        )
        return upTo
    }
}
