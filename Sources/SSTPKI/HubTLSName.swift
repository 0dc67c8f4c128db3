import X509

/// The DNS name by which a node knows the district hub at the TLS level: `hub.sst-sync.invalid`.
///
/// Every hub certificate carries it as a subject alternative name (`sst pki issue --role hub` adds it) and no other
/// certificate may: `sst pki issue` refuses `--dns` names in the domain `sst-sync.invalid` for a school. A node
/// connects to the host of its `--hub` URL but asks TLS for this name (SNI, and the server certificate's names
/// checked against it), so that a school's certificate of the same district CA fails the TLS handshake and is sent
/// nothing. `.invalid` never resolves (RFC 6761), so the name cannot be bought or pointed anywhere.
public enum HubTLSName {
    /// The name itself.
    public static let name = "hub.sst-sync.invalid"
    /// The domain reserved for names with a meaning to SST Sync; no `--dns` name may fall in it.
    public static let reservedDomain = "sst-sync.invalid"

    /// Whether the certificate DNS name `dns` falls in ``reservedDomain`` (the hub name, a wildcard over it, or any
    /// other name under it), ignoring case and a trailing dot.
    public static func isReserved(_ dns: String) -> Bool {
        var name = dns.lowercased()
        while name.hasSuffix(".") { name.removeLast() }
        return name == reservedDomain || name.hasSuffix("." + reservedDomain)
    }

    /// Whether `certificate` carries the hub name among its subject alternative names.
    public static func isCarried(by certificate: Certificate) -> Bool {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return false }
        return names.contains { name in
            guard case .dnsName(let dns) = name else { return false }
            return dns.lowercased() == Self.name
        }
    }
}
