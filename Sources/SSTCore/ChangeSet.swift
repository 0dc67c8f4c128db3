/// A batch of field changes exported by one node: the changes it holds whose local sequence numbers
/// are in `(since, upTo]`, with their original stamps (relayed changes keep their author's stamp).
///
/// Applying a change set is atomic and idempotent, and change sets commute: duplicated, reordered or
/// regrouped sets give the same state.
public struct ChangeSet: Hashable, Sendable {
    /// The value of the `format` member that marks a file as an SST change set.
    public static let formatName = "sst-changes"
    /// The protocol version this build writes and the newest it reads. Version 2 groups the changes by
    /// record and stamp (`records`); version 1's flat `changes` list is still read.
    public static let currentVersion = 2

    public let format: String
    public let version: Int
    /// The node that exported the set.
    public let origin: String
    /// The side of the exporting node.
    public let side: Side
    /// The exporter's sequence number the set starts after (exclusive).
    public let since: Int64
    /// The exporter's highest sequence number the set covers (inclusive).
    public let upTo: Int64
    public let changes: [FieldChange]
    /// For sets that cross the school ⇄ social-services boundary: the content hash of the sender's
    /// privacy policy. A receiver with another policy refuses the set.
    public let policyHash: String?

    public init(
        origin: NodeID,
        side: Side,
        since: Int64,
        upTo: Int64,
        changes: [FieldChange],
        policyHash: String? = nil
    ) {
        self.format = Self.formatName
        self.version = Self.currentVersion
        self.origin = origin.rawValue
        self.side = side
        self.since = since
        self.upTo = upTo
        self.changes = changes
        self.policyHash = policyHash
    }

    /// A set as decoded, in the version it was written in.
    init(
        format: String,
        version: Int,
        origin: String,
        side: Side,
        since: Int64,
        upTo: Int64,
        changes: [FieldChange],
        policyHash: String?
    ) {
        self.format = format
        self.version = version
        self.origin = origin
        self.side = side
        self.since = since
        self.upTo = upTo
        self.changes = changes
        self.policyHash = policyHash
    }

    public var originNode: NodeID? { NodeID(origin) }
}

extension Side: Codable {}
