/// Why a node certificate was refused by ``CertificateVerifier``. ``message`` is for logs and error bodies.
public struct CertificateRejection: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of refusal.
    public enum Reason: String, Hashable, Sendable {
        /// The certificate's validity ended before the time of the check (or the CA's did).
        case expired
        /// The certificate's validity starts after the time of the check (or the CA's does).
        case notYetValid
        /// The certificate was not signed by the district CA.
        case signedByAnotherCA
        /// The certificate is a CA certificate, lacks the TLS usages, or carries no node identity.
        case notANodeCertificate
        /// The certificate's serial number is in the district's revocation list.
        case revoked
        /// The certificate failed RFC 5280 chain validation for another reason.
        case invalidChain
    }

    public let reason: Reason
    public let message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { message }
}
