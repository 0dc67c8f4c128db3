/// Why a policy file was refused: what is wrong, where, and what to do. Nothing is loaded.
public struct PolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String {
        "the privacy policy is not valid: \(message). Correct the policy file (see Protocol/policy/README.md); "
            + "until then this node refuses to sync across the boundary."
    }
}
