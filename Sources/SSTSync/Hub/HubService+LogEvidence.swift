import Logging
import SSTCore
import SSTStore

extension HubService {
    /// The most pushed-batch fingerprints a handshake may carry (a node sends a few per receiver).
    static let maxPushedBatches = 256

    /// Refuses a handshake whose log evidence cannot be read: fingerprints and audit hashes are SHA-256 in
    /// lower-case hex, lengths and sequence numbers are not negative.
    static func checkLogEvidence(_ request: HandshakeRequest) throws(Problem) {
        if let pushed = request.pushed {
            guard pushed.count <= maxPushedBatches else {
                throw Problem.malformed("pushed lists \(pushed.count) batches; at most \(maxPushedBatches) are read")
            }
            if let bad = pushed.first(where: { $0.upTo < 0 || !AuditHeadBody.isHash($0.fingerprint) }) {
                throw Problem.malformed(
                    "pushed names a batch up to \(bad.upTo) with fingerprint \"\(bad.fingerprint.prefix(80))\": a "
                        + "sequence number is 0 or more and a fingerprint is 64 lower-case hex digits"
                )
            }
        }
        if let end = request.backupEnd, end < 0 {
            throw Problem.malformed("backupEnd must be 0 or more, not \(end)")
        }
        if let head = request.auditHead, head.head == nil {
            throw Problem.malformed("auditHead must have a length of 0 or more and a hash of 64 lower-case hex digits")
        }
        if let witnessed = request.witnessedHub, witnessed.witnessed == nil {
            throw Problem.malformed(
                "witnessedHub must have a length of 0 or more and a hash of 64 lower-case hex digits"
            )
        }
    }

    /// The hub's part of the audit-head exchange, before any refusal: what the node witnessed of this hub's trail
    /// (a gap is kept, logged, and reported by `sst audit verify`; a restored hub hears it from every school that
    /// saw more) and the node's head, witnessed now. Returns what the hub had witnessed of the node and its head.
    func exchangeAuditHeads(
        _ request: HandshakeRequest,
        from peer: PeerIdentity,
        hub: NodeID,
        at now: UInt64
    ) throws
        -> AuditHeadExchange
    {
        let mine = request.witnessedHub.flatMap { $0.node == hub.rawValue ? $0.witnessed : nil }
        let exchange = try store.exchangeAuditHeads(
            with: peer.node,
            theirHead: request.auditHead?.head,
            witnessOfMine: mine,
            at: now,
            deferringWitness: true
        )
        if let gap = exchange.gap, exchange.gapIsNew {
            logger.error(
                "this hub's audit trail ends before what a node witnessed: restored from a backup?",
                metadata: ["node": "\(peer.node)", "gap": "\(gap.message)"]
            )
        }
        return exchange
    }

    /// The `restored` refusal, or nil: the hub's fingerprint of the node's batch that ended at its cursor is not
    /// among those the node says it pushed. Left to the node when its log ends before the cursor, or when it is a
    /// restored `sst backup` that has not synced since (the backup's log is the node's up to where it ended; past
    /// it the node refuses itself, naming the backup), and skipped when either side has no fingerprints (an older
    /// node, a cursor moved by a file import).
    func restoredRefusal(
        _ request: HandshakeRequest,
        from peer: PeerIdentity,
        cursor: Int64,
        fingerprint: String?
    )
        -> Problem?
    {
        guard let fingerprint, let pushed = request.pushed, cursor > 0, cursor <= request.lastSequence,
            request.backupEnd == nil,
            !pushed.contains(where: { $0.upTo == cursor && $0.fingerprint == fingerprint })
        else { return nil }
        logger.error(
            "a node's log differs from what the hub received at its cursor: a copied data directory?",
            metadata: ["node": "\(peer.node)", "cursor": "\(cursor)", "fingerprint": "\(fingerprint)"]
        )
        return Problem(
            status: 409,
            code: Problem.Codes.restored,
            title: "This data directory is a copy whose log went on elsewhere",
            detail: "the hub has \(peer.node)'s changes up to \(cursor), but not as this node sent them: its data "
                + "directory is a copy of the node (`cp`, a VM snapshot, a restored disk) whose log went on elsewhere, "
                + "and its own changes numbered up to \(cursor) would be skipped. Nothing was exchanged",
            remedy: SyncSession.copiedRemedy
        )
    }
}
