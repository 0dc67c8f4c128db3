import Foundation
import Logging
import SSTCore
import SSTPrivacy
import SSTStore

/// The hub's side of the sync protocol without HTTP: what each `/v2` endpoint does for a peer whose
/// identity came from its verified certificate.
///
/// Every method either answers or throws a ``Problem``; nothing of a refused request is applied. The store
/// functions audit what crosses the boundary and every denial they make; what a pull sends is audited when the
/// node acknowledges it (its next pull or handshake).
public struct HubService: Sendable {
    /// Limits the hub announces in the handshake and enforces.
    public struct Configuration: Sendable {
        /// The largest request body accepted, in bytes.
        public var maxBodyBytes: Int
        /// The largest `limit` served in one pull.
        public var maxBatchSize: Int
        /// The pull `limit` when a request names none.
        public var defaultBatchSize: Int
        /// How many pushes at a time are decompressed, decoded and applied (``PushGate``); the store has one
        /// writer, so two keep it busy while the next push is decoded.
        public var concurrentPushes: Int
        /// Storage per school of the sealed mailbox (``MailboxService/Limits``).
        public var mailboxLimits = MailboxService.Limits()

        public init(
            maxBodyBytes: Int = SyncProtocol.defaultMaxBodyBytes,
            maxBatchSize: Int = SyncProtocol.maxBatchSize,
            defaultBatchSize: Int = SyncProtocol.defaultBatchSize,
            concurrentPushes: Int = 2
        ) {
            self.maxBodyBytes = maxBodyBytes
            self.maxBatchSize = maxBatchSize
            self.defaultBatchSize = defaultBatchSize
            self.concurrentPushes = concurrentPushes
        }
    }

    public let store: Store
    public let configuration: Configuration
    let physicalClock: any PhysicalClock
    let metrics: HubMetrics
    let logger: Logger
    /// Where pushes wait for their turn, holding only their compressed bodies.
    let pushGate: PushGate

    public init(
        store: Store,
        configuration: Configuration = Configuration(),
        physicalClock: any PhysicalClock = SystemClock(),
        metrics: HubMetrics,
        logger: Logger
    ) {
        self.store = store
        self.configuration = configuration
        self.physicalClock = physicalClock
        self.metrics = metrics
        self.logger = logger
        pushGate = PushGate(permits: max(1, configuration.concurrentPushes)) { metrics.pushesWaiting($0) }
    }

    /// Checks the node's protocol version, policy and clock, and that its log is the one the hub received (a
    /// copied data directory whose log went on elsewhere is refused, `restored`); exchanges the two audit heads
    /// (witnessed audit heads); and tells the node where its pushes resume.
    public func handshake(_ request: HandshakeRequest, from peer: PeerIdentity) throws(Problem) -> HandshakeResponse {
        let hash = store.policy.hash
        guard request.protocolVersion == SyncProtocol.version else {
            throw Problem(
                status: 400,
                code: Problem.Codes.unsupportedVersion,
                title: "Unsupported protocol version",
                detail: "the node speaks sync protocol version \(request.protocolVersion); this hub speaks version "
                    + "\(SyncProtocol.version)",
                remedy: "Run the same SST Sync version on the node and the hub."
            )
        }
        guard request.policyHash == hash else {
            throw Problem(
                status: 409,
                code: Problem.Codes.policyMismatch,
                title: "The two sides run different privacy policies",
                detail: "the node's privacy policy hash is \(request.policyHash), the hub's is \(hash)",
                remedy: "Install the district's current policy file on the node (or the hub), then sync again."
            )
        }
        try Self.checkLogEvidence(request)
        return try withStore { () throws -> HandshakeResponse in
            let now = physicalClock.milliseconds()
            // Consents that came into force by the clock alone send their pupils' data again, before this session's
            // pulls (and before the answer says where the log ends).
            if peer.side != (try store.identity()).side { try store.resendForConsentsComingIntoForce() }
            let maxOffset = try store.clock().maxOffsetMilliseconds
            if request.nodeTime > now + maxOffset {
                throw Problem(
                    status: 422,
                    code: Problem.Codes.clockAhead,
                    title: "The node's clock is ahead of the hub's",
                    detail: "the node's clock is \(DurationText.milliseconds(request.nodeTime - now)) ahead of the "
                        + "hub's; the allowed offset is \(DurationText.milliseconds(maxOffset)). Nothing was exchanged",
                    remedy: "Fix the node's clock (NTP). Its changes wait on the node and sync once the clocks agree."
                )
            }
            let hub = try store.identity().node
            let audit = try exchangeAuditHeads(request, from: peer, hub: hub, at: now)
            let (cursor, fingerprint) = try store.receivedFingerprint(of: peer.node)
            let latest = try store.lastSequence()
            if let last = request.lastSync, last.hub == hub.rawValue,
                last.acknowledged > cursor || last.pulledUpTo > latest
            {
                logger.error(
                    "a node's last sync is ahead of this hub's data: restored from an older backup?",
                    metadata: [
                        "node": "\(peer.node)", "acknowledged": "\(last.acknowledged)", "cursor": "\(cursor)",
                        "pulledUpTo": "\(last.pulledUpTo)", "hubSequence": "\(latest)",
                    ]
                )
                throw Problem(
                    status: 409,
                    code: Problem.Codes.hubRestored,
                    title: "The hub's data is older than the node's last sync",
                    detail: "at its last sync the hub had this node's changes up to \(last.acknowledged) and sent its "
                        + "own up to \(last.pulledUpTo); now it has them up to \(cursor) and its log ends at \(latest): "
                        + "the hub was restored from a backup taken before that sync. Nothing was exchanged",
                    remedy: "The hub's administrators give it a new node id (`sst node rejoin --data HUB-DIR --node-id "
                        + "NEW-ID` with a hub certificate for it) and restart `sst hub serve`; this node then syncs "
                        + "everything again once told to follow the new id: `sst sync --accept-hub NEW-ID`."
                )
            }
            if let refusal = restoredRefusal(request, from: peer, cursor: cursor, fingerprint: fingerprint) {
                throw refusal
            }
            // The node applied what it pulled up to its cursor: the batches sent before that crossed (audited now);
            // those after it never arrived, and its pulls start again from there.
            if let last = request.lastSync, last.hub == hub.rawValue {
                try store.acknowledgeCrossings(by: peer.node, upTo: last.pulledUpTo, supersedingAfter: true)
            }
            return HandshakeResponse(
                hub: hub.rawValue,
                policyHash: hash,
                serverTime: now,
                maxClockOffset: maxOffset,
                cursor: cursor,
                hubSequence: latest,
                maxBodyBytes: configuration.maxBodyBytes,
                maxBatchSize: configuration.maxBatchSize,
                cursorFingerprint: fingerprint,
                auditHead: AuditHeadBody(audit.ownHead),
                witnessedNode: audit.previouslyWitnessed.map { WitnessedHeadBody(node: peer.node.rawValue, $0) }
            )
        }
    }

