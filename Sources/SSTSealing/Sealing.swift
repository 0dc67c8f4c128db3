import Crypto
import Foundation
import SSTCore

/// Sealing a school's data with its key, AES-256-GCM with a random 12-byte nonce.
///
/// The associated data is the canonical JSON of the blob's labels (format, version, school, keyID, epoch,
/// sender, kind), so a blob moved to another school, relabelled as another sender or kind, or presented as of
/// another key or epoch fails to open.
public enum Sealing {
    /// Seals `plaintext` of `kind`, sent by `sender`, with `key`.
    ///
    /// A node must record that its key is in use (``SchoolKeyFile/markUsed(directory:)``) before a sealed blob
    /// leaves it, so that the key is never replaced by another of the same epoch afterwards.
    public static func seal(
        _ plaintext: Data,
        kind: SealedBlob.Kind,
        sender: NodeID,
        key: SchoolKey
    ) throws -> SealedBlob {
        try seal(plaintext, kind: kind, sender: sender, key: key, nonce: AES.GCM.Nonce())
    }

    /// Seals with a given nonce: for the protocol vectors only (a nonce used twice with one key breaks AES-GCM).
    static func seal(
        _ plaintext: Data,
        kind: SealedBlob.Kind,
        sender: NodeID,
        key: SchoolKey,
        nonce: AES.GCM.Nonce
    ) throws -> SealedBlob {
        let unsealed = SealedBlob(
            school: key.school,
            keyID: key.id,
            epoch: key.epoch,
            sender: sender.rawValue,
            kind: kind,
            nonce: Array(nonce),
            ciphertext: []
        )
        let box = try AES.GCM.seal(
            plaintext,
            using: key.symmetricKey,
            nonce: nonce,
            authenticating: unsealed.associatedData
        )
        return SealedBlob(
            school: key.school,
            keyID: key.id,
            epoch: key.epoch,
            sender: sender.rawValue,
            kind: kind,
            nonce: Array(nonce),
            ciphertext: Array(box.ciphertext) + Array(box.tag)
        )
    }

    /// Opens `blob` with `key`; throws without returning anything of the plaintext when the blob is of another
    /// school (`otherSchool`), another key of the same epoch (`otherKey`), another epoch (`oldKey`), or when it
    /// does not authenticate (`tampered`).
    public static func open(_ blob: SealedBlob, with key: SchoolKey) throws(SealingError) -> Data {
        guard blob.school == key.school else {
            throw SealingError(
                .otherSchool,
                "the sealed blob belongs to the school \"\(blob.school)\", this node's key to \"\(key.school)\"",
                remedy: "Only the nodes of \(blob.school) can open it; a hub relaying it to this node is misconfigured."
            )
        }
        if blob.epoch != key.epoch {
            let older = blob.epoch < key.epoch ? "the blob is of an older key" : "this node's key is the older one"
            throw SealingError(
                .oldKey,
                "the sealed blob from \(blob.sender) is of key epoch \(blob.epoch), this node's key of epoch "
                    + "\(key.epoch): \(older)",
                remedy: blob.epoch < key.epoch
                    ? "Ask \(blob.sender) to send it again with the current key (after `sst school-key import`)."
                    : "Install the school's current key on this node: `sst school-key import` with a join file."
            )
        }
        guard blob.keyID == key.id else {
            throw SealingError(
                .otherKey,
                "the sealed blob from \(blob.sender) is of the key \(blob.keyID), this node holds the key \(key.id) "
                    + "of the same epoch \(key.epoch)",
                remedy: "The school's nodes must share one key: give one node the other's with `sst school-key wrap` "
                    + "and `sst school-key import`."
            )
        }
        let plaintext: Data
        do {
            let box = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: blob.nonce),
                ciphertext: blob.ciphertext.dropLast(SealedBlob.tagLength),
                tag: blob.ciphertext.suffix(SealedBlob.tagLength)
            )
            plaintext = try AES.GCM.open(box, using: key.symmetricKey, authenticating: blob.associatedData)
        } catch {
            throw SealingError(
                .tampered,
                "the sealed blob from \(blob.sender) does not authenticate with the key \(key.id): it was altered "
                    + "or relabelled after sealing",
                remedy: "Nothing of it was used. Fetch it again; if it fails again, report it to the district's "
                    + "security contact."
            )
        }
        return plaintext
    }
}
