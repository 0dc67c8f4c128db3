import Foundation
import SSTCore
import SwiftASN1
import X509

/// Who a node certificate says its holder is: node id, role, school and stadsdel.
///
/// The identity lives in the certificate's subject, readable with `openssl x509 -text`: commonName = node id,
/// organizationalUnitName = role (`school` or `hub`), organizationName = school, localityName = stadsdel. The hub
/// takes a node's identity from its verified TLS certificate, never from a request.
public struct CertificateIdentity: Hashable, Sendable {
    /// The roles a node certificate may name.
    public static let roles = ["school", "hub"]

    public let node: NodeID
    /// `school` or `hub`.
    public let role: String
    /// The school a school node serves; required for the `school` role.
    public let school: String?
    /// The stadsdel (city district) of the school or hub.
    public let stadsdel: String?

    /// An identity to issue a certificate for. Throws when the role is not `school` or `hub`, when a school node
    /// names no school, or when a name is empty.
    public init(node: NodeID, role: String, school: String? = nil, stadsdel: String? = nil) throws {
        guard Self.roles.contains(role) else {
            throw PKIError(
                .invalidIdentity,
                "\"\(role)\" is not a node role",
                remedy: "Use school or hub."
            )
        }
        if role == "school" && school == nil {
            throw PKIError(
                .invalidIdentity,
                "a school node's certificate must name its school",
                remedy: "Give --school NAME."
            )
        }
        for (label, name) in [("school", school), ("stadsdel", stadsdel)] {
            if let name, name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw PKIError(.invalidIdentity, "the \(label) name is empty", remedy: "Give a name, or leave it out.")
            }
        }
        self.node = node
        self.role = role
        self.school = school
        self.stadsdel = stadsdel
    }

    /// Reads the identity from a node certificate's subject. Throws ``PKIError`` (`invalidIdentity`) naming the
    /// missing or malformed field when the certificate is not a node certificate of this PKI.
    public init(certificate: Certificate) throws {
        let subject = certificate.subject
        let nodeText = try Self.single(.RDNAttributeType.commonName, "commonName (CN, the node id)", in: subject)
        guard let nodeText else {
            throw PKIError(
                .invalidIdentity,
                "the certificate \"\(subject)\" has no commonName (CN) with a node id",
                remedy: "Use a node certificate made by `sst pki issue`."
            )
        }
        guard let node = NodeID(nodeText) else {
            throw PKIError(
                .invalidIdentity,
                "the certificate's commonName \"\(nodeText)\" is not a node id (1–64 of A–Z a–z 0–9 . _ -)",
                remedy: "Use a node certificate made by `sst pki issue`."
            )
        }
        let role = try Self.single(
            .RDNAttributeType.organizationalUnitName,
            "organizationalUnitName (OU, the role)",
            in: subject
        )
        guard let role else {
            throw PKIError(
                .invalidIdentity,
                "the certificate of node \(node) names no role (organizationalUnitName, OU = school or hub)",
                remedy: "Issue the node a new certificate with `sst pki issue --role school|hub`."
            )
        }
        try self.init(
            node: node,
            role: role,
            school: try Self.single(
                .RDNAttributeType.organizationName,
                "organizationName (O, the school)",
                in: subject
            ),
            stadsdel: try Self.single(.RDNAttributeType.localityName, "localityName (L, the stadsdel)", in: subject)
        )
    }

    /// Reads the identity from a DER-encoded certificate, such as the verified TLS peer certificate.
    public init(derBytes: [UInt8]) throws {
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: derBytes)
        } catch {
            throw PKIError(.invalidCertificate, "the DER bytes are not an X.509 certificate (\(error))")
        }
        try self.init(certificate: certificate)
    }

    /// The certificate subject that encodes this identity.
    var distinguishedName: DistinguishedName {
        get throws {
            try DistinguishedName {
                CommonName(node.rawValue)
                OrganizationalUnitName(role)
                if let school { OrganizationName(school) }
                if let stadsdel { LocalityName(stadsdel) }
            }
        }
    }

    /// The one value of `type` in `name`; `nil` when absent, an error when repeated or not a string.
    private static func single(
        _ type: ASN1ObjectIdentifier,
        _ label: String,
        in name: DistinguishedName
    ) throws -> String? {
        let values = name.flatMap { $0 }.filter { $0.type == type }.map(\.value)
        guard values.count <= 1 else {
            throw PKIError(.invalidIdentity, "the certificate subject has more than one \(label)")
        }
        guard let value = values.first else { return nil }
        guard let text = String(value) else {
            throw PKIError(.invalidIdentity, "the certificate subject's \(label) is not a text string")
        }
        return text
    }
}
