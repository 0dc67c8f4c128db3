/// What one sync session did: batches and changes each way, and where the cursors ended.
public struct SyncReport: Codable, Hashable, Sendable {
    /// The hub's node id, once the handshake named it.
    public var hub: String?
    /// Field changes sent in pushes, and in how many batches.
    public var pushedChanges = 0
    public var pushBatches = 0
    /// Pushed changes that altered the hub's state (a replay alters none).
    public var appliedAtHub = 0
    /// Field changes received in pulls, and in how many batches.
    public var pulledChanges = 0
    public var pullBatches = 0
    /// Pulled changes that altered this node's state.
    public var appliedHere = 0
    /// This node's sequence number the hub has everything up to.
    public var acknowledged: Int64 = 0
    /// The hub's sequence number this node has everything up to.
    public var pulledUpTo: Int64 = 0
    /// The hub's latest sequence number, as of the handshake.
    public var hubSequence: Int64 = 0
    /// The hub's clock minus this node's, in milliseconds, as of the handshake.
    public var clockOffset: Int64 = 0
    /// Steps retried after a transient failure.
    public var retries = 0
    /// What the relay through the school's sealed mailbox did (school nodes; `nil` when none ran).
    public var mailbox: MailboxReport?

    public init() {}
}
