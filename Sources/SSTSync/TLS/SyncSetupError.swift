/// A sync server or client that cannot start: a missing or unreadable file, a bad address, a wrong role.
/// ``message`` says what was wrong and ``remedy`` what to do.
public struct SyncSetupError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public let remedy: String

    public init(_ message: String, remedy: String) {
        self.message = message
        self.remedy = remedy
    }

    public var description: String { "\(message). \(remedy)" }
}
