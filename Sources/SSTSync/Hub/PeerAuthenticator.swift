import SSTCore
import SSTPKI
import SSTStore

/// Reads who a TLS peer is from its certificate, and whether that certificate is revoked now.
///
/// The certificate has already been verified against the district CA by TLS; this reads the node id, role,
/// school and stadsdel it names, and checks the deny list on every request, so a revocation takes effect
/// without a restart. ``district(revocations:)`` is the district PKI's reader.
public struct PeerAuthenticator: Sendable {
    /// Reads the identity a DER certificate names; throws when it names none (the message goes to the log).
    public var identify: @Sendable (_ derBytes: [UInt8]) throws -> PeerIdentity
    /// Whether the certificate with this serial number (lower-case hex) is on the deny list now.
    public var isRevoked: @Sendable (_ serial: String) -> Bool
    /// The deny list in force, as `GET /v2/revocations` serves it (empty when nothing can be revoked).
    public var revocationList: @Sendable () -> RevocationList

    public init(
        identify: @escaping @Sendable (_ derBytes: [UInt8]) throws -> PeerIdentity,
        isRevoked: @escaping @Sendable (_ serial: String) -> Bool,
        revocationList: @escaping @Sendable () -> RevocationList = { RevocationList() }
    ) {
        self.identify = identify
        self.isRevoked = isRevoked
        self.revocationList = revocationList
    }

    /// A serial number's bytes as lower-case hex without leading zeros, as `revoked.json` stores it.
    static func hex(_ serial: [UInt8]) -> String {
        let digits = serial.map { byte in
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
        let trimmed = digits.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }
}
