import Crypto
import Foundation
import SSTCore
import SSTPKI
import SwiftASN1
import X509

/// The school key wrapped for one node's certificate (HPKE, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256,
/// AES-256-GCM, base mode), so that only the holder of that certificate's private key opens it: the join file
/// that brings a new node of the school its key, by hand or through the hub's relay.
///
/// JSON: `{"format": "sst-key-envelope", "version": 1, "school", "keyID", "epoch", "createdAtMilliseconds",
/// "recipient": NODE, "recipientKey": HEX (SHA-256 of the recipient's public key, X9.63), "encapsulatedKey": B64,
/// "ciphertext": B64}`. The HPKE info is `sst-key-envelope v1`; the associated data is the canonical JSON of every
/// member but `encapsulatedKey` and `ciphertext`, so relabelling any of them makes the envelope fail to open.
public struct KeyEnvelope: Codable, Hashable, Sendable {
    public static let format = "sst-key-envelope"
    static let info = Data("sst-key-envelope v1".utf8)
    static let ciphersuite = HPKE.Ciphersuite.P256_SHA256_AES_GCM_256

    public let school: String
    public let keyID: String
    public let epoch: Int
    /// The node id of the node the key is wrapped for.
    public let recipient: String
    let createdAtMilliseconds: UInt64
    /// SHA-256 of the recipient's public key (X9.63), lower-case hex: tells a node whether the envelope is its own.
    let recipientKey: String
    let encapsulatedKey: [UInt8]
    let ciphertext: [UInt8]

    init(
        school: String,
        keyID: String,
        epoch: Int,
        recipient: String,
        createdAtMilliseconds: UInt64,
        recipientKey: String,
        encapsulatedKey: [UInt8],
        ciphertext: [UInt8]
    ) {
        self.school = school
        self.keyID = keyID
        self.epoch = epoch
        self.recipient = recipient
        self.createdAtMilliseconds = createdAtMilliseconds
        self.recipientKey = recipientKey
        self.encapsulatedKey = encapsulatedKey
        self.ciphertext = ciphertext
    }

    /// Wraps `key` for the node whose DER certificate is `der`. The recipient and its school are read from the
    /// certificate; refuses a hub's certificate and a certificate of another school. Verifying that the
    /// certificate chains to the district CA is the caller's task (``CertificateVerifier``).
    public static func wrap(_ key: SchoolKey, forCertificate der: [UInt8]) throws -> KeyEnvelope {
        let certificate = try Certificate(derEncoded: der)
        let identity = try CertificateIdentity(certificate: certificate)
        guard identity.role == "school", let school = identity.school else {
            throw SealingError(
                .otherSchool,
                "the certificate of node \(identity.node) is a \(identity.role)'s, not a school node's: the hub "
                    + "must never hold a school's key",
                remedy: "Give the certificate (node.pem) of the new node of \(key.school)."
            )
        }
        guard school == key.school else {
            throw SealingError(
                .otherSchool,
                "the certificate of node \(identity.node) is of the school \"\(school)\", the key of \"\(key.school)\"",
                remedy: "Give the certificate of a node of \(key.school); a key is never shared between schools."
            )
        }
        guard let signing = P256.Signing.PublicKey(certificate.publicKey) else {
            throw SealingError(
                .malformed,
                "the certificate of node \(identity.node) does not hold a P-256 key",
                remedy: "Use a node certificate made by `sst pki issue`."
            )
        }
        let publicKey = try P256.KeyAgreement.PublicKey(x963Representation: signing.x963Representation)
        let unsealed = KeyEnvelope(
            school: key.school,
            keyID: key.id,
            epoch: key.epoch,
            recipient: identity.node.rawValue,
            createdAtMilliseconds: key.createdAtMilliseconds,
            recipientKey: fingerprint(publicKey),
            encapsulatedKey: [],
            ciphertext: []
        )
        var sender = try HPKE.Sender(recipientKey: publicKey, ciphersuite: ciphersuite, info: info)
        let ciphertext = try sender.seal(key.material, authenticating: unsealed.associatedData)
        return KeyEnvelope(
            school: unsealed.school,
            keyID: unsealed.keyID,
            epoch: unsealed.epoch,
            recipient: unsealed.recipient,
            createdAtMilliseconds: unsealed.createdAtMilliseconds,
            recipientKey: unsealed.recipientKey,
            encapsulatedKey: Array(sender.encapsulatedKey),
            ciphertext: Array(ciphertext)
        )
    }

    /// Opens the envelope with the recipient's private key (PEM, PKCS#8 or SEC1): `notForThisNode` when the key
    /// is not the recipient's, `tampered` when the envelope does not authenticate.
    public func open(privateKeyPEM: String) throws(SealingError) -> SchoolKey {
        let privateKey: P256.KeyAgreement.PrivateKey
        do {
            privateKey = try P256.KeyAgreement.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw SealingError(
                .malformed,
                "the node key is not a P-256 private key in PEM",
                remedy: "Give the node's node-key.pem (made by `sst pki issue`)."
            )
        }
        guard Self.fingerprint(privateKey.publicKey) == recipientKey else {
            throw SealingError(
                .notForThisNode,
                "the join file is wrapped for node \(recipient)'s certificate, not for this node key",
                remedy: "Make a join file for this node's own certificate: `sst school-key wrap --for node.pem` on a "
                    + "node of \(school) that has the key."
            )
        }
        let material: Data
        do {
            var recipient = try HPKE.Recipient(
                privateKey: privateKey,
                ciphersuite: Self.ciphersuite,
                info: Self.info,
                encapsulatedKey: Data(encapsulatedKey)
            )
            material = try recipient.open(ciphertext, authenticating: associatedData)
        } catch {
            throw SealingError(
                .tampered,
                "the join file for node \(recipient) does not authenticate: it was altered or relabelled",
                remedy: "Nothing was installed. Make a new join file with `sst school-key wrap`."
            )
        }
        return try SchoolKey.validated(
            school: school,
            id: keyID,
            epoch: epoch,
            createdAtMilliseconds: createdAtMilliseconds,
            material: Array(material),
            what: "the join file"
        )
    }

