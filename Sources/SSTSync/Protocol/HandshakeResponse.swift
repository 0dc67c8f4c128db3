/// The hub's answer to a handshake: its identity and clock, and where the node's pushes resume.
public struct HandshakeResponse: Codable, Hashable, Sendable {
    /// The sync protocol version the hub will speak in this session.
    public var protocolVersion: Int
    /// The hub's node id: the origin of every change set the node pulls.
    public var hub: String
    /// The content hash of the hub's privacy policy (lower-case hex).
    public var policyHash: String
    /// The hub's physical clock, in milliseconds since the Unix epoch.
    public var serverTime: UInt64
    /// The clock offset the hub allows, in milliseconds: a stamp further ahead of its clock is refused.
    public var maxClockOffset: UInt64
    /// The node's sequence number the hub has everything up to: the next push starts after it.
    public var cursor: Int64
    /// The hub's latest local sequence number (a pull with `since` at or after it returns nothing).
    public var hubSequence: Int64
    /// The largest request body the hub accepts, in bytes.
    public var maxBodyBytes: Int
    /// The largest `limit` the hub serves in one pull.
    public var maxBatchSize: Int
    /// The fingerprint of the node's batch that ended at ``cursor`` as the hub received it; absent when the hub does
    /// not know it. A node that did not send that batch is a copy whose log went on elsewhere (`restored`).
    public var cursorFingerprint: String?
    /// The hub's audit-chain head: the node keeps it as witnessed and sends it at the next handshake.
    public var auditHead: AuditHeadBody?
    /// The longest head of the node's audit trail the hub witnessed before this handshake: a node whose trail ends
    /// before it (restored from a backup) records the gap, which `sst audit verify` reports.
    public var witnessedNode: WitnessedHeadBody?

    public init(
        protocolVersion: Int = SyncProtocol.version,
        hub: String,
        policyHash: String,
        serverTime: UInt64,
        maxClockOffset: UInt64,
        cursor: Int64,
        hubSequence: Int64,
        maxBodyBytes: Int = SyncProtocol.defaultMaxBodyBytes,
        maxBatchSize: Int = SyncProtocol.maxBatchSize,
        cursorFingerprint: String? = nil,
        auditHead: AuditHeadBody? = nil,
        witnessedNode: WitnessedHeadBody? = nil
    ) {
        self.protocolVersion = protocolVersion
        self.hub = hub
        self.policyHash = policyHash
        self.serverTime = serverTime
        self.maxClockOffset = maxClockOffset
        self.cursor = cursor
        self.hubSequence = hubSequence
        self.maxBodyBytes = maxBodyBytes
        self.maxBatchSize = maxBatchSize
        self.cursorFingerprint = cursorFingerprint
        self.auditHead = auditHead
        self.witnessedNode = witnessedNode
    }
}
