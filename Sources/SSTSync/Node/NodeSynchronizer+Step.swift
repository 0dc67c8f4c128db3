import SSTCore
import SSTPrivacy
import SSTStore

extension NodeSynchronizer {
    /// Performs one session action against the store and the transport, and feeds the outcome back.
    struct Step {
        let store: Store
        let transport: any SyncTransport
        let physicalClock: any PhysicalClock
        let progress: @Sendable (SyncProgress) -> Void
        var hub: PeerIdentity?
        var pushStart: Int64 = 0
        var pullStart: Int64 = 0
        var hubSequence: Int64 = 0
        /// Sent in the handshake: where the last successful sync left the two logs.
        var lastSync: HandshakeRequest.LastSync?
        /// The hub this node last synced with successfully: another hub is refused unless ``acceptedHub`` names it.
        var pinnedHub: NodeID?
        /// The hub this session may sync with although it is not ``pinnedHub`` (`--accept-hub`).
        var acceptedHub: NodeID?
        /// The hub, or another node of this node's school: whose identity the handshake's node id gets.
        var counterpart: SyncCounterpart = .hub
        /// The next push's batch, exported for the hub (filtered, its audit entries prepared, nothing written) and
        /// encoded while the previous push is on the wire; sent when the session asks for exactly that batch,
        /// dropped otherwise (its crossings were never held, so nothing of it is recorded).
        var nextBatch: (since: Int64, limit: Int, export: Task<Result<Batch, SyncFailure>, Never>)?

        /// A batch of changes for the hub, its request body, the `sent` entries its crossing needs, and its
        /// fingerprint (``ChangeSet/logFingerprint``, kept before it goes on the wire).
        struct Batch: Sendable {
            let changeSet: ChangeSet
            let body: PushBody
            let crossings: PreparedCrossings
            let fingerprint: String
        }

        init(
            store: Store,
            transport: any SyncTransport,
            physicalClock: any PhysicalClock,
            progress: @escaping @Sendable (SyncProgress) -> Void
        ) {
            self.store = store
            self.transport = transport
            self.physicalClock = physicalClock
            self.progress = progress
        }

        mutating func perform(
            _ action: SyncSession.Action,
            in session: inout SyncSession,
            sleep: @Sendable (Duration) async throws -> Void
        ) async -> SyncSession.Action {
            do {
                switch action {
                case .handshake:
                    return try await handshake(&session)
                case .push(let since, let limit):
                    return try await push(since: since, limit: limit, &session)
                case .pull(let since, let limit):
                    return try await pull(since: since, limit: limit, &session)
                case .wait(let delay):
                    progress(SyncProgress(phase: .waiting))
                    do {
                        try await sleep(delay)
                    } catch {
                        return session.cancel()
                    }
                    return session.waitElapsed()
                case .finished, .failed:
                    return action
                }
            } catch {
                return session.failed(error)
            }
        }

