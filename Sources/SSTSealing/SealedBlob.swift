import Foundation
import SSTCore

/// A school's data sealed with the school key: what the hub stores and relays between the school's nodes without
/// being able to read it.
///
/// JSON (canonical: members sorted, two-space indentation):
/// `{"ciphertext": B64, "epoch": N, "format": "sst-sealed", "keyID": HEX, "kind": "changes"|"snapshot",
/// "nonce": B64, "school": S, "sender": NODE, "version": 1}`; `ciphertext` is the AES-256-GCM ciphertext followed
/// by its 16-byte tag, `nonce` is 12 bytes. The labels are bound to the ciphertext as associated data
/// (``Sealing``), so a blob relabelled as another school, key, epoch, sender or kind does not open.
public struct SealedBlob: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case changes, snapshot
    }

    public static let format = "sst-sealed"
    public static let version = 1
    /// The AES-GCM nonce length in bytes.
    static let nonceLength = 12
    /// The AES-GCM tag length in bytes.
    static let tagLength = 16

    public let school: String
    public let keyID: String
    public let epoch: Int
    public let sender: String
    public let kind: Kind
    /// The 12-byte nonce.
    let nonce: [UInt8]
    /// The ciphertext followed by the 16-byte tag.
    let ciphertext: [UInt8]

    /// The size of the sealed plaintext in bytes.
    public var plaintextCount: Int { ciphertext.count - Self.tagLength }

    init(
        school: String,
        keyID: String,
        epoch: Int,
        sender: String,
        kind: Kind,
        nonce: [UInt8],
        ciphertext: [UInt8]
    ) {
        self.school = school
        self.keyID = keyID
        self.epoch = epoch
        self.sender = sender
        self.kind = kind
        self.nonce = nonce
        self.ciphertext = ciphertext
    }

    /// The labels that are authenticated with the ciphertext: everything but nonce and ciphertext.
    var header: [String: CanonicalJSON] {
        [
            "format": .string(Self.format), "version": .integer(Int64(Self.version)), "school": .string(school),
            "keyID": .string(keyID), "epoch": .integer(Int64(epoch)), "sender": .string(sender),
            "kind": .string(kind.rawValue),
        ]
    }

    /// The associated data of the AEAD: the canonical JSON text of ``header``.
    var associatedData: Data { CanonicalJSON.object(header).canonicalData }

    var json: CanonicalJSON {
        var members = header
        members["nonce"] = .base64(nonce)
        members["ciphertext"] = .base64(ciphertext)
        return .object(members)
    }

    /// The canonical JSON bytes: what the hub stores and serves.
    public func encoded() throws -> Data {
        json.canonicalData
    }

    /// Reads a sealed blob strictly: its format and version, no unknown or repeated member, a valid sender node
    /// id and key id, a 12-byte nonce and a ciphertext at least as long as the tag.
    public static func decode(_ data: Data) throws(SealingError) -> SealedBlob {
        let object = try StrictObject(
            data,
            what: "the sealed blob",
            format: format,
            names: ["school", "keyID", "epoch", "sender", "kind", "nonce", "ciphertext"],
            remedy: "Fetch the blob again from the hub or the school's other node; it is not usable as it is."
        )
        return try validated(
            school: object.string("school"),
            keyID: object.string("keyID"),
            epoch: object.integer("epoch"),
            sender: object.string("sender"),
            kind: object.string("kind"),
            nonce: object.base64("nonce"),
            ciphertext: object.base64("ciphertext"),
            remedy: object.remedy
        )
    }

    private static func validated(
        school: String,
        keyID: String,
        epoch: Int64,
        sender: String,
        kind: String,
        nonce: [UInt8],
        ciphertext: [UInt8],
        remedy: String
    ) throws(SealingError) -> SealedBlob {
        guard !school.isEmpty else { throw SealingError(.malformed, "the sealed blob names no school", remedy: remedy) }
        guard Hex.isKeyID(keyID) else {
            throw SealingError(.malformed, "the sealed blob's key id \"\(keyID)\" is not 32 hex digits", remedy: remedy)
        }
        guard epoch >= 1, epoch <= Int64(Int32.max) else {
            throw SealingError(.malformed, "the sealed blob's epoch \(epoch) is out of range", remedy: remedy)
        }
        guard NodeID(sender) != nil else {
            throw SealingError(.malformed, "the sealed blob's sender \"\(sender)\" is not a node id", remedy: remedy)
        }
        guard let kind = Kind(rawValue: kind) else {
            throw SealingError(
                .malformed,
                "the sealed blob's kind \"\(kind)\" is neither changes nor snapshot",
                remedy: remedy
            )
        }
        guard nonce.count == nonceLength else {
            throw SealingError(
                nonce.count < nonceLength ? .truncated : .malformed,
                "the sealed blob's nonce is \(nonce.count) bytes, not \(nonceLength)",
                remedy: remedy
            )
        }
        guard ciphertext.count >= tagLength else {
            throw SealingError(
                .truncated,
                "the sealed blob's ciphertext is \(ciphertext.count) bytes, shorter than its \(tagLength)-byte tag",
                remedy: remedy
            )
        }
        return SealedBlob(
            school: school,
            keyID: keyID,
            epoch: Int(epoch),
            sender: sender,
            kind: kind,
            nonce: nonce,
            ciphertext: ciphertext
        )
    }

    private enum CodingKeys: String, CodingKey {
        case format, version, school, keyID, epoch, sender, kind, nonce, ciphertext
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let format = try container.decode(String.self, forKey: .format)
        let version = try container.decode(Int.self, forKey: .version)
        let remedy = "Fetch the blob again from the hub or the school's other node; it is not usable as it is."
        guard format == Self.format, version == Self.version else {
            throw SealingError(
                .malformed,
                "the sealed blob is of format \"\(format)\" version \(version), not \(Self.format) version 1",
                remedy: remedy
            )
        }
        func bytes(_ key: CodingKeys) throws -> [UInt8] {
            guard let bytes = StrictObject.canonicalBase64(try container.decode(String.self, forKey: key)) else {
                throw SealingError(.malformed, "the sealed blob's \(key.stringValue) is not base64", remedy: remedy)
            }
            return bytes
        }
        self = try Self.validated(
            school: try container.decode(String.self, forKey: .school),
            keyID: try container.decode(String.self, forKey: .keyID),
            epoch: try container.decode(Int64.self, forKey: .epoch),
            sender: try container.decode(String.self, forKey: .sender),
            kind: try container.decode(String.self, forKey: .kind),
            nonce: try bytes(.nonce),
            ciphertext: try bytes(.ciphertext),
            remedy: remedy
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.format, forKey: .format)
        try container.encode(Self.version, forKey: .version)
        try container.encode(school, forKey: .school)
        try container.encode(keyID, forKey: .keyID)
        try container.encode(epoch, forKey: .epoch)
        try container.encode(sender, forKey: .sender)
        try container.encode(kind, forKey: .kind)
        try container.encode(Data(nonce).base64EncodedString(), forKey: .nonce)
        try container.encode(Data(ciphertext).base64EncodedString(), forKey: .ciphertext)
    }
}
