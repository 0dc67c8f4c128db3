/// The body of `POST /v2/handshake`: what the node speaks and what time it thinks it is.
///
/// Who the node is comes from its client certificate, never from this body.
public struct HandshakeRequest: Codable, Hashable, Sendable {
    /// The sync protocol version the node speaks (``SyncProtocol/version``).
    public var protocolVersion: Int
    /// The content hash of the node's privacy policy (lower-case hex); both sides must run the same policy.
    public var policyHash: String
    /// The node's physical clock, in milliseconds since the Unix epoch.
    public var nodeTime: UInt64
    /// The node's latest local sequence number (informational: the hub reports it in its logs).
    public var lastSequence: Int64
    /// Where the node's last successful sync left the two logs; absent when the node never synced (or does not
    /// remember). A hub restored from a backup taken before that sync has less than this and refuses the session
    /// (`409 hubRestored`): its log would reuse sequence numbers the node has already pulled past.
    public var lastSync: LastSync?
    /// The fingerprints of the batches this node pushed that a receiver may hold at its cursor (the one ending where
    /// the cursor stood at the last push, and any sent since without an answer); absent from older nodes. A hub
    /// whose fingerprint at its cursor for this node is not among them refuses the session (`409 restored`): this
    /// data directory is a copy whose log went on elsewhere, and its changes numbered up to the cursor would be
    /// skipped.
    public var pushed: [PushedBatch]?
    /// For a database restored from `sst backup` that has not synced since: where its log ended. The node itself
    /// refuses a hub that has more of it (with the backup's remedy), so the hub leaves that case to it.
    public var backupEnd: Int64?
    /// The node's audit-chain head: the hub keeps it as witnessed and answers it at the next handshake.
    public var auditHead: AuditHeadBody?
    /// What this node witnessed of the hub's audit trail at its last handshake with `lastSync.hub`: a hub whose trail
    /// ends before it (or differs there) records the gap, which `sst audit verify` reports.
    public var witnessedHub: WitnessedHeadBody?

    /// One pushed batch's end and fingerprint (`ChangeSet.logFingerprint`).
    public struct PushedBatch: Codable, Hashable, Sendable {
        public var upTo: Int64
        public var fingerprint: String

        public init(upTo: Int64, fingerprint: String) {
            self.upTo = upTo
            self.fingerprint = fingerprint
        }
    }

    /// What a node learned at the end of its last successful sync.
    public struct LastSync: Codable, Hashable, Sendable {
        /// The node id of the hub it synced with: only that hub checks the rest.
        public var hub: String
        /// The hub's cursor for this node as the hub answered then: the hub had the node's changes up to here.
        public var acknowledged: Int64
        /// This node's cursor for that hub: it has the hub's changes up to this sequence number.
        public var pulledUpTo: Int64

        public init(hub: String, acknowledged: Int64, pulledUpTo: Int64) {
            self.hub = hub
            self.acknowledged = acknowledged
            self.pulledUpTo = pulledUpTo
        }
    }

    public init(
        protocolVersion: Int = SyncProtocol.version,
        policyHash: String,
        nodeTime: UInt64,
        lastSequence: Int64,
        lastSync: LastSync? = nil,
        pushed: [PushedBatch]? = nil,
        backupEnd: Int64? = nil,
        auditHead: AuditHeadBody? = nil,
        witnessedHub: WitnessedHeadBody? = nil
    ) {
        self.protocolVersion = protocolVersion
        self.policyHash = policyHash
        self.nodeTime = nodeTime
        self.lastSequence = lastSequence
        self.lastSync = lastSync
        self.pushed = pushed
        self.backupEnd = backupEnd
        self.auditHead = auditHead
        self.witnessedHub = witnessedHub
    }
}