        private mutating func handshake(_ session: inout SyncSession) async throws(SyncFailure) -> SyncSession.Action {
            progress(SyncProgress(phase: .handshake))
            // Consents that came into force by the clock alone send their pupils' data again: before the session
            // reads where this node's log ends, so that its pushes carry it.
            if counterpart == .hub { _ = try Self.local { try store.resendForConsentsComingIntoForce() } }
            let sentAt = physicalClock.milliseconds()
            var request = HandshakeRequest(
                policyHash: store.policy.hash,
                nodeTime: sentAt,
                lastSequence: try Self.local { try store.lastSequence() },
                lastSync: lastSync
            )
            try Self.local { try Self.describeLog(store, lastSync: lastSync, in: &request) }
            let response = try await transport.handshake(request)
            let receivedAt = physicalClock.milliseconds()
            guard let node = NodeID(response.hub) else {
                throw SyncFailure(
                    .protocolError,
                    "the hub names itself \"\(response.hub)\", which is not a node id",
                    remedy: "Check the --hub URL: it must be the district hub."
                )
            }
            if let failure = Self.checkPin(node, pinned: pinnedHub, accepted: acceptedHub) { throw failure }
            let hub = counterpart.identity(of: node)
            self.hub = hub
            // Before any check may end the session: what the hub witnessed of this node's audit trail (a gap is
            // kept for `sst audit verify`; it does not stop the sync) and the hub's head, witnessed now.
            try Self.local { try Self.exchangeAuditHeads(store, with: node, response, at: receivedAt) }
            let local = try Self.local {
                SyncSession.Local(
                    lastSequence: try store.lastSequence(),
                    hubCursor: try store.cursor(for: node),
                    sentAt: sentAt,
                    receivedAt: receivedAt,
                    backupEnd: try store.backupMark()?.lastSequence,
                    fingerprintsAtCursor: try store.sentFingerprints(endingAt: response.cursor)
                )
            }
            pushStart = response.cursor
            pullStart = local.hubCursor
            hubSequence = response.hubSequence
            let next = session.handshakeCompleted(response, local: local)
            switch next {
            case .failed:
                break
            default:
                // A restored backup the hub has nothing past: the node goes on as it was.
                // (A peer having nothing past it says nothing of the hub, which keeps the mark.)
                if local.backupEnd != nil, counterpart == .hub {
                    try Self.local { try Self.leaveBackup(store, hub: node, response) }
                }
                // The hub's cursor says which batches sent before reached it (an answer lost on the way back): audited
                // now; those after it never arrived and are dropped, the pushes start again from it.
                if counterpart == .hub {
                    try Self.local {
                        try store.acknowledgeCrossings(by: node, upTo: response.cursor, supersedingAfter: true)
                    }
                }
            }
            return next
        }

        private mutating func push(
            since: Int64,
            limit: Int,
            _ session: inout SyncSession
        ) async throws(SyncFailure)
            -> SyncSession.Action
        {
            let hub = try requireHub()
            let store = store
            let transport = transport
            let batch: Batch
            if let next = nextBatch, next.since == since, next.limit == limit {
                batch = try await next.export.value.get()
            } else {
                batch = try Self.batch(store, transport, for: hub, since: since, limit: limit)
            }
            let changeSet = batch.changeSet
            nextBatch = nil
            // Before the batch goes on the wire, and before the next one is exported: its crossings wait for the
            // hub's answer, in the store (an answer lost on the way is acknowledged by the next handshake).
            try Self.local { try store.holdCrossings(batch.crossings, for: hub.node) }
            // The hub's cursor may stand at this batch's end with it even if the answer is lost.
            try Self.local {
                try store.holdSentFingerprint(
                    batch.fingerprint,
                    for: hub.node,
                    since: changeSet.since,
                    upTo: changeSet.upTo
                )
            }
            let lastSequence = try Self.local { try store.lastSequence() }
            progress(SyncProgress(phase: .push, done: since - pushStart, total: lastSequence - pushStart))
            if changeSet.upTo < lastSequence {
                let nextSince = changeSet.upTo
                nextBatch = (
                    nextSince, limit,
                    Task {
                        Result { () throws(SyncFailure) in
                            try Self.batch(store, transport, for: hub, since: nextSince, limit: limit)
                        }
                    }
                )
            }
            let response: PushResponse
            do {
                response = try await transport.push(batch.body)
            } catch {
                throw Self.restoreHint(error, store)
            }
            // The hub applied the batch: its crossings go to the audit trail, with the hub's cursor.
            try Self.local {
                try store.acknowledgeCrossings(by: hub.node, upTo: response.cursor, supersedingAfter: false)
            }
            return session.pushCompleted(response, upTo: changeSet.upTo, lastSequence: lastSequence)
        }

