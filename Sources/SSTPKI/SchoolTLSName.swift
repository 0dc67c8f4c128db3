import Crypto
import Foundation
import X509

/// The DNS name by which the nodes of one school know each other at the TLS level:
/// `<first 32 hex digits of SHA-256 of the school name>.school.sst-sync.invalid`.
///
/// Every school certificate carries its school's name as a subject alternative name (`sst pki issue --role school`
/// adds it) and no other certificate may (`sst pki issue` refuses `--dns` names in ``HubTLSName/reservedDomain`` for
/// every role). A node syncing directly with another node of its school (`sst sync --peer`) connects to the host of
/// the peer URL but asks TLS for this name, as it asks for ``HubTLSName/name`` to reach its hub: a certificate of
/// another school, or the hub's, fails the TLS handshake and is sent nothing. The school name is hashed (in Unicode
/// normalization form C, as UTF-8) because a DNS label holds neither spaces nor å, ä, ö.
public enum SchoolTLSName {
    /// The domain under which school names fall.
    public static let domain = "school." + HubTLSName.reservedDomain

    /// The name of `school`'s nodes.
    public static func name(forSchool school: String) -> String {
        let digest = SHA256.hash(data: Data(school.precomposedStringWithCanonicalMapping.utf8))
        let hex = digest.map { byte in
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
        return "\(hex.prefix(32)).\(domain)"
    }

    /// Whether `certificate` carries the name of `school`'s nodes among its subject alternative names.
    public static func isCarried(by certificate: Certificate, school: String) -> Bool {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return false }
        let expected = name(forSchool: school)
        return names.contains { name in
            guard case .dnsName(let dns) = name else { return false }
            return dns.lowercased() == expected
        }
    }
}
