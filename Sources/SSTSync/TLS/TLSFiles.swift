import NIOSSL
import SSTPKI
import SSTStore

/// The PEM files a node or hub uses for mutual TLS: its certificate (chain), its private key and the district
/// CA certificate it trusts, and nothing else.
public struct TLSFiles: Hashable, Sendable, Codable {
    /// The node's certificate, optionally followed by intermediates (PEM).
    public var certificate: String
    /// The node's private key (PEM).
    public var key: String
    /// The district CA certificate (PEM): the only trust root.
    public var ca: String

    public init(certificate: String, key: String, ca: String) {
        self.certificate = certificate
        self.key = key
        self.ca = ca
    }

    /// The TLS 1.2 cipher suites a node or hub speaks: ECDHE key exchange (forward secrecy) with an AEAD cipher,
    /// as Mozilla's "intermediate" profile; no CBC, no static RSA. TLS 1.3's suites (all AEAD) cannot be narrowed
    /// and are all allowed.
    public static let cipherSuites: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    /// A server configuration: TLS 1.2 at least (1.3 preferred, as the highest both speak is chosen) with
    /// ``cipherSuites`` only, this node's certificate, and client certificates verified against the district CA
    /// when presented.
    ///
    /// A client certificate is optional at the TLS level so that `/health` and `/metrics` stay open; every
    /// `/v2` route refuses a request without one (``ClientCertificateMiddleware``). A certificate from another
    /// CA, or an expired one, fails the TLS handshake.
    public func serverConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try chain().map { .certificate($0) },
            privateKey: .privateKey(try privateKey())
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        configuration.cipherSuiteValues = Self.cipherSuites
        configuration.trustRoots = .certificates(try trustRoots())
        configuration.certificateVerification = .optionalVerification
        configuration.sendCANameList = true
        return configuration
    }

    /// A client configuration: this node's certificate, TLS 1.2 at least with ``cipherSuites`` only, only the
    /// district CA trusted, and the server's certificate checked for the name the client asks for.
    ///
    /// ``HTTPSyncTransport`` asks for ``HubTLSName/name``, which only hub certificates carry, whatever the host of
    /// the hub URL, and forces that check on. `verifyHostname: false` checks the chain alone, for a client that
    /// must reach a node by an address its certificate does not name (nothing in SST Sync needs it).
    public func clientConfiguration(verifyHostname: Bool = true) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateChain = try chain().map { .certificate($0) }
        configuration.privateKey = .privateKey(try privateKey())
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        configuration.cipherSuiteValues = Self.cipherSuites
        configuration.trustRoots = .certificates(try trustRoots())
        configuration.certificateVerification = verifyHostname ? .fullVerification : .noHostnameVerification
        return configuration
    }

    /// The DER bytes of this node's own certificate (the first of the chain).
    public func certificateDER() throws -> [UInt8] {
        guard let first = try chain().first else {
            throw SyncSetupError("\(certificate) holds no certificate", remedy: "Give the node's certificate.pem.")
        }
        return try first.toDERBytes()
    }

    private func chain() throws -> [NIOSSLCertificate] {
        let certificates = try load(certificate, what: "certificate") { try NIOSSLCertificate.fromPEMFile($0) }
        guard !certificates.isEmpty else {
            throw SyncSetupError("\(certificate) holds no certificate", remedy: "Give the node's certificate (PEM).")
        }
        return certificates
    }

    private func privateKey() throws -> NIOSSLPrivateKey {
        try load(key, what: "private key") { try NIOSSLPrivateKey(file: $0, format: .pem) }
    }

    private func trustRoots() throws -> [NIOSSLCertificate] {
        let roots = try load(ca, what: "CA certificate") { try NIOSSLCertificate.fromPEMFile($0) }
        guard !roots.isEmpty else {
            throw SyncSetupError("\(ca) holds no certificate", remedy: "Give the district CA's certificate (PEM).")
        }
        return roots
    }

    private func load<T>(_ path: String, what: String, _ body: (String) throws -> T) throws -> T {
        do {
            return try body(path)
        } catch {
            throw SyncSetupError(
                "cannot read the \(what) \(path): \(error)",
                remedy: "Check the path and that the file is PEM, as `sst pki issue` writes it."
            )
        }
    }
}

extension TLSFiles {
    /// Refuses a certificate that names another node or role than `identity`, before anything connects: a hub or
    /// node presents its own identity (after `sst node rejoin`, the certificate of the new id).
    public func checkCertificate(names identity: NodeIdentity) throws {
        let named = try CertificateIdentity(derBytes: certificateDER())
        guard named.node == identity.node, named.role == identity.role.rawValue else {
            throw SyncSetupError(
                "the certificate \(certificate) is \(named.node)'s (\(named.role)), but this data directory is "
                    + "\(identity.node)'s (\(identity.role.rawValue))",
                remedy: "Give the certificate issued for \(identity.node) (`sst pki issue --node-id \(identity.node)`)."
            )
        }
    }
}
