/// Why a change set was refused. Nothing of a refused change set is applied.
///
/// ``code`` names the problem for programs (and the test vectors); ``message`` says what was wrong and
/// ``remedy`` what to do about it.
public struct ChangeSetError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case corrupt, notAChangeSet, newerVersion, unknownEntity, unknownField, invalidValue, clockAhead
            case wrongSide, policyViolation, notOwner, notAuthorized, policyMismatch, sequenceGap
        }
        private let base: Base

        /// The file is not valid JSON or not a well-formed change set (truncated, damaged).
        public static let corrupt = Code(base: .corrupt)
        /// Valid JSON, but not an SST change set.
        public static let notAChangeSet = Code(base: .notAChangeSet)
        /// Written by a newer protocol version than this build reads.
        public static let newerVersion = Code(base: .newerVersion)
        public static let unknownEntity = Code(base: .unknownEntity)
        public static let unknownField = Code(base: .unknownField)
        /// A value of the wrong type or out of range for its field.
        public static let invalidValue = Code(base: .invalidValue)
        /// A stamp further into the future than the allowed clock offset.
        public static let clockAhead = Code(base: .clockAhead)
        /// Data meant for the other side of the secrecy boundary.
        public static let wrongSide = Code(base: .wrongSide)
        /// A field the privacy policy does not let cross to this side now (no consent, never-field, protected identity).
        public static let policyViolation = Code(base: .policyViolation)
        /// A side writing a field it does not own (a school writing social-services fields, or the reverse).
        public static let notOwner = Code(base: .notOwner)
        /// A node writing records outside its own school or stadsdel.
        public static let notAuthorized = Code(base: .notAuthorized)
        /// The two sides run different privacy policies (their content hashes differ).
        public static let policyMismatch = Code(base: .policyMismatch)
        /// A pushed set that starts after the receiver's cursor for the sender: something in between is missing.
        public static let sequenceGap = Code(base: .sequenceGap)

        /// The code's stable name, as used in test vectors: `corrupt`, `newerVersion`, …
        public var description: String { base.rawValue }

        public init?(name: String) {
            guard let base = Base(rawValue: name) else { return nil }
            self.base = base
        }

        private init(base: Base) { self.base = base }
    }

    public let code: Code
    public let message: String
    public let remedy: String

    public init(_ code: Code, _ message: String, remedy: String) {
        self.code = code
        self.message = message
        self.remedy = remedy
    }

    public var description: String { "\(message). Nothing was applied. \(remedy)" }
}
