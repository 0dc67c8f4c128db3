import Foundation

/// The request and answer bodies of the sealed mailbox (`/v2/mailbox`, `Protocol/mailbox.md`). Sealed blobs and
/// key envelopes travel as base64 of their own JSON bytes, so that one unreadable blob spoils only itself.
public enum MailboxMessages {
    /// The answer to `POST /v2/mailbox` and `POST /v2/mailbox/snapshot`: the stored blob's sequence number.
    public struct Posted: Codable, Hashable, Sendable {
        public var sequence: Int64
    }

    /// One blob of a listing.
    public struct Entry: Codable, Hashable, Sendable {
        public var sequence: Int64
        public var kind: String
        public var sender: String
        public var keyID: String
        public var epoch: Int
        /// For a snapshot: the mailbox sequence number it covers.
        public var covers: Int64?
        /// The sealed blob's JSON bytes, base64.
        public var blob: String
    }

    /// The answer to `GET /v2/mailbox`.
    public struct Listing: Codable, Hashable, Sendable {
        public var blobs: [Entry]
        /// The school's latest mailbox sequence number.
        public var latest: Int64
        /// Whether blobs after the last one listed remain.
        public var more: Bool
        /// The school's current key (id and epoch), none before its first blob or envelope.
        public var keyID: String?
        public var epoch: Int?
        /// A member certificate recorded for the school was revoked since the current key's epoch began.
        public var rotationNeeded: Bool
        public var storedBytes: Int64
        /// The school's changes blobs (since its snapshot) pass `limitBytes`: a node should post a snapshot.
        public var compactionAdvised: Bool
        public var limitBytes: Int64
    }

    /// A member of the school as the hub saw it.
    public struct Member: Codable, Hashable, Sendable {
        public var node: String
        public var serial: String
        /// The certificate it presented, PEM.
        public var certificate: String
        /// Whether the hub holds an envelope of the current key for it.
        public var hasEnvelope: Bool
    }

    /// The answer to `GET /v2/mailbox/members`.
    public struct Members: Codable, Hashable, Sendable {
        public var members: [Member]
        public var keyID: String?
        public var epoch: Int?
    }

    /// The body of `POST /v2/mailbox/keys`: key envelopes, each base64 of its JSON bytes.
    public struct Envelopes: Codable, Hashable, Sendable {
        public var envelopes: [String]
    }

    /// The answer to `POST /v2/mailbox/keys`.
    public struct Stored: Codable, Hashable, Sendable {
        public var stored: Int
    }

    /// The answer to `GET /v2/mailbox/key`: this node's envelope of the current key, base64.
    public struct Envelope: Codable, Hashable, Sendable {
        public var envelope: String
        public var keyID: String
        public var epoch: Int
    }
}
