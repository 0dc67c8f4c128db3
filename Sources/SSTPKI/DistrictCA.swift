import Crypto
import Foundation
import SwiftASN1
import X509

/// The district's certificate authority: a self-signed ECDSA P-256 certificate and its private key, kept in a
/// CA folder as `ca.pem` and `ca-key.pem` (mode 0600), next to `issued.json` and `revoked.json`.
///
/// Every node certificate of the district is signed by this CA, and the hub and the nodes trust only it.
public struct DistrictCA: Sendable {
    /// The CA certificate's file name in the CA folder (and, as a copy, in each node's folder).
    public static let certificateFileName = "ca.pem"
    /// The CA private key's file name in the CA folder.
    public static let keyFileName = "ca-key.pem"
    /// The default validity of a new CA: ten years.
    public static let defaultDays = 3650
    /// The default subject common name of a new CA.
    public static let defaultName = "SST Sync district CA"
    /// How far back a new certificate's validity starts, so that a machine whose clock is a little behind accepts it.
    static let backdating: TimeInterval = 3600

    /// The CA certificate.
    public let certificate: Certificate
    /// The CA's signing key.
    let privateKey: Certificate.PrivateKey
    /// The CA folder it was written to or loaded from; `nil` for a CA only in memory.
    public let directory: String?

    /// When the CA certificate expires; every node certificate must expire before.
    public var notValidAfter: Date { certificate.notValidAfter }

    /// Makes a new CA in memory: a fresh P-256 key and a self-signed CA certificate valid for `days` from `now`.
    public static func make(
        name: String = defaultName,
        days: Int = defaultDays,
        now: Date = Date()
    ) throws -> DistrictCA {
        guard days >= 1 else {
            throw PKIError(
                .invalidCertificate,
                "a CA must be valid for at least one day",
                remedy: "Give --days 1 or more."
            )
        }
        let key = P256.Signing.PrivateKey()
        let privateKey = Certificate.PrivateKey(key)
        let subject = try DistinguishedName {
            CommonName(name)
            OrganizationalUnitName("SST Sync PKI")
        }
        let keyIdentifier = subjectKeyIdentifier(of: key.publicKey)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(keyIdentifier: keyIdentifier)
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: privateKey.publicKey,
            notValidBefore: now - backdating,
            notValidAfter: now + TimeInterval(days) * 86_400,
            issuer: subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: privateKey
        )
        return DistrictCA(certificate: certificate, privateKey: privateKey, directory: nil)
    }

    /// Makes a new CA and writes `ca.pem` and `ca-key.pem` (mode 0600) into `directory`, creating the folder, and
    /// an empty `revoked.json` when there is none. Refuses, writing nothing, when `ca.pem` or `ca-key.pem` exists.
    @discardableResult
    public static func create(
        in directory: String,
        name: String = defaultName,
        days: Int = defaultDays,
        now: Date = Date()
    ) throws -> DistrictCA {
        let ca = try make(name: name, days: days, now: now)
        try ca.write(to: directory)
        // The hub refuses to start without its deny list: an empty one from the start.
        try RevocationList.writeEmpty(inCA: directory)
        return DistrictCA(certificate: ca.certificate, privateKey: ca.privateKey, directory: directory)
    }

    /// Loads the CA from its folder and checks that the key belongs to the certificate.
    public static func load(from directory: String) throws -> DistrictCA {
        let remedy = "Give --ca the folder made by `sst pki init`."
        let certificate = try PKIFiles.readCertificate(
            PKIFiles.path(directory, certificateFileName),
            what: "the CA certificate",
            remedy: remedy
        )
        let keyPath = PKIFiles.path(directory, keyFileName)
        let privateKey = try PKIFiles.readPrivateKey(keyPath, what: "the CA key", remedy: remedy)
        guard privateKey.publicKey == certificate.publicKey else {
            throw PKIError(
                .keyMismatch,
                "the CA key \(keyPath) does not belong to the CA certificate in the same folder",
                remedy: "Restore the matching ca.pem and ca-key.pem from your backup."
            )
        }
        guard case .isCertificateAuthority = try certificate.extensions.basicConstraints else {
            throw PKIError(
                .invalidCertificate,
                "\(PKIFiles.path(directory, certificateFileName)) is not a CA certificate",
                remedy: remedy
            )
        }
        return DistrictCA(certificate: certificate, privateKey: privateKey, directory: directory)
    }

    /// Writes `ca.pem` and `ca-key.pem` (created with mode 0600) into `directory`, creating the folder. Refuses,
    /// writing nothing, when either file exists.
    public func write(to directory: String) throws {
        let certificatePath = PKIFiles.path(directory, Self.certificateFileName)
        let keyPath = PKIFiles.path(directory, Self.keyFileName)
        for path in [certificatePath, keyPath] where PKIFiles.exists(path) {
            throw PKIError(
                .alreadyExists,
                "\(path) already exists: there is a CA in \(directory) and its key is never overwritten",
                remedy: "Use that CA (`sst pki issue --ca \(directory)`), or choose another --out folder."
            )
        }
        try PKIFiles.createDirectory(directory)
        try PKIFiles.writeNew(try privateKey.serializeAsPEM().pemString + "\n", to: keyPath, mode: 0o600)
        try PKIFiles.writeNew(try certificate.serializeAsPEM().pemString + "\n", to: certificatePath, mode: 0o644)
    }

    /// The key identifier of a public key: the SHA-1 of its bits (RFC 5280 §4.2.1.2, method 1).
    static func subjectKeyIdentifier(of key: P256.Signing.PublicKey) -> ArraySlice<UInt8> {
        ArraySlice(Insecure.SHA1.hash(data: key.x963Representation))
    }
}
