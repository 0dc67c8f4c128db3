import Foundation
import SwiftASN1
import X509

/// A node's certificate and private key, as issued by the ``DistrictCA``, written to the node's folder as
/// `node.pem`, `node-key.pem` (mode 0600) and a copy of the CA certificate, `ca.pem`.
///
/// The same certificate serves as TLS client certificate (a node connecting to the hub) and as TLS server
/// certificate (the hub, or a node's local API), so it carries both `serverAuth` and `clientAuth`, and subject
/// alternative names for `localhost` and 127.0.0.1.
public struct NodeCertificate: Sendable {
    /// The certificate's file name in the node's folder.
    public static let certificateFileName = "node.pem"
    /// The private key's file name in the node's folder.
    public static let keyFileName = "node-key.pem"
    /// The default validity of a node certificate: one year.
    public static let defaultDays = 365

    /// How to issue a node certificate: validity and extra names.
    public struct Options: Sendable {
        /// Days of validity from now; ignored when both dates are given.
        public var days: Int
        /// DNS names the certificate is valid for, besides `localhost`.
        public var dnsNames: [String]
        /// IPv4 or IPv6 addresses the certificate is valid for, besides 127.0.0.1.
        public var ipAddresses: [String]
        /// The start of validity; default: an hour before now.
        public var notValidBefore: Date?
        /// The end of validity; default: `days` after now. A date in the past makes an expired certificate (tests).
        public var notValidAfter: Date?
        /// Leaves ``HubTLSName/name`` off a hub certificate, as before hubs carried it (tests only).
        var omitsHubName = false

        public init(
            days: Int = NodeCertificate.defaultDays,
            dnsNames: [String] = [],
            ipAddresses: [String] = [],
            notValidBefore: Date? = nil,
            notValidAfter: Date? = nil
        ) {
            self.days = days
            self.dnsNames = dnsNames
            self.ipAddresses = ipAddresses
            self.notValidBefore = notValidBefore
            self.notValidAfter = notValidAfter
        }
    }

    public let certificate: Certificate
    public let privateKey: Certificate.PrivateKey
    public let identity: CertificateIdentity

    /// The serial number in lower-case hex, as `issued.json` and `revoked.json` store it.
    public var serial: String { certificate.serialNumber.hexString }

    /// When the certificate expires.
    public var notValidAfter: Date { certificate.notValidAfter }

    /// The certificate's DER encoding.
    public var derBytes: [UInt8] {
        get throws {
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            return serializer.serializedBytes
        }
    }

    /// Loads `node.pem` and `node-key.pem` from a node's folder and reads the identity.
    public static func load(from directory: String) throws -> NodeCertificate {
        let remedy = "Give the folder made by `sst pki issue --out`."
        let certificate = try PKIFiles.readCertificate(
            PKIFiles.path(directory, certificateFileName),
            what: "the node certificate",
            remedy: remedy
        )
        let keyPath = PKIFiles.path(directory, keyFileName)
        let privateKey = try PKIFiles.readPrivateKey(keyPath, what: "the node key", remedy: remedy)
        guard privateKey.publicKey == certificate.publicKey else {
            throw PKIError(
                .keyMismatch,
                "the node key \(keyPath) does not belong to the node certificate in the same folder",
                remedy: "Issue the node a new certificate into an empty folder."
            )
        }
        return NodeCertificate(
            certificate: certificate,
            privateKey: privateKey,
            identity: try CertificateIdentity(certificate: certificate)
        )
    }

    /// Writes `node-key.pem` (created with mode 0600), `node.pem` and `ca.pem` into `directory`, creating it.
    /// Refuses, writing nothing, when a node certificate or key is already there or a different `ca.pem` is.
    public func write(to directory: String, caCertificate: Certificate) throws {
        try Self.checkFree(directory, caCertificate: caCertificate)
        try PKIFiles.createDirectory(directory)
        let caPath = PKIFiles.path(directory, DistrictCA.certificateFileName)
        try PKIFiles.writeNew(
            try privateKey.serializeAsPEM().pemString + "\n",
            to: PKIFiles.path(directory, Self.keyFileName),
            mode: 0o600
        )
        try PKIFiles.writeNew(
            try certificate.serializeAsPEM().pemString + "\n",
            to: PKIFiles.path(directory, Self.certificateFileName),
            mode: 0o644
        )
        if !PKIFiles.exists(caPath) {
            try PKIFiles.writeNew(try caCertificate.serializeAsPEM().pemString + "\n", to: caPath, mode: 0o644)
        }
    }

    /// Throws unless `directory` can take a new node certificate: no `node.pem`, no `node-key.pem`, and either no
    /// `ca.pem` or one holding `caCertificate`.
    static func checkFree(_ directory: String, caCertificate: Certificate) throws {
        for name in [keyFileName, certificateFileName] where PKIFiles.exists(PKIFiles.path(directory, name)) {
            throw PKIError(
                .alreadyExists,
                "\(PKIFiles.path(directory, name)) already exists: \(directory) already holds a node certificate, "
                    + "and keys are never overwritten",
                remedy: "Choose another --out folder, or move the old node.pem and node-key.pem away first."
            )
        }
        let caPath = PKIFiles.path(directory, DistrictCA.certificateFileName)
        if PKIFiles.exists(caPath) {
            let existing = try PKIFiles.readCertificate(caPath, what: "the CA copy", remedy: "Remove it.")
            guard existing == caCertificate else {
                throw PKIError(
                    .alreadyExists,
                    "\(caPath) holds another CA's certificate",
                    remedy: "Choose another --out folder, or remove the old ca.pem if that CA is retired."
                )
            }
        }
    }
}
