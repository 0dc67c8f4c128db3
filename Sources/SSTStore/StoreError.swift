/// A request the store refused; nothing was changed. ``message`` says what was wrong and ``remedy`` what
/// to do.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case notInitialized, alreadyInitialized, unknownEntity, unknownField, invalidValue, purged, phaseBackwards
            case consentWithdrawn, notFound, noConflict, wrongSide, alreadyExists, notOwner, unauthorized
            case notPermitted, storageFull
        }
        private let base: Base
        private init(base: Base) { self.base = base }

        public static let notInitialized = Code(base: .notInitialized)
        public static let alreadyInitialized = Code(base: .alreadyInitialized)
        public static let unknownEntity = Code(base: .unknownEntity)
        public static let unknownField = Code(base: .unknownField)
        public static let invalidValue = Code(base: .invalidValue)
        /// The record was purged (*gallring*); it can no longer be written.
        public static let purged = Code(base: .purged)
        /// A case phase may only move forward; reopening starts a new generation.
        public static let phaseBackwards = Code(base: .phaseBackwards)
        /// A withdrawn consent never becomes active again.
        public static let consentWithdrawn = Code(base: .consentWithdrawn)
        public static let notFound = Code(base: .notFound)
        public static let noConflict = Code(base: .noConflict)
        /// An export for the other side of the secrecy boundary, which needs the privacy filter.
        public static let wrongSide = Code(base: .wrongSide)
        /// Something that may exist only once exists already (a staff member's valid token).
        public static let alreadyExists = Code(base: .alreadyExists)
        /// A write of a field that the other side of the secrecy boundary owns.
        public static let notOwner = Code(base: .notOwner)
        /// A staff member reading or writing what their access does not cover (elevhälsa records).
        public static let notPermitted = Code(base: .notPermitted)
        /// A staff token that is unknown or revoked.
        public static let unauthorized = Code(base: .unauthorized)
        /// The disk holding the data directory is full: SQLite could not write, so nothing was.
        public static let storageFull = Code(base: .storageFull)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String
    public let remedy: String

    public init(_ code: Code, _ message: String, remedy: String) {
        self.code = code
        self.message = message
        self.remedy = remedy
    }

    public var description: String { remedy.isEmpty ? message : "\(message). \(remedy)" }
}
