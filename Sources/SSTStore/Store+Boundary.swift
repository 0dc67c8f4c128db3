import GRDB
import SSTCore
import SSTPrivacy

/// The node at the other end of a sync, as its verified certificate names it (never as a request says).
public struct PeerIdentity: Hashable, Sendable {
    public let node: NodeID
    public let role: NodeIdentity.Role
    public let school: String?
    public let stadsdel: String?

    public init(node: NodeID, role: NodeIdentity.Role, school: String? = nil, stadsdel: String? = nil) {
        self.node = node
        self.role = role
        self.school = school
        self.stadsdel = stadsdel
    }

    public var side: Side { role.side }
}

/// An export for the other side: what may be sent, what was withheld and why, and what its crossing would
/// write to the audit trail.
public struct BoundaryExport: Sendable {
    public let changeSet: ChangeSet
    public let withheld: [FilterResult.Withheld]
    /// The `sent` entries and crossed records of the set, not written anywhere yet: a sync holds them until
    /// the receiver acknowledges the batch; a file export records them at once.
    public let crossings: PreparedCrossings
}

extension Store {
    /// The changes after `since` that `peer` may receive, as a change set from this node, audited as sent at
    /// once: for an export that leaves the node as it returns (a change set handed over by hand). A sync uses
    /// ``prepareExport(forSide:peer:since:limit:)`` and audits a batch when the receiver acknowledges it.
    public func exportChanges(for peer: PeerIdentity, since: Int64, limit: Int? = nil) throws -> ChangeSet {
        try exportChanges(forSide: peer.side, peer: peer, since: since, limit: limit).changeSet
    }

    /// As ``exportChanges(for:since:limit:)`` for a destination side, with the withheld changes; `peer` is nil
    /// (or node `file`) for a file export (`sst changes export --for`). Its crossings are audited at once
    /// (detail "export file" for a file): a file has left the node, and nothing acknowledges it. Before the
    /// export, consents that came into force by the clock send their pupils' data again.
    public func exportChanges(
        forSide destination: Side,
        peer: PeerIdentity?,
        since: Int64,
        limit: Int? = nil
    )
        throws -> BoundaryExport
    {
        if destination != (try identity()).side { try resendForConsentsComingIntoForce() }
        let export = try prepareExport(forSide: destination, peer: peer, since: since, limit: limit)
        try recordCrossings(export.crossings)
        return export
    }