    /// The canonical JSON bytes of the envelope (the join file).
    public func encoded() throws -> Data {
        var members = header
        members["encapsulatedKey"] = .base64(encapsulatedKey)
        members["ciphertext"] = .base64(ciphertext)
        return Data((CanonicalJSON.object(members).rendered() + "\n").utf8)
    }

    /// Reads an envelope strictly: format and version, no unknown or repeated member, valid labels.
    public static func decode(_ data: Data) throws(SealingError) -> KeyEnvelope {
        let object = try StrictObject(
            data,
            what: "the join file",
            format: format,
            names: [
                "school", "keyID", "epoch", "createdAtMilliseconds", "recipient", "recipientKey", "encapsulatedKey",
                "ciphertext",
            ],
            remedy: "Make a new join file with `sst school-key wrap` and copy it whole."
        )
        let school = try object.string("school")
        let keyID = try object.string("keyID")
        let epoch = try object.integer("epoch")
        let created = try object.integer("createdAtMilliseconds")
        let recipient = try object.string("recipient")
        let recipientKey = try object.string("recipientKey")
        let encapsulatedKey = try object.base64("encapsulatedKey")
        let ciphertext = try object.base64("ciphertext")
        func refuse(_ message: String, _ code: SealingError.Code = .malformed) -> SealingError {
            SealingError(code, "the join file \(message)", remedy: object.remedy)
        }
        guard !school.isEmpty else { throw refuse("names no school") }
        guard Hex.isKeyID(keyID) else { throw refuse("has a key id that is not 32 hex digits") }
        guard (1...Int64(Int32.max)).contains(epoch) else { throw refuse("has an epoch out of range") }
        guard created >= 0 else { throw refuse("has a negative creation time") }
        guard NodeID(recipient) != nil else { throw refuse("names a recipient \"\(recipient)\" that is no node id") }
        guard recipientKey.utf8.count == 64, Hex.decode(recipientKey) != nil else {
            throw refuse("has a recipientKey that is not 64 hex digits")
        }
        guard encapsulatedKey.count == 65 else {
            throw refuse("has an encapsulated key of \(encapsulatedKey.count) bytes, not 65", .truncated)
        }
        guard ciphertext.count == SchoolKey.materialLength + 16 else {
            throw refuse("has a ciphertext of \(ciphertext.count) bytes, not 48", .truncated)
        }
        return KeyEnvelope(
            school: school,
            keyID: keyID,
            epoch: Int(epoch),
            recipient: recipient,
            createdAtMilliseconds: UInt64(created),
            recipientKey: recipientKey,
            encapsulatedKey: encapsulatedKey,
            ciphertext: ciphertext
        )
    }

    private var header: [String: CanonicalJSON] {
        [
            "format": .string(Self.format), "version": .integer(1), "school": .string(school),
            "keyID": .string(keyID), "epoch": .integer(Int64(epoch)),
            "createdAtMilliseconds": .integer(Int64(clamping: createdAtMilliseconds)),
            "recipient": .string(recipient), "recipientKey": .string(recipientKey),
        ]
    }

    private var associatedData: Data { CanonicalJSON.object(header).canonicalData }

    private static func fingerprint(_ key: P256.KeyAgreement.PublicKey) -> String {
        Hex.encode(SHA256.hash(data: key.x963Representation))
    }

    private enum CodingKeys: String, CodingKey {
        case format, version, school, keyID, epoch, createdAtMilliseconds, recipient, recipientKey, encapsulatedKey
        case ciphertext
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var members: [String: CanonicalJSON] = [:]
        for key in [CodingKeys.format, .school, .keyID, .recipient, .recipientKey, .encapsulatedKey, .ciphertext] {
            members[key.stringValue] = .string(try container.decode(String.self, forKey: key))
        }
        for key in [CodingKeys.version, .epoch, .createdAtMilliseconds] {
            members[key.stringValue] = .integer(try container.decode(Int64.self, forKey: key))
        }
        self = try Self.decode(CanonicalJSON.object(members).canonicalData)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.format, forKey: .format)
        try container.encode(1, forKey: .version)
        try container.encode(school, forKey: .school)
        try container.encode(keyID, forKey: .keyID)
        try container.encode(epoch, forKey: .epoch)
        try container.encode(createdAtMilliseconds, forKey: .createdAtMilliseconds)
        try container.encode(recipient, forKey: .recipient)
        try container.encode(recipientKey, forKey: .recipientKey)
        try container.encode(Data(encapsulatedKey).base64EncodedString(), forKey: .encapsulatedKey)
        try container.encode(Data(ciphertext).base64EncodedString(), forKey: .ciphertext)
    }
}
