import GRDB
import SSTCore
import SSTPrivacy

/// Values a school gives back to a hub restored from a backup, during the hub's recovery window
/// (``RecoveryWindow``): social services' fields the hub wrote under a previous node id and lost with the restore,
/// which the school had received. The same rule decides at both ends what may be given back (``isRecoverable(_:)``).
extension Store {
    /// Whether `change` is a value a school may hold only because it received it from social services: a field
    /// social services own that the policy lets cross to a school, or the deletion of a record of theirs that
    /// has such a field. Nothing the school owns, nothing shared, nothing the policy keeps at social services.
    func isRecoverable(_ change: FieldChange) -> Bool {
        isRecoverable(entity: change.entity, field: change.field)
    }

    /// As ``isRecoverable(_:)``, by entity and field name.
    func isRecoverable(entity entityName: String, field fieldName: String) -> Bool {
        guard let entity = schema.entity(named: entityName), let field = entity.field(named: fieldName) else {
            return false
        }
        func crossesToSchool(_ name: String) -> Bool {
            !(policy.rule(entity: entity.name, field: name)?.toSchool.isEmpty ?? true)
        }
        if field.isSystem {
            return field.name == Schema.deletedField && entity.owner == .social
                && entity.fields.contains { crossesToSchool($0.name) }
        }
        return field.owner == .social && crossesToSchool(field.name)
    }

    /// At a hub with an open recovery window: splits a school's set into what the usual checks judge and the values
    /// it gives back — recoverable (``isRecoverable(_:)``), stamped by one of this hub's previous ids no later than
    /// the hub left that id (plus the clock's allowed offset). Anything else stays in the set, where a field social
    /// services own is refused as ever (`notOwner`). Without an open window nothing is split off.
    func splitRecovered(
        _ changeSet: ChangeSet,
        identity: NodeIdentity,
        peer: PeerIdentity?
    ) throws -> (
        rest: ChangeSet, recovered: [FieldChange]
    ) {
        guard identity.role == .hub, let peer, peer.role == .school, changeSet.side == .school else {
            return (changeSet, [])
        }
        let physical = physicalClock.milliseconds()
        let retired = try writer.read { db -> [String: UInt64]? in
            guard let window = try Self.recoveryWindow(db), window.isOpen(at: physical) else { return nil }
            let offset = try ClockState.load(db).clock.maxOffsetMilliseconds
            let rows = try Row.fetchAll(db, sql: "SELECT node_id, retired_at_ms FROM sst_previous_node_id")
            return Dictionary(
                rows.map { ($0["node_id"] as String, UInt64(max(0, $0["retired_at_ms"] as Int64)) + offset) },
                uniquingKeysWith: max
            )
        }
        guard let retired, !retired.isEmpty else { return (changeSet, []) }
        var rest: [FieldChange] = []
        var recovered: [FieldChange] = []
        for change in changeSet.changes {
            if let latest = retired[change.stamp.node.rawValue], change.stamp.timestamp.milliseconds <= latest,
                isRecoverable(change)
            {
                recovered.append(change)
            } else {
                rest.append(change)
            }
        }
        guard !recovered.isEmpty else { return (changeSet, []) }
        return (changeSet.replacingChanges(rest, origin: peer.node), recovered)
    }

    /// Merges the values a school gives back (``splitRecovered(_:identity:peer:)``) in the apply's transaction, after
    /// the rest of its set, as this side's own values (not received from the school, which never owned them), and
    /// audits those that changed this store as recovered from the school, per pupil.
    ///
    /// Refuses the whole set (`notAuthorized`) when the window closed meanwhile, or when a value is of a record
    /// that is not of one of the school's own pupils: of another school's record or pupil, or of no pupil known here.
    /// Returns how many values were given back and how many changed this store.
    func mergeRecovered(
        _ recovered: [FieldChange],
        of changeSet: ChangeSet,
        from peer: PeerIdentity,
        at physical: UInt64,
        into session: inout MergeSession
    ) throws -> (received: Int, applied: Int) {
        guard !recovered.isEmpty else { return (0, 0) }
        let school = peer.school ?? "no school"
        guard let window = try Self.recoveryWindow(session.db), window.isOpen(at: physical) else {
            let first = recovered[0]
            throw ChangeSetError(
                .notOwner,
                "\(first.entity).\(first.field) is written by the social side; a school node may not send it (the "
                    + "hub's recovery window closed while the set was on its way)",
                remedy: "Nothing was applied; sync again: the node learns that the window is closed."
            )
        }
        let set = changeSet.replacingChanges(recovered, origin: peer.node)
        try Self.checkSchoolAndRecordHomes(
            set,
            school: peer.school,
            stadsdel: peer.stadsdel,
            schema: schema,
            session.db
        )
        try ChangeValidator(schema: schema).validate(set, clock: session.state.clock, physical: physical)
        let side = session.sourceSide
        session.sourceSide = nil
        defer { session.sourceSide = side }
        var applied: [FieldChange] = []
        for change in recovered {
            let entity = schema.entity(named: change.entity)!
            if try session.merge(change, entity: entity, field: entity.field(named: change.field)!) {
                applied.append(change)
            }
        }
        if let newest = recovered.map(\.stamp.timestamp).max() {
            _ = try session.state.clock.receive(newest, physical: physical)
        }
        // Only a record of one of the school's own pupils: judged after the merge, which stored its pupil.
        let context = StorePrivacyContext(db: session.db, today: CivilDate(millisecondsSinceEpoch: physical))
        var fields: [RecordID: Set<String>] = [:]
        var previous: [RecordID: Set<String>] = [:]
        for change in recovered {
            let pupil = try context.pupil(entity: change.entity, record: change.record)
            let home = try pupil.flatMap {
                try Self.homeSchool(entity: SchemaRoles.sst.pupil, record: $0, context: context)
            }
            guard let pupil, home == peer.school else {
                throw ChangeSetError(
                    .notAuthorized,
                    "\(change.entity).\(change.field) of \(change.record) is given back as recovered, but "
                        + (pupil.map { "pupil \($0) belongs to \(home ?? "no school known here")" }
                            ?? "the pupil it concerns is not known here")
                        + "; \(changeSet.origin) may give back only values of \(school)'s own pupils",
                    remedy: "Nothing was applied. A school gives back only what it received about its own pupils; "
                        + "check the node's certificate and the records it holds."
                )
            }
            if applied.contains(change) {
                fields[pupil, default: []].insert("\(change.entity).\(change.field)")
                previous[pupil, default: []].insert(change.stamp.node.rawValue)
            }
        }
        try Self.appendAudit(
            fields.keys.sorted(by: { $0.rawValue < $1.rawValue }).map { pupil in
                AuditEntry(
                    kind: .received,
                    atMilliseconds: physical,
                    direction: .toSocial,
                    peer: peer.node.rawValue,
                    pupil: pupil,
                    fields: Array(fields[pupil]!),
                    detail: "recovered from \(school): values stamped by this hub's previous id "
                        + previous[pupil]!.sorted().joined(separator: ", ")
                        + ", lost with its restore, given back in the recovery window; sequence "
                        + "\(changeSet.since)–\(changeSet.upTo)"
                )
            },
            session.db
        )
        return (recovered.count, applied.count)
    }
}

extension ChangeSet {
    /// The same set (side, range, policy) from `origin`, its verified sender, with other changes.
    func replacingChanges(_ changes: [FieldChange], origin: NodeID) -> ChangeSet {
        ChangeSet(origin: origin, side: side, since: since, upTo: upTo, changes: changes, policyHash: policyHash)
    }
}