    /// The changes after `since` that `peer` may receive, in one read transaction that writes nothing: the
    /// change set, what was withheld, and the audit entries its crossing needs (``BoundaryExport/crossings``).
    ///
    /// Across the school ⇄ social-services boundary the privacy policy filters every field (nothing it
    /// forbids leaves this node); a hub sends a school only that school's records, and no peer the changes it
    /// wrote itself. With a `limit` (a sync batch), the set also carries the fields after it that the crossing
    /// of its own fields rests on, so that the receiver can check it alone (see
    /// ``basisAfterBatch(of:upTo:schema:context:)``). Consents coming into force by the clock are the caller's
    /// (``resendForConsentsComingIntoForce()``, at the start of a sync session).
    public func prepareExport(
        forSide destination: Side,
        peer: PeerIdentity?,
        since: Int64,
        limit: Int? = nil
    )
        throws -> BoundaryExport
    {
        let identity = try identity()
        let physical = physicalClock.milliseconds()
        return try writer.read { db in
            let base = try exportChanges(since: since, limit: limit, db)
            guard destination != identity.side else {
                return BoundaryExport(
                    changeSet: base,
                    withheld: [],
                    crossings: .none(since: base.since, upTo: base.upTo)
                )
            }
            let direction = Direction(destination: destination)
            let context = StorePrivacyContext(db: db, today: CivilDate(millisecondsSinceEpoch: physical))
            var school: String?
            if identity.role == .hub, destination == .school {
                guard let named = peer?.school else {
                    throw StoreError(
                        .invalidValue,
                        "a hub's export for the school side must name the school it is for",
                        remedy: "Pass --school NAME: a school receives only its own records."
                    )
                }
                school = named
            }
            // What may cross to this receiver: the policy's answer, and at a hub only the school's own records.
            func crossing(_ changes: [FieldChange]) throws -> FilterResult {
                var result = try privacyFilter.filter(changes, direction: direction, context: context)
                if let school {
                    result.allowed = try result.allowed.filter { item in
                        try Self.homeSchool(entity: item.change.entity, record: item.change.record, context: context)
                            == school
                    }
                }
                return result
            }
            var result = try crossing(base.changes)
            if limit != nil {
                let basis = try Self.basisAfterBatch(
                    of: result.allowed,
                    upTo: base.upTo,
                    schema: schema,
                    context: context
                )
                if !basis.isEmpty { result.allowed += try crossing(basis).allowed }
            }
            // A node holds what it wrote itself: none of that goes back to it (each push of a school's case
            // fields would otherwise come back on its next pull).
            if let peer { result.allowed.removeAll { $0.change.stamp.node == peer.node } }
            let file = peer == nil || peer?.node.rawValue == "file"
            // At a school, while a restored hub's recovery window is open: what it lost of social services' values.
            var back: (changes: [FieldChange], entries: [AuditEntry]) = ([], [])
            if identity.role == .school, destination == .social, let peer, !file {
                back = try givenBack(
                    result.withheld,
                    to: peer.node,
                    context: context,
                    at: physical,
                    since: base.since,
                    upTo: base.upTo
                )
                let given = Set(back.changes)
                if !given.isEmpty { result.withheld.removeAll { given.contains($0.change) } }
            }
            let prepared = PreparedCrossings(
                result.allowed,
                since: base.since,
                upTo: base.upTo,
                direction: direction,
                peer: peer?.node.rawValue ?? "file",
                at: physical,
                detail: "sequence \(base.since)–\(base.upTo)" + (file ? ", export file" : "")
            )
            let crossings = PreparedCrossings(
                since: prepared.since,
                upTo: prepared.upTo,
                entries: prepared.entries + back.entries,
                records: prepared.records
            )
            let changeSet = ChangeSet(
                origin: identity.node,
                side: identity.side,
                since: base.since,
                upTo: base.upTo,
                changes: result.allowed.map(\.change) + back.changes,
                policyHash: policy.hash
            )
            return BoundaryExport(changeSet: changeSet, withheld: result.withheld, crossings: crossings)
        }
    }

    /// Applies a change set received from `peer` (nil: from a file, origin unverified).
    ///
    /// Across the boundary the receiver checks, in the same transaction as the merge, that the sender runs
    /// the same policy, owns every field it writes, writes only its own school's records, and sends nothing
    /// the policy forbids given this node's own consent state; any failure refuses the whole set, which is
    /// audited. Data received is audited per pupil and basis; a consent withdrawn or expired purges here
    /// what was received under it.
    @discardableResult
    public func apply(_ changeSet: ChangeSet, from peer: PeerIdentity?) throws -> ApplyReport {
        try apply(changeSet, from: peer, betweenSnapshotAndMerge: nil)
    }

