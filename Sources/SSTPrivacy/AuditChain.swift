import Crypto
import Foundation

/// The hash chain over the audit trail: each entry's hash covers its sequence number, its canonical text
/// and the previous entry's hash, so an edited, removed, inserted or reordered entry breaks the chain.
public enum AuditChain {
    /// The "previous hash" of the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// One stored entry, as read back for verification.
    public struct StoredEntry: Hashable, Sendable {
        public let sequence: Int64
        public let text: String
        public let previousHash: String
        public let hash: String

        public init(sequence: Int64, text: String, previousHash: String, hash: String) {
            self.sequence = sequence
            self.text = text
            self.previousHash = previousHash
            self.hash = hash
        }
    }

    public static func hash(sequence: Int64, text: String, previousHash: String) -> String {
        let digest = SHA256.hash(data: Data("\(previousHash)\n\(sequence)\n\(text)".utf8))
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 2 * SHA256.byteCount) { buffer in
            var index = 0
            for byte in digest {
                buffer[index] = digits[Int(byte >> 4)]
                buffer[index + 1] = digits[Int(byte & 0x0f)]
                index += 2
            }
            return index
        }
    }

    /// Every break in the chain, in order, each naming the entry and what happened to it. Empty when the
    /// trail is intact. (Entries cut off the end leave no trace in the chain itself: compare the head hash
    /// `sst audit verify` prints with one kept elsewhere.)
    public static func verify(_ entries: [StoredEntry]) -> [String] {
        var problems: [String] = []
        let hashes = Dictionary(entries.map { ($0.hash, $0.sequence) }, uniquingKeysWith: { first, _ in first })
        var previous: StoredEntry?
        for entry in entries {
            let expectedSequence = (previous?.sequence ?? 0) + 1
            if entry.sequence != expectedSequence {
                problems.append(
                    entry.sequence > expectedSequence
                        ? (entry.sequence - 1 == expectedSequence
                            ? "entry \(expectedSequence) was removed"
                            : "entries \(expectedSequence)–\(entry.sequence - 1) were removed")
                        : "entry \(entry.sequence) is out of order"
                )
            }
            if hash(sequence: entry.sequence, text: entry.text, previousHash: entry.previousHash) != entry.hash {
                problems.append("entry \(entry.sequence) was edited: its content does not match its hash")
            }
            let expectedPrevious = previous?.hash ?? genesis
            if entry.previousHash != expectedPrevious {
                if let linked = hashes[entry.previousHash], linked > entry.sequence {
                    problems.append(
                        "entry \(entry.sequence) was moved: it follows entry \(linked), which now comes after it"
                    )
                } else if let linked = hashes[entry.previousHash] {
                    problems.append(
                        "entry \(entry.sequence) follows entry \(linked) in the chain: entries in between were removed or reordered"
                    )
                } else if entry.sequence == expectedSequence {
                    problems.append(
                        "entry \(entry.sequence) does not follow entry \(expectedSequence - 1): the chain was altered"
                    )
                }
            }
            previous = entry
        }
        return problems
    }
}
