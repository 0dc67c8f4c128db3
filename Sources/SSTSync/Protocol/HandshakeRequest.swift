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

    public init(protocolVersion: Int = SyncProtocol.version, policyHash: String, nodeTime: UInt64, lastSequence: Int64)
    {
        self.protocolVersion = protocolVersion
        self.policyHash = policyHash
        self.nodeTime = nodeTime
        self.lastSequence = lastSequence
    }
}