    /// As ``apply(_:from:)``; `betweenSnapshotAndMerge` runs after the receiver's reader took its snapshot for
    /// the decisions worked out alongside the merge and before the merge's transaction begins: where another
    /// process's commit may land (`ReceiverOverlayTests` puts one there).
    func apply(
        _ changeSet: ChangeSet,
        from peer: PeerIdentity?,
        betweenSnapshotAndMerge: (() throws -> Void)?
    ) throws -> ApplyReport {
        if let peer, changeSet.origin != peer.node.rawValue {
            throw try refusal(
                ChangeSetError(
                    .notAuthorized,
                    "the change set says it comes from \(changeSet.origin), but the sender is \(peer.node)",
                    remedy: "A node may only push its own change sets."
                ),
                changeSet: changeSet,
                peer: peer
            )
        }
        if let peer, changeSet.side != peer.side {
            throw try refusal(
                ChangeSetError(
                    .notAuthorized,
                    "the change set says it comes from the \(changeSet.side.rawValue) side, but the sender's "
                        + "certificate is a \(peer.role.rawValue) node's, of the \(peer.side.rawValue) side",
                    remedy: "Nothing was applied. A node sends change sets of its own side only."
                ),
                changeSet: changeSet,
                peer: peer
            )
        }
        let identity = try identity()
        let physical = physicalClock.milliseconds()
        guard changeSet.side != identity.side else {
            let report: ApplyReport
            do {
                report = try withSession { session in
                    if identity.role == .school, let school = identity.school {
                        try Self.checkOwnSchool(changeSet, school: school, schema: schema, session.db)
                    }
                    // What a write here would resend (see `write`), a set from another node of this side resends
                    // too.
                    let withheld = try WithheldIdentities(before: changeSet.changes, session.db)
                    let report = try merge(changeSet, into: &session, identity: identity, physical: physical)
                    try withheld.resendFreed(&session)
                    return report
                }
            } catch let error as ChangeSetError {
                throw try refusal(error, changeSet: changeSet, peer: peer)
            }
            if changeSet.changes.contains(where: { $0.field == Schema.purgedField }) { try eraseFreedPages() }
            return report
        }
        let report: ApplyReport
        var consentPupils: Set<RecordID> = []
        let direction = Direction(destination: identity.side)
        let sender = peer?.node.rawValue ?? "\(changeSet.origin) (file)"
        // During a restored hub's recovery window, what a school gives back of social services' values is split
        // off and judged apart (Store+RecoveredValues.swift); the rest is judged as ever.
        let (judged, recovered) = try splitRecovered(changeSet, identity: identity, peer: peer)
        do {
            report = try withSession(
                sourceSide: judged.side,
                alongside: receiverDecisionsAlongside(
                    for: judged,
                    direction: direction,
                    sender: sender,
                    at: physical
                ),
                betweenSnapshotAndMerge: betweenSnapshotAndMerge
            ) { session, alongside in
                let before = session.state.lastSequence
                try checkCrossing(judged, identity: identity, peer: peer, db: session.db)
                let receipts = try Self.newReceipts(judged, session.db)
                let purges = try Self.newPurges(judged, schema: schema, session.db)
                let protectionMayChange = try Self.pupilsWhoseProtectionMayChange(judged, session.db)
                var inputs = FilterInputCheck(tracking: true)
                let report = try merge(
                    judged,
                    into: &session,
                    identity: identity,
                    physical: physical,
                    inputs: &inputs
                )
                let context = StorePrivacyContext(db: session.db, today: CivilDate(millisecondsSinceEpoch: physical))
                let (decisions, decidedBeforeMerge) = try receiverDecisions(
                    judged,
                    alongside: alongside,
                    startedAt: before,
                    inputsStored: inputs.holds,
                    afterMerge: context,
                    direction: direction,
                    sender: sender,
                    at: physical
                )
                if let forbidden = decisions.withheld.first {
                    throw try Self.policyViolation(forbidden, direction: direction, context: context, session.db)
                }
                try Self.appendAudit(rendered: decisions.audit, session.db)
                try Self.rememberCrossings(decisions.allowed, session.db)
                try acknowledgeReceivedPurges(
                    decisions.allowed,
                    fresh: purges,
                    from: sender,
                    direction: direction,
                    at: physical,
                    &session
                )
                try Self.auditReceipts(receipts, peer: sender, at: physical, session.db)
                consentPupils = decisions.consentPupils.union(protectionMayChange)
                var merged = report
                merged.decidedBeforeMerge = decidedBeforeMerge
                guard let peer, !recovered.isEmpty else { return merged }
                let back = try mergeRecovered(recovered, of: changeSet, from: peer, at: physical, into: &session)
                merged.received += back.received
                merged.applied += back.applied
                return merged
            } afterwards: { session, _ in
                for pupil in consentPupils { try Self.resend(pupil: pupil, &session) }
                // The resend covers every consent of theirs in force now: the next session does not resend them.
                _ = try Self.markConsentsInForce(
                    of: consentPupils,
                    on: CivilDate(millisecondsSinceEpoch: physical),
                    session.db
                )
            }
        } catch let error as ChangeSetError {
            throw try refusal(error, changeSet: changeSet, peer: peer)
        }
        if !consentPupils.isEmpty { _ = try sweepConsents(pupils: consentPupils) }
        // A purge from the other side erased values here: their bytes leave the file too.
        if changeSet.changes.contains(where: { $0.field == Schema.purgedField }) { try eraseFreedPages() }
        return report
    }

