import Foundation
import SSTCore
import X509

/// What `sst pki show` prints about a certificate: the node identity, serial number and validity.
public struct CertificateSummary: Sendable {
    public let certificate: Certificate
    /// The node identity, or `nil` for a certificate without one (a CA certificate, say).
    public let identity: CertificateIdentity?
    /// Why ``identity`` is `nil`.
    public let identityProblem: String?

    public init(certificate: Certificate) {
        self.certificate = certificate
        do {
            identity = try CertificateIdentity(certificate: certificate)
            identityProblem = nil
        } catch {
            identity = nil
            identityProblem = String(describing: error)
        }
    }

    /// Reads a PEM certificate file.
    public init(contentsOf path: String) throws {
        self.init(
            certificate: try PKIFiles.readCertificate(
                path,
                remedy: "Give a node.pem or ca.pem made by `sst pki issue` or `sst pki init`."
            )
        )
    }

    /// Whether the certificate is a certificate authority.
    public var isCertificateAuthority: Bool {
        guard case .isCertificateAuthority = try? certificate.extensions.basicConstraints else { return false }
        return true
    }

    /// Whether the certificate carries ``HubTLSName/name``, without which no node accepts it as its hub.
    public var carriesHubName: Bool { HubTLSName.isCarried(by: certificate) }

    /// `valid`, `expired` or `not yet valid` at `time`.
    public func status(at time: Date) -> String {
        if time < certificate.notValidBefore { return "not yet valid" }
        if time > certificate.notValidAfter { return "expired" }
        return "valid"
    }

    /// Labelled lines for a terminal.
    public func lines(at time: Date = Date()) -> [String] {
        var lines: [String] = []
        if let identity {
            lines.append("Node        \(identity.node) (\(identity.role))")
            if let school = identity.school { lines.append("School      \(school)") }
            if let stadsdel = identity.stadsdel { lines.append("Stadsdel    \(stadsdel)") }
            if identity.role == "hub" {
                lines.append(
                    carriesHubName
                        ? "Hub name    \(HubTLSName.name) (nodes accept it as their hub)"
                        : "Hub name    missing: nodes refuse this hub; reissue it with `sst pki issue --role hub`"
                )
            }
        } else if isCertificateAuthority {
            lines.append("CA          \(certificate.subject)")
        } else {
            lines.append("Subject     \(certificate.subject) — not a node certificate: \(identityProblem ?? "")")
        }
        lines.append("Serial      \(certificate.serialNumber.hexString)")
        lines.append("Issuer      \(certificate.issuer)")
        lines.append("Valid from  \(CertificateVerifier.text(certificate.notValidBefore))")
        lines.append("Valid until \(CertificateVerifier.text(certificate.notValidAfter)) (\(status(at: time)))")
        return lines
    }

    /// The same as JSON.
    public func json(at time: Date = Date()) -> CanonicalJSON {
        .object([
            "node": identity.map { .string($0.node.rawValue) } ?? .null,
            "role": identity.map { .string($0.role) } ?? .null,
            "school": identity?.school.map(CanonicalJSON.string) ?? .null,
            "stadsdel": identity?.stadsdel.map(CanonicalJSON.string) ?? .null,
            "ca": .bool(isCertificateAuthority),
            "hubName": .bool(carriesHubName),
            "subject": .string(String(describing: certificate.subject)),
            "issuer": .string(String(describing: certificate.issuer)),
            "serial": .string(certificate.serialNumber.hexString),
            "notValidBefore": .string(CertificateVerifier.text(certificate.notValidBefore)),
            "notValidAfter": .string(CertificateVerifier.text(certificate.notValidAfter)),
            "status": .string(status(at: time)),
        ])
    }
}
