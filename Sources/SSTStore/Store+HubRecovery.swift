import GRDB
import SSTCore
import SSTPrivacy

/// At a school node, what the hub last said of its recovery window (`GET /v2/recovery`): the hub, the ids it had
/// before its restore whose values the school may give back, and until when.
public struct HubRecoveryOffer: Hashable, Sendable {
    public let hub: NodeID
    public let previous: [NodeID]
    /// Milliseconds since the Unix epoch; `nil`: until the hub's operator closes the window.
    public let until: UInt64?
}

extension Store {
    /// Records what `hub` says of its recovery window. While it is open the node's pushes to that hub carry the
    /// values it received of social services' fields stamped by one of `previous` (``isRecoverable(_:)``), which
    /// the hub lost with its restore; closed, they are withheld again, as ever.
    ///
    /// When the window is new to this node, those values get new sequence numbers, so that the next push carries
    /// them wherever the hub's cursor for this node stands. Returns how many were so queued. Refuses at a hub.
    @discardableResult
    public func hubRecoveryAnswered(by hub: NodeID, open: Bool, previous: [NodeID], until: UInt64?) throws -> Int {
        let physical = physicalClock.milliseconds()
        return try withSession { session in
            let identity = try Self.identity(session.db)
            guard identity.role == .school else {
                throw StoreError(
                    .wrongSide,
                    "\(identity.node) is a hub; only a school node gives values back to a restored hub",
                    remedy: "Open the hub's own window with `sst hub recovery open`."
                )
            }
            let ids = previous.map(\.rawValue).sorted()
            guard open, !ids.isEmpty, until.map({ physical < $0 }) ?? true else {
                try session.db.execute(sql: "DELETE FROM sst_hub_recovery")
                return 0
            }
            let text = ids.joined(separator: " ")
            let known = try Row.fetchOne(session.db, sql: "SELECT hub, previous FROM sst_hub_recovery")
            try session.db.execute(
                sql: """
                    INSERT INTO sst_hub_recovery (singleton, hub, previous, until_ms, answered_at_ms)
                    VALUES (1, ?, ?, ?, ?)
                    ON CONFLICT (singleton) DO UPDATE SET hub = excluded.hub, previous = excluded.previous,
                        until_ms = excluded.until_ms, answered_at_ms = excluded.answered_at_ms
                    """,
                arguments: [hub.rawValue, text, until.map(Int64.init), Int64(physical)]
            )
            if let known, known["hub"] == hub.rawValue, known["previous"] == text { return 0 }
            return try Self.queueForRecovery(stampedBy: ids, &session, isRecoverable: isRecoverable(entity:field:))
        }
    }

    /// What the hub last said of an open recovery window, if it is open by what it said; `nil` otherwise.
    public func hubRecoveryOffer() throws -> HubRecoveryOffer? {
        let physical = physicalClock.milliseconds()
        return try writer.read { db in try Self.hubRecoveryOffer(at: physical, db) }
    }

    static func hubRecoveryOffer(at physical: UInt64, _ db: Database) throws -> HubRecoveryOffer? {
        guard let row = try Row.fetchOne(db, sql: "SELECT hub, previous, until_ms FROM sst_hub_recovery"),
            let hub = NodeID(row["hub"] as String)
        else { return nil }
        let until = (row["until_ms"] as Int64?).map { UInt64(max(0, $0)) }
        if let until, until <= physical { return nil }
        let previous = (row["previous"] as String).split(separator: " ").compactMap { NodeID(String($0)) }
        return HubRecoveryOffer(hub: hub, previous: previous, until: until)
    }

    /// Gives the values stamped by `ids` that may be given back new sequence numbers, in the session.
    private static func queueForRecovery(
        stampedBy ids: [String],
        _ session: inout MergeSession,
        isRecoverable: (String, String) -> Bool
    ) throws -> Int {
        let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        let rows = try Row.fetchAll(
            session.db,
            sql: "SELECT entity, record_id, fields FROM sst_log WHERE node IN (\(marks)) ORDER BY seq",
            arguments: StatementArguments(ids)
        )
        var queued = 0
        for row in rows {
            let (entity, record, fields): (String, String, String) = (row[0], row[1], row[2])
            for field in StampLayout.fields(fields).map(String.init) where isRecoverable(entity, field) {
                let sequence = session.state.nextSequence()
                try StampLayout.resequence(entity: entity, record: record, field: field, to: sequence, session.db)
                queued += 1
            }
        }
        return queued
    }

    /// At a school node exporting for `hub` while the hub's recovery window is open (``hubRecoveryOffer()``): the
    /// changes the filter withheld that the school gives back — recoverable, stamped by one of the hub's previous
    /// ids — and their `sent` entries, one per pupil, for the batch `since`–`upTo`.
    func givenBack(
        _ withheld: [FilterResult.Withheld],
        to hub: NodeID,
        context: StorePrivacyContext,
        at physical: UInt64,
        since: Int64,
        upTo: Int64
    ) throws -> (changes: [FieldChange], entries: [AuditEntry]) {
        guard !withheld.isEmpty, let offer = try Self.hubRecoveryOffer(at: physical, context.db), offer.hub == hub
        else { return ([], []) }
        let previous = Set(offer.previous)
        var changes: [FieldChange] = []
        var fields: [RecordID: Set<String>] = [:]
        var ids: [RecordID: Set<String>] = [:]
        for change in withheld.map(\.change) where previous.contains(change.stamp.node) && isRecoverable(change) {
            guard let pupil = try context.pupil(entity: change.entity, record: change.record) else { continue }
            changes.append(change)
            fields[pupil, default: []].insert("\(change.entity).\(change.field)")
            ids[pupil, default: []].insert(change.stamp.node.rawValue)
        }
        let entries = fields.keys.sorted(by: { $0.rawValue < $1.rawValue }).map { pupil in
            AuditEntry(
                kind: .sent,
                atMilliseconds: physical,
                direction: .toSocial,
                peer: hub.rawValue,
                pupil: pupil,
                fields: Array(fields[pupil]!),
                detail: "given back to the hub in its recovery window: values stamped by its previous id "
                    + ids[pupil]!.sorted().joined(separator: ", ")
                    + ", lost with its restore; sequence \(since)–\(upTo)"
            )
        }
        return (changes, entries)
    }
}