    /// Audits a refused change set (in its own transaction) and returns the error to throw.
    private func refusal(_ error: ChangeSetError, changeSet: ChangeSet, peer: PeerIdentity?) throws -> ChangeSetError {
        let physical = physicalClock.milliseconds()
        try writer.write { db in
            try Self.appendAudit(
                AuditEntry(
                    kind: .refused,
                    atMilliseconds: physical,
                    direction: Direction(destination: changeSet.side.other),
                    peer: peer?.node.rawValue ?? "\(changeSet.origin) (file)",
                    fields: Array(Set(changeSet.changes.map { "\($0.entity).\($0.field)" })),
                    detail: "\(error.code): \(error.message)"
                ),
                db
            )
        }
        return error
    }

    /// The receiver's decisions about a set just merged, and whether they were worked out before it: those
    /// worked out alongside the merge when they rest on the state the transaction started from (`startedAt`,
    /// its last sequence number) and every filter input of the set ended stored (`inputsStored`); otherwise
    /// worked out now, on the state after the merge. `ReceiverOverlayTests` holds the two to the same answers.
    private func receiverDecisions(
        _ changeSet: ChangeSet,
        alongside: Alongside<(decisions: ReceiverDecisions, lastSequence: Int64)?>,
        startedAt before: Int64,
        inputsStored: Bool,
        afterMerge context: StorePrivacyContext,
        direction: Direction,
        sender: String,
        at physical: UInt64
    ) throws -> (decisions: ReceiverDecisions, beforeMerge: Bool) {
        if inputsStored, case .success(let ready?) = alongside.wait(), ready.lastSequence == before {
            return (ready.decisions, true)
        }
        let after = try Self.receiverDecisions(
            for: changeSet,
            filter: privacyFilter,
            context: context,
            direction: direction,
            sender: sender,
            at: physical
        )
        return (after, false)
    }

    /// The checks that need no merge: the same policy, write ownership, and (for a school peer at a hub) its own
    /// school, whose homes for new records it records meanwhile.
    private func checkCrossing(_ changeSet: ChangeSet, identity: NodeIdentity, peer: PeerIdentity?, db: Database) throws
    {
        guard changeSet.policyHash == policy.hash else {
            throw ChangeSetError(
                .policyMismatch,
                "the sender's privacy policy (\(changeSet.policyHash?.prefix(12) ?? "none")…) differs from this "
                    + "node's (\(policy.hash.prefix(12))…)",
                remedy: "Both sides must run the same policy file: install the district's policy on both, then sync."
            )
        }
        for change in changeSet.changes {
            guard let field = schema.entity(named: change.entity)?.field(named: change.field) else { continue }
            if !field.isSystem && !field.owner.allowsWrites(from: changeSet.side) {
                throw ChangeSetError(
                    .notOwner,
                    "\(change.entity).\(change.field) is written by the \(field.owner.rawValue) side; a "
                        + "\(changeSet.side.rawValue) node may not send it",
                    remedy: "Nothing was applied; the sender must not author fields it does not own."
                )
            }
        }
        guard identity.role == .hub, let peer, peer.role == .school else { return }
        try Self.checkSchoolAndRecordHomes(changeSet, school: peer.school, stadsdel: peer.stadsdel, schema: schema, db)
    }
}
