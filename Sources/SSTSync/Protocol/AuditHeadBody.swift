import SSTStore

/// An audit-chain head as the handshake carries it: how many entries the trail holds and the hash of the last
/// (64 zeros for none). See `Store.exchangeAuditHeads`.
public struct AuditHeadBody: Codable, Hashable, Sendable {
    public var length: Int64
    public var hash: String

    public init(length: Int64, hash: String) {
        self.length = length
        self.hash = hash
    }

    public init(_ head: AuditHead) {
        self.init(length: head.length, hash: head.hash)
    }

    /// The head, or nil when it cannot be one (a negative length, a hash that is not 64 lower-case hex digits).
    public var head: AuditHead? {
        guard length >= 0, Self.isHash(hash) else { return nil }
        return AuditHead(length: length, hash: hash)
    }

    /// A SHA-256 in lower-case hex, as audit hashes and log fingerprints are written.
    static func isHash(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// A head one side witnessed of the other's audit trail, and when (the witnessing side's clock, ms since the
/// epoch).
public struct WitnessedHeadBody: Codable, Hashable, Sendable {
    /// The node whose trail was witnessed: a receiver checks only a head of its own id.
    public var node: String
    public var length: Int64
    public var hash: String
    public var at: UInt64

    public init(node: String, length: Int64, hash: String, at: UInt64) {
        self.node = node
        self.length = length
        self.hash = hash
        self.at = at
    }

    public init(node: String, _ witnessed: WitnessedAuditHead) {
        self.init(node: node, length: witnessed.head.length, hash: witnessed.head.hash, at: witnessed.atMilliseconds)
    }

    /// The witnessed head, or nil when it cannot be one.
    public var witnessed: WitnessedAuditHead? {
        AuditHeadBody(length: length, hash: hash).head.map { WitnessedAuditHead(head: $0, atMilliseconds: at) }
    }
}