        /// Why a hub that names itself `hub` may not be synced with, or `nil`: it is neither the hub this node last
        /// synced with (`pinned`) nor the one `--accept-hub` names (`accepted`). Before any push or pull.
        static func checkPin(_ hub: NodeID, pinned: NodeID?, accepted: NodeID?) -> SyncFailure? {
            if hub == pinned || hub == accepted { return nil }
            if let accepted {
                return SyncFailure(
                    .hubChanged,
                    "the hub is node \(hub), but --accept-hub names \(accepted)"
                        + (pinned.map { " (and this node last synced with hub \($0))" } ?? "")
                        + "; nothing was pushed or pulled",
                    remedy: "Check the --hub URL and the new hub id with the district's administrators, then give "
                        + "--accept-hub with the hub's id."
                )
            }
            guard let pinned else { return nil }
            return SyncFailure(
                .hubChanged,
                "the hub is node \(hub), but this node last synced with hub \(pinned); nothing was pushed or pulled",
                remedy: "If the district's hub took a new node id on purpose (a hub restored from a backup, `sst node "
                    + "rejoin` on the hub), sync once with `sst sync --accept-hub \(hub)` (or restart `sst node serve` "
                    + "with --accept-hub \(hub)): this node then follows \(hub). Otherwise check the --hub URL and "
                    + "tell the district's administrators."
            )
        }

        /// A push the hub refused for a field the policy forbids, from a node restored from a backup: the likely
        /// cause is a consent withdrawn (or a protection added) after the backup, which the hub has and this node
        /// does not; the remedy says how to record it again.
        private static func restoreHint(_ failure: SyncFailure, _ store: Store) -> SyncFailure {
            guard failure.problem?.code == ChangeSetError.Code.policyViolation.description,
                (try? store.hasRejoined()) == true
            else { return failure }
            return SyncFailure(
                failure.kind,
                failure.message,
                remedy: "This node was restored from a backup: a consent withdrawn after the backup is likely still in "
                    + "force here. List the pupil's consents (`sst consent list --pupil ID`), withdraw it again "
                    + "(`sst consent withdraw --id CONSENT_ID`), then sync; nothing was applied.",
                problem: failure.problem
            )
        }

        private func pull(
            since: Int64,
            limit: Int,
            _ session: inout SyncSession
        ) async throws(SyncFailure)
            -> SyncSession.Action
        {
            let hub = try requireHub()
            progress(SyncProgress(phase: .pull, done: since - pullStart, total: max(0, hubSequence - pullStart)))
            let response = try await transport.pull(since: since, limit: limit)
            let changeSet = response.changeSet
            guard changeSet.origin == hub.node.rawValue, changeSet.version <= ChangeSet.currentVersion else {
                throw SyncFailure(
                    .protocolError,
                    "the hub \(hub.node) sent a change set from \(changeSet.origin), version \(changeSet.version)",
                    remedy: "Check the --hub URL, and run the same SST Sync version on the node and the hub."
                )
            }
            let report = try Self.local { try store.apply(changeSet, from: hub) }
            let cursor = try Self.local { try store.cursor(for: hub.node) }
            return session.pullCompleted(
                received: report.received,
                applied: report.applied,
                more: response.more,
                cursor: cursor
            )
        }

        /// Exports the batch after `since` for the hub (a read: nothing is written) and encodes it for the transport.
        private static func batch(
            _ store: Store,
            _ transport: any SyncTransport,
            for hub: PeerIdentity,
            since: Int64,
            limit: Int
        ) throws(SyncFailure) -> Batch {
            let export = try local { try store.prepareExport(forSide: hub.side, peer: hub, since: since, limit: limit) }
            return Batch(
                changeSet: export.changeSet,
                body: try transport.pushBody(export.changeSet),
                crossings: export.crossings,
                fingerprint: export.changeSet.logFingerprint
            )
        }

        private func requireHub() throws(SyncFailure) -> PeerIdentity {
            guard let hub else {
                throw SyncFailure(.protocolError, "no handshake before the exchange", remedy: "Report this as a bug.")
            }
            return hub
        }

        /// Runs store work, turning its errors into `local` failures.
        private static func local<T>(_ body: () throws -> T) throws(SyncFailure) -> T {
            do {
                return try body()
            } catch let error as ChangeSetError {
                throw SyncFailure(.local, "this node refused what the hub sent: \(error.message)", remedy: error.remedy)
            } catch let error as StoreError {
                throw SyncFailure(.local, "this node's store refused: \(error.message)", remedy: error.remedy)
            } catch {
                throw SyncFailure(.local, "this node's store failed: \(error)", remedy: "Check the --data directory.")
            }
        }
    }
}
