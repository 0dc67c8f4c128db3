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
        lastSync: LastSync? = nil
    ) {
        self.protocolVersion = protocolVersion
        self.policyHash = policyHash
        self.nodeTime = nodeTime
        self.lastSequence = lastSequence
        self.lastSync = lastSync
    }
}
