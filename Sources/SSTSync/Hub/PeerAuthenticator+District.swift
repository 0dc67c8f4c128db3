import SSTCore
import SSTPKI
import SSTStore

extension PeerAuthenticator {
    /// The district PKI's reader: the identity from the certificate subject (`CertificateIdentity`) and the deny
    /// list from `revoked.json`, reloaded by the watcher whenever the file changes. No watcher: nothing revoked.
    public static func district(revocations: RevocationWatcher?) -> PeerAuthenticator {
        PeerAuthenticator(
            identify: { derBytes in
                let identity = try CertificateIdentity(derBytes: derBytes)
                guard let role = NodeIdentity.Role(rawValue: identity.role) else {
                    throw SyncSetupError(
                        "the certificate names the role \"\(identity.role)\"",
                        remedy: "Issue a certificate with --role school or hub."
                    )
                }
                return PeerIdentity(
                    node: identity.node,
                    role: role,
                    school: identity.school,
                    stadsdel: identity.stadsdel
                )
            },
            isRevoked: { serial in
                revocations?.isRevoked(serial: serial) ?? false
            },
            revocationList: { revocations?.list ?? RevocationList() }
        )
    }
}