    /// Applies a pushed change set (the request body) from `peer`: atomic, idempotent on replay; a set
    /// that starts after the hub's cursor for the node is refused with the expected sequence.
    public func push(_ body: Data, from peer: PeerIdentity) throws(Problem) -> PushResponse {
        let changeSet: ChangeSet
        do {
            changeSet = try ChangeSetCodec.decode(body)
        } catch {
            throw Problem(error)
        }
        return try withStore { () throws -> PushResponse in
            let cursor = try store.cursor(for: peer.node)
            // A set naming another origin than the certificate goes on to the store, which refuses and audits it.
            guard changeSet.origin != peer.node.rawValue || changeSet.since <= cursor else {
                throw Problem(
                    ChangeSetError(
                        .sequenceGap,
                        "the push covers \(peer.node)'s changes \(changeSet.since + 1)…\(changeSet.upTo), but the hub "
                            + "has them only up to \(cursor)",
                        remedy: "Push again starting after \(cursor) (the `expected` member)."
                    ),
                    expected: cursor
                )
            }
            let report: ApplyReport
            do {
                report = try store.apply(changeSet, from: peer)
            } catch let error as ChangeSetError {
                var problem = Problem(error)
                problem.audited = true
                throw problem
            }
            // The batch that moved the cursor to its end: what the node must hold there at its next handshake.
            if changeSet.originNode == peer.node, report.cursor == changeSet.upTo {
                try store.recordReceivedFingerprint(changeSet.logFingerprint, from: peer.node, upTo: changeSet.upTo)
            }
            metrics.changesReceived(report.received, applied: report.applied)
            logger.debug(
                "push applied",
                metadata: [
                    "peer": "\(peer.node)", "received": "\(report.received)", "applied": "\(report.applied)",
                    "cursor": "\(report.cursor)",
                ]
            )
            return PushResponse(received: report.received, applied: report.applied, cursor: report.cursor)
        }
    }

    /// The hub's changes after `since` that `peer` may see, at most `limit` fields, and whether more follow.
    ///
    /// A pull after `since` acknowledges what the node pulled before: the batches ending at or before `since`
    /// reached it (audited as sent now), those after it did not (dropped). This batch's crossings wait for the
    /// node's next pull or handshake, in the same transaction.
    public func pull(since: Int64, limit: Int?, for peer: PeerIdentity) throws(Problem) -> PullResponse {
        guard since >= 0 else {
            throw Problem.malformed("the query parameter since must be 0 or more, not \(since)")
        }
        if let limit, limit < 1 {
            throw Problem.malformed("the query parameter limit must be 1 or more, not \(limit)")
        }
        let batch = min(limit ?? configuration.defaultBatchSize, configuration.maxBatchSize)
        return try withStore { () throws -> PullResponse in
            let export = try store.prepareExport(forSide: peer.side, peer: peer, since: since, limit: batch)
            try store.acknowledgeCrossings(
                by: peer.node,
                upTo: since,
                supersedingAfter: true,
                holding: export.crossings
            )
            let changeSet = export.changeSet
            let last = try store.lastSequence()
            metrics.changesSent(changeSet.changes.count)
            return PullResponse(changeSet: changeSet, more: changeSet.upTo < last)
        }
    }

    /// Runs store work, turning its refusals into problems and anything unexpected into a 500 that is logged.
    private func withStore<T>(_ body: () throws -> T) throws(Problem) -> T {
        do {
            return try body()
        } catch let problem as Problem {
            throw problem
        } catch let error as ChangeSetError {
            throw Problem(error)
        } catch let error as StoreError {
            throw Problem(error)
        } catch {
            logger.error("store failure", metadata: ["error": "\(error)"])
            // A full disk says which directory and that nothing was written (507), not a bare 500.
            if let full = store.explaining(error) as? StoreError { throw Problem(full) }
            throw Problem(
                status: 500,
                code: Problem.Codes.internalError,
                title: "The hub failed",
                detail: "the hub could not complete the request; nothing was applied",
                remedy: "Retry later; if it persists, the hub's log says why."
            )
        }
    }
}

extension Problem {
    /// A 400 for a request the endpoint cannot read.
    static func malformed(_ detail: String) -> Problem {
        Problem(
            status: 400,
            code: Codes.malformedRequest,
            title: "Malformed request",
            detail: detail,
            remedy: "Send the request as Protocol/openapi.yaml describes it."
        )
    }
}
