import SSTCore
import SSTStore

extension NodeSynchronizer.Step {
    /// What the handshake tells the hub of this node's log and audit trail, besides where it ends: the fingerprints
    /// of the batches it pushed that the hub may hold at its cursor, where a restored `sst backup` ended, the audit
    /// head, and what this node witnessed of the audit trail of the hub it last synced with.
    static func describeLog(
        _ store: Store,
        lastSync: HandshakeRequest.LastSync?,
        in request: inout HandshakeRequest
    )
        throws
    {
        request.pushed = try store.sentFingerprints().map {
            HandshakeRequest.PushedBatch(upTo: $0.upTo, fingerprint: $0.fingerprint)
        }
        request.backupEnd = try store.backupMark()?.lastSequence
        request.auditHead = AuditHeadBody(try store.auditHead())
        if let hub = lastSync?.hub, let node = NodeID(hub), let witnessed = try store.witnessedAuditHead(of: node) {
            request.witnessedHub = WitnessedHeadBody(node: hub, witnessed)
        }
    }

    /// This node's part of the audit-head exchange, on the hub's answer: checks what the hub witnessed of this
    /// node's trail (a gap is kept for `sst audit verify`), and keeps the hub's head as witnessed now. A head that
    /// names another node, or cannot be one, is ignored.
    static func exchangeAuditHeads(
        _ store: Store,
        with hub: NodeID,
        _ response: HandshakeResponse,
        at now: UInt64
    )
        throws
    {
        let own = try store.identity().node.rawValue
        let mine = response.witnessedNode.flatMap { $0.node == own ? $0.witnessed : nil }
        let theirs = response.auditHead?.head
        guard mine != nil || theirs != nil else { return }
        try store.exchangeAuditHeads(with: hub, theirHead: theirs, witnessOfMine: mine, at: now)
    }

    /// A restored `sst backup` the hub has nothing past goes on as the node it was: the mark goes, and what the hub
    /// holds at its cursor (the node's own log, which the backup holds too) is the fingerprint it checks next time.
    static func leaveBackup(_ store: Store, hub: NodeID, _ response: HandshakeResponse) throws {
        if let fingerprint = response.cursorFingerprint {
            try store.holdSentFingerprint(fingerprint, for: hub, since: response.cursor, upTo: response.cursor)
        }
        try store.clearBackupMark()
    }
}
