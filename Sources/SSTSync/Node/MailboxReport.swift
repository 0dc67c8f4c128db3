import SSTCore

/// What the relay through the school's sealed mailbox did in one sync (``MailboxRelay``).
public struct MailboxReport: Codable, Hashable, Sendable {
    /// How the relay ended.
    public enum Outcome: String, Codable, Sendable {
        /// Everything relayed.
        case relayed
        /// This node has no key of the school's current epoch and the hub holds no envelope for it yet: nothing
        /// was posted or pulled. Another node of the school wraps the key for it at its next sync.
        case waitingForKey
        /// The relay failed; the boundary sync's result stands and the relay is retried at the next sync.
        case failed
    }

    public var outcome: Outcome = .relayed
    /// The school key this node holds after the relay (id and epoch).
    public var keyID: String?
    public var epoch: Int?
    /// The key this node took from its envelope in this relay, if any.
    public var installedKey: String?
    /// Key envelopes posted for other nodes of the school.
    public var envelopesPosted = 0
    /// Changes blobs posted, and the field changes in them.
    public var blobsPosted = 0
    public var changesPosted = 0
    /// Blobs of other nodes opened and applied, their field changes, and those that altered this node.
    public var blobsApplied = 0
    public var changesReceived = 0
    public var changesApplied = 0
    /// Whether a snapshot was posted (compaction), and whether this node rotated the school's key.
    public var snapshotPosted = false
    public var rotated = false
    /// This node's log up to here is in the mailbox; the mailbox up to here is applied here.
    public var pushedUpTo: Int64 = 0
    public var pulledUpTo: Int64 = 0
    /// What went wrong (with `failed` and `waitingForKey`), and what to do.
    public var message: String?
    public var remedy: String?

    public init() {}

    /// One line for `sst sync` and `sst status`.
    public var line: String {
        switch outcome {
        case .waitingForKey:
            return "Mailbox     waiting for the school key: \(message ?? "") \(remedy ?? "")"
        case .failed:
            return "Mailbox     FAILED: \(message ?? "?") \(remedy ?? "")"
        case .relayed:
            var text =
                "Mailbox     posted \(changesPosted) change\(changesPosted == 1 ? "" : "s") in \(blobsPosted) sealed "
                + "blob\(blobsPosted == 1 ? "" : "s"), applied \(blobsApplied) from the school's other nodes "
                + "(\(changesApplied) new here); key epoch \(epoch.map(String.init) ?? "?")"
            if snapshotPosted { text += "; snapshot posted" }
            if rotated { text += "; the school key rotated" }
            if let installedKey { text += "; took the school key \(installedKey)" }
            if envelopesPosted > 0 { text += "; wrapped the key for \(envelopesPosted) node(s)" }
            return text
        }
    }
}

extension MailboxReport {
    /// The report as JSON, for `sst sync --json` and `sst status --json`.
    public var json: CanonicalJSON {
        .object([
            "outcome": .string(outcome.rawValue), "keyID": keyID.map(CanonicalJSON.string) ?? .null,
            "epoch": epoch.map { .integer(Int64($0)) } ?? .null,
            "installedKey": installedKey.map(CanonicalJSON.string) ?? .null,
            "envelopesPosted": .integer(Int64(envelopesPosted)), "blobsPosted": .integer(Int64(blobsPosted)),
            "changesPosted": .integer(Int64(changesPosted)), "blobsApplied": .integer(Int64(blobsApplied)),
            "changesReceived": .integer(Int64(changesReceived)), "changesApplied": .integer(Int64(changesApplied)),
            "snapshotPosted": .bool(snapshotPosted), "rotated": .bool(rotated), "pushedUpTo": .integer(pushedUpTo),
            "pulledUpTo": .integer(pulledUpTo), "message": message.map(CanonicalJSON.string) ?? .null,
            "remedy": remedy.map(CanonicalJSON.string) ?? .null,
        ])
    }
}
