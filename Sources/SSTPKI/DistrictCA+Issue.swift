import Crypto
import Foundation
import SwiftASN1
import X509

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension DistrictCA {
    /// Issues a node certificate in memory: a fresh P-256 key, the identity in the subject, a random serial,
    /// subject alternative names `localhost`, 127.0.0.1 and the extra names, `serverAuth` and `clientAuth`. A hub's
    /// certificate also carries ``HubTLSName/name``, the name nodes check their hub's certificate for, and a school's
    /// ``SchoolTLSName/name(forSchool:)``, the name the nodes of its school check each other's certificates for; an
    /// extra DNS name in ``HubTLSName/reservedDomain`` is refused. (`omitsHubName` leaves either name off, as
    /// certificates were issued before they carried it: tests only.)
    public func issue(
        for identity: CertificateIdentity,
        options: NodeCertificate.Options = NodeCertificate.Options(),
        now: Date = Date()
    ) throws -> NodeCertificate {
        guard options.days >= 1 || (options.notValidBefore != nil && options.notValidAfter != nil) else {
            throw PKIError(
                .invalidCertificate,
                "a certificate must be valid for at least one day",
                remedy: "Give --days 1 or more."
            )
        }
        let notValidBefore = options.notValidBefore ?? now - Self.backdating
        let notValidAfter = options.notValidAfter ?? now + TimeInterval(options.days) * 86_400
        guard notValidAfter > notValidBefore else {
            throw PKIError(.invalidCertificate, "the certificate's validity ends before it starts")
        }
        guard notValidAfter <= certificate.notValidAfter else {
            throw PKIError(
                .invalidCertificate,
                "the certificate would outlive the CA, which expires on \(certificate.notValidAfter)",
                remedy: "Give fewer --days, or create a new district CA and reissue the nodes' certificates."
            )
        }
        let names = try Self.alternativeNames(
            role: identity.role,
            dnsNames: options.dnsNames,
            ipAddresses: options.ipAddresses,
            addsHubName: !options.omitsHubName,
            school: options.omitsHubName ? nil : identity.school
        )
        let key = P256.Signing.PrivateKey()
        let privateKey = Certificate.PrivateKey(key)
        let authorityKeyIdentifier = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.serverAuth, .clientAuth])
            SubjectAlternativeNames(names)
            SubjectKeyIdentifier(keyIdentifier: Self.subjectKeyIdentifier(of: key.publicKey))
            if let authorityKeyIdentifier { AuthorityKeyIdentifier(keyIdentifier: authorityKeyIdentifier) }
        }
        let nodeCertificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: privateKey.publicKey,
            notValidBefore: notValidBefore,
            notValidAfter: notValidAfter,
            issuer: certificate.subject,
            subject: try identity.distinguishedName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: self.privateKey
        )
        return NodeCertificate(certificate: nodeCertificate, privateKey: privateKey, identity: identity)
    }

    /// Issues a node certificate, records it in the CA folder's `issued.json` (so `sst pki revoke` finds it by node
    /// id) and writes `node.pem`, `node-key.pem` (mode 0600) and `ca.pem` into `directory`.
    ///
    /// Refuses, writing nothing, when `directory` already holds a node certificate or key. Needs a CA loaded
    /// from or written to a folder.
    @discardableResult
    public func issue(
        for identity: CertificateIdentity,
        options: NodeCertificate.Options = NodeCertificate.Options(),
        now: Date = Date(),
        into directory: String
    ) throws -> NodeCertificate {
        guard let caDirectory = self.directory else {
            throw PKIError(
                .notFound,
                "this CA has no folder to record issued certificates in",
                remedy: "Load the CA from its folder."
            )
        }
        try NodeCertificate.checkFree(directory, caCertificate: certificate)
        let issued = try issue(for: identity, options: options, now: now)
        try PKIFiles.withLock(on: caDirectory) {
            var index = try IssuedIndex.load(from: caDirectory)
            index.entries.append(IssuedIndex.Entry(issued, issuedAt: now))
            try index.write(to: caDirectory)
        }
        try issued.write(to: directory, caCertificate: certificate)
        return issued
    }

    /// `localhost`, the hub name for a hub, the school's name for a school node (`school`), 127.0.0.1 and the extra
    /// names, each once; throws on a malformed name or address, on a name in the reserved domain (SST Sync adds those
    /// itself) or an IPv4-mapped IPv6 address (a node reaches its hub and the other nodes of its school through such an
    /// address, see ``HubTLSName`` and ``SchoolTLSName``).
    static func alternativeNames(
        role: String,
        dnsNames: [String],
        ipAddresses: [String],
        addsHubName: Bool = true,
        school: String? = nil
    ) throws -> [GeneralName] {
        let isHub = role == "hub"
        if let reserved = dnsNames.first(where: HubTLSName.isReserved) {
            throw PKIError(
                .invalidCertificate,
                isHub
                    ? "--dns \"\(reserved)\" is in the domain \(HubTLSName.reservedDomain), whose names SST Sync adds "
                        + "itself (\(HubTLSName.name) to a hub, a school's name to its nodes): the nodes of a school "
                        + "would take this hub for one of their own"
                    : "--dns \"\(reserved)\" is in the domain \(HubTLSName.reservedDomain), which only hub certificates "
                        + "carry (\(HubTLSName.name)) and SST Sync's own school names: nodes would take this \(role) for "
                        + "their hub, or for a node of another school",
                remedy: "Leave it out; give the node's own host name, such as ekbacken.example.se."
            )
        }
        let reservedNames =
            isHub
            ? (addsHubName ? [HubTLSName.name] : [])
            : (role == "school" ? school.map { [SchoolTLSName.name(forSchool: $0)] } ?? [] : [])
        var names: [GeneralName] = []
        for dns in ["localhost"] + reservedNames + dnsNames {
            let allowed = dns.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "*")
            }
            guard !dns.isEmpty, dns.utf8.count <= 253, allowed else {
                throw PKIError(
                    .invalidCertificate,
                    "--dns \"\(dns)\" is not a DNS name",
                    remedy: "Give a host name such as hub.example.se (letters, digits, - and .; punycode for å ä ö)."
                )
            }
            let name = GeneralName.dnsName(dns.lowercased())
            if !names.contains(name) { names.append(name) }
        }
        for address in ["127.0.0.1"] + ipAddresses {
            guard let bytes = ipAddressBytes(address) else {
                throw PKIError(
                    .invalidCertificate,
                    "--ip \"\(address)\" is not an IP address",
                    remedy: "Give an IPv4 address such as 10.0.0.5 or an IPv6 address such as ::1."
                )
            }
            if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                throw PKIError(
                    .invalidCertificate,
                    "--ip \"\(address)\" is an IPv4-mapped IPv6 address, which nodes use to reach their hub and the "
                        + "other nodes of their school, so that only the name they ask for matches; no certificate may "
                        + "name one",
                    remedy: "Give the IPv4 address itself, such as 10.0.0.5."
                )
            }
            let name = GeneralName.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes)))
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// The 4 or 16 bytes of an IPv4 or IPv6 address in text form, or `nil`.
    static func ipAddressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}
