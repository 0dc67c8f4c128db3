/// Why a sealed blob, a key envelope or a recovery file was refused: what was wrong and what to do.
///
/// Whatever the code, nothing of the plaintext is returned and nothing is changed.
public struct SealingError: Error, CustomStringConvertible, Sendable, Hashable {
    public enum Code: String, Sendable {
        /// Not a sealed blob, envelope or recovery file of this format and version.
        case malformed
        /// Sealed with, or wrapped for, another school's key.
        case otherSchool
        /// Sealed with another key of the school, of the same epoch.
        case otherKey
        /// The blob and the key are of different epochs: one of them is older (the key was rotated).
        case oldKey
        /// The authentication tag or checksum does not match: altered, mistyped, or labelled with other data.
        case tampered
        /// Cut short: the ciphertext, the JSON text or the recovery file ends too early.
        case truncated
        /// A key envelope wrapped for another node's certificate.
        case notForThisNode
    }

    public let code: Code
    public let message: String
    public let remedy: String

    public init(_ code: Code, _ message: String, remedy: String) {
        self.code = code
        self.message = message
        self.remedy = remedy
    }

    public var description: String { "\(message). \(remedy)" }
}
