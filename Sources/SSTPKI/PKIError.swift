/// A PKI operation that failed; nothing was written. ``message`` says what was wrong and ``remedy`` what to do.
public struct PKIError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case alreadyExists, notFound, unreadable, unwritable, invalidCertificate, invalidKey, invalidIdentity
            case keyMismatch, corruptFile, unknownNode
        }
        private let base: Base
        private init(base: Base) { self.base = base }

        /// A key or certificate file is already there; it is never overwritten.
        public static let alreadyExists = Code(base: .alreadyExists)
        /// A file the operation needs is missing.
        public static let notFound = Code(base: .notFound)
        /// A file exists but could not be read.
        public static let unreadable = Code(base: .unreadable)
        /// A file could not be written.
        public static let unwritable = Code(base: .unwritable)
        /// A certificate could not be parsed or built.
        public static let invalidCertificate = Code(base: .invalidCertificate)
        /// A private key could not be parsed or is not ECDSA P-256.
        public static let invalidKey = Code(base: .invalidKey)
        /// A node identity (node id, role, school, stadsdel) is missing or malformed.
        public static let invalidIdentity = Code(base: .invalidIdentity)
        /// The CA's private key does not belong to its certificate.
        public static let keyMismatch = Code(base: .keyMismatch)
        /// A JSON file of the CA folder (`revoked.json`, `issued.json`) is damaged.
        public static let corruptFile = Code(base: .corruptFile)
        /// No certificate was ever issued to this node id.
        public static let unknownNode = Code(base: .unknownNode)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String
    public let remedy: String

    public init(_ code: Code, _ message: String, remedy: String = "") {
        self.code = code
        self.message = message
        self.remedy = remedy
    }

    public var description: String { remedy.isEmpty ? message : "\(message). \(remedy)" }
}
