import Foundation
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

/// Checks that a certificate is a node certificate of the district: signed by the district CA, valid at a given
/// time, carrying a node identity and, given a revocation list, not revoked.
///
/// The hub's TLS layer already verifies the chain; this is the same check with precise reasons, for tests and
/// for the hub's extra checks on the peer certificate.
public struct CertificateVerifier: Sendable {
    /// The district CA certificate, the only trust root.
    public let caCertificate: Certificate

    public init(caCertificate: Certificate) {
        self.caCertificate = caCertificate
    }

    /// A verifier trusting the CA certificate in a PEM file (`ca.pem`).
    public init(caFile: String) throws {
        self.caCertificate = try PKIFiles.readCertificate(
            caFile,
            what: "the CA certificate",
            remedy: "Give the ca.pem made by `sst pki init`."
        )
    }

    /// Verifies `certificate` at `time` and returns the identity it carries; throws the first reason to refuse it.
    ///
    /// Checks in order: signed by the CA, a node certificate (not a CA, `clientAuth` and `serverAuth`, an
    /// identity), the validity period of the certificate and the CA, the revocation list, and finally
    /// swift-certificates' RFC 5280 chain validation.
    public func verify(
        _ certificate: Certificate,
        at time: Date = Date(),
        revocations: RevocationList? = nil
    ) async throws(CertificateRejection) -> CertificateIdentity {
        let name = "the certificate \"\(certificate.subject)\""
        guard certificate.issuer == caCertificate.subject,
            caCertificate.publicKey.isValidSignature(certificate.signature, for: certificate)
        else {
            throw CertificateRejection(
                .signedByAnotherCA,
                "\(name) is not signed by the district CA \"\(caCertificate.subject)\" (its issuer is "
                    + "\"\(certificate.issuer)\")"
            )
        }
        let identity = try nodeIdentity(certificate, name: name)
        try checkValidity(of: certificate, name: name, at: time)
        try checkValidity(of: caCertificate, name: "the district CA certificate", at: time)
        if let revocations, revocations.isRevoked(serial: certificate.serialNumber) {
            throw CertificateRejection(
                .revoked,
                "the certificate of node \(identity.node) (serial \(certificate.serialNumber.hexString)) is revoked"
            )
        }
        var verifier = Verifier(rootCertificates: CertificateStore([caCertificate])) {
            RFC5280Policy(fixedExpiryValidationTime: time)
        }
        let result = await verifier.validate(leaf: certificate, intermediates: CertificateStore())
        guard case .validCertificate = result else {
            var detail = "no valid chain to the district CA"
            if case .couldNotValidate(let failures) = result, !failures.isEmpty {
                detail = failures.map { String(describing: $0.policyFailureReason) }.joined(separator: "; ")
            }
            throw CertificateRejection(.invalidChain, "\(name) failed chain validation: \(detail)")
        }
        return identity
    }

    /// Verifies a DER-encoded certificate, such as the TLS peer certificate, at `time`.
    public func verify(
        derBytes: [UInt8],
        at time: Date = Date(),
        revocations: RevocationList? = nil
    ) async throws(CertificateRejection) -> CertificateIdentity {
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: derBytes)
        } catch {
            throw CertificateRejection(.notANodeCertificate, "the peer certificate is not an X.509 certificate")
        }
        return try await verify(certificate, at: time, revocations: revocations)
    }

    private func nodeIdentity(
        _ certificate: Certificate,
        name: String
    ) throws(CertificateRejection)
        -> CertificateIdentity
    {
        do {
            if case .isCertificateAuthority = try certificate.extensions.basicConstraints {
                throw CertificateRejection(.notANodeCertificate, "\(name) is a CA certificate, not a node certificate")
            }
            let usages = try certificate.extensions.extendedKeyUsage
            guard let usages, usages.contains(.clientAuth), usages.contains(.serverAuth) else {
                throw CertificateRejection(
                    .notANodeCertificate,
                    "\(name) is not a node certificate: it lacks the extended key usages clientAuth and serverAuth"
                )
            }
            return try CertificateIdentity(certificate: certificate)
        } catch let rejection as CertificateRejection {
            throw rejection
        } catch {
            throw CertificateRejection(.notANodeCertificate, "\(name) is not a node certificate: \(error)")
        }
    }

    private func checkValidity(of certificate: Certificate, name: String, at time: Date) throws(CertificateRejection) {
        if time < certificate.notValidBefore {
            throw CertificateRejection(
                .notYetValid,
                "\(name) is not valid yet: its validity starts \(Self.text(certificate.notValidBefore)), "
                    + "the time is \(Self.text(time)) (check this machine's clock)"
            )
        }
        if time > certificate.notValidAfter {
            throw CertificateRejection(
                .expired,
                "\(name) expired \(Self.text(certificate.notValidAfter)), the time is \(Self.text(time))"
            )
        }
    }

    /// An ISO 8601 time in UTC.
    static func text(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
