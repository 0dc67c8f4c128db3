import Foundation
import SSTCore

/// What the hub knows of a sealed blob without opening it: the header the sender wrote beside the ciphertext.
public struct MailboxBlobHeader: Hashable, Sendable {
    public enum Kind: String, Sendable { case changes, snapshot }

    public let school: String
    public let keyID: String
    public let epoch: Int
    public let sender: String
    public let kind: Kind

    public init(school: String, keyID: String, epoch: Int, sender: String, kind: Kind) {
        self.school = school
        self.keyID = keyID
        self.epoch = epoch
        self.sender = sender
        self.kind = kind
    }
}

/// One blob of a school's mailbox at the hub, as stored: the sealed bytes and their header.
public struct MailboxEntry: Hashable, Sendable {
    public let sequence: Int64
    public let header: MailboxBlobHeader
    /// For a snapshot: the mailbox sequence number its sender had applied everything up to.
    public let covers: Int64?
    public let bytes: Data
}

/// A school's mailbox at the hub: its current key (id and epoch only: the hub never holds a key), the last
/// sequence number and the bytes it stores.
public struct MailboxState: Hashable, Sendable {
    public let keyID: String?
    public let epoch: Int?
    public let latest: Int64
    public let storedBytes: Int64
    /// The bytes of the changes blobs alone: what a snapshot would compact (a school holds one snapshot at most).
    public let changesBytes: Int64
}

/// A node of a school the hub has seen at its mailbox, with the certificate it presented.
public struct MailboxMember: Hashable, Sendable {
    public let node: String
    public let serial: String
    public let certificatePEM: String
    /// Whether the hub holds an envelope of the school's current key for this node.
    public let hasEnvelope: Bool
}

/// A mailbox request the hub refused; nothing was changed.
public struct MailboxRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Sealed with a key older than the school's current one, or another key of the same epoch.
        case oldKey
        /// A changes blob or envelope of a newer epoch: a new key arrives as a snapshot.
        case keyNotCurrent
        /// The school's mailbox is full: a snapshot must compact it first.
        case mailboxFull
        /// An envelope for a node the hub has not seen at this school's mailbox.
        case unknownRecipient
        /// A snapshot covering more than the mailbox holds.
        case invalidCovers
    }

    public let code: Code
    public let message: String
    public let remedy: String

    public init(_ code: Code, _ message: String, remedy: String) {
        self.code = code
        self.message = message
        self.remedy = remedy
    }

    public var description: String { "\(message). \(remedy)" }
}

/// A school node's place in its school's mailbox: its own log up to `pushedUpTo` is posted, the mailbox up to
/// `pulledUpTo` applied; `snapshotDue` after a purge or a consent withdrawal here.
public struct MailboxCursors: Hashable, Sendable {
    public var pushedUpTo: Int64
    public var pulledUpTo: Int64
    public var snapshotDue: Bool
}
