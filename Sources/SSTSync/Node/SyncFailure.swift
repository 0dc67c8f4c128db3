/// Why a sync, or one step of it, failed. ``message`` says what went wrong and ``remedy`` what to do.
///
/// ``isTransient`` failures (the hub unreachable, a dropped connection, a timeout, a 5xx) are retried with
/// backoff; the others end the session, and nothing is lost: the node keeps its changes and its cursors.
public struct SyncFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is; new kinds may be added.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case unreachable, hubFailure, refused, tls, notHub, notSameSchool, hubChanged, clock, protocolError, local
            case cancelled
        }
        private let base: Base
        private init(base: Base) { self.base = base }

        /// The hub could not be reached, the connection dropped or timed out.
        public static let unreachable = Kind(base: .unreachable)
        /// The hub answered 5xx.
        public static let hubFailure = Kind(base: .hubFailure)
        /// The hub refused the request (4xx, with a problem).
        public static let refused = Kind(base: .refused)
        /// The TLS handshake failed: a certificate not from the district CA, expired, or for another host.
        public static let tls = Kind(base: .tls)
        /// The server's certificate is the district CA's but not a hub's: it lacks ``HubTLSName/name`` (a school's
        /// certificate, or a hub's issued before hubs carried the name). Nothing was sent beyond the TLS handshake.
        public static let notHub = Kind(base: .notHub)
        /// The peer's certificate is the district CA's but not one of this node's school: it lacks
        /// ``SchoolTLSName/name(forSchool:)`` (another school's certificate, the hub's, or a school certificate issued
        /// before they carried the name). Nothing was sent beyond the TLS handshake.
        public static let notSameSchool = Kind(base: .notSameSchool)
        /// The hub names another node id than the one this node last synced with, and no `--accept-hub` names the
        /// new one. Nothing was sent beyond the handshake.
        public static let hubChanged = Kind(base: .hubChanged)
        /// The node's clock and the hub's differ by more than the allowed offset.
        public static let clock = Kind(base: .clock)
        /// The hub's answer broke the protocol (unreadable, or no progress).
        public static let protocolError = Kind(base: .protocolError)
        /// This node's store refused or failed (applying a pulled set, exporting).
        public static let local = Kind(base: .local)
        /// The sync was stopped (shutdown) between two steps.
        public static let cancelled = Kind(base: .cancelled)

        public var description: String { base.rawValue }
    }

    public let kind: Kind
    public let message: String
    public let remedy: String
    /// The hub's problem, for `refused` and `hubFailure`.
    public let problem: Problem?

    public init(_ kind: Kind, _ message: String, remedy: String, problem: Problem? = nil) {
        self.kind = kind
        self.message = message
        self.remedy = remedy
        self.problem = problem
    }

    /// A failure carrying the hub's problem: 5xx is a hub failure, anything else a refusal.
    public init(problem: Problem) {
        self.init(
            problem.statusCode >= 500 ? .hubFailure : .refused,
            "the hub answered \(problem.statusCode) \(problem.code): \(problem.detail)",
            remedy: problem.remedy,
            problem: problem
        )
    }

    /// Whether retrying the same step later may succeed.
    public var isTransient: Bool { kind == .unreachable || kind == .hubFailure }

    /// A stable code for scripts and the state file: the problem's code, or the kind.
    public var code: String { problem?.code ?? kind.description }

    public var description: String { remedy.isEmpty ? message : "\(message). \(remedy)" }
}
