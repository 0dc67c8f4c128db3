/// An error response body: RFC 9457 problem details (`application/problem+json`) with SST's members.
///
/// `code` names the problem for programs (the change-set error codes of `Protocol/changesets.md` plus the
/// sync codes of `Protocol/sync.md`); `detail` says what was wrong and `remedy` what to do.
public struct Problem: Error, Codable, Hashable, Sendable, CustomStringConvertible {
    /// A URI naming the problem type: `urn:sst-sync:problem:<code>`.
    public var type: String
    /// A short summary of the problem type.
    public var title: String
    /// The HTTP status code (`status` in JSON).
    public var statusCode: Int
    /// What was wrong with this request.
    public var detail: String
    /// The stable problem code, e.g. `sequenceGap`, `certificateRevoked`.
    public var code: String
    /// What to do about it.
    public var remedy: String
    /// For `sequenceGap`: the sequence number the next push must start after.
    public var expected: Int64?
    /// Whether the refusal is in this node's audit trail already (the store audits the change sets it refuses);
    /// never sent.
    public var audited = false

    public init(status: Int, code: String, title: String, detail: String, remedy: String, expected: Int64? = nil) {
        self.type = "urn:sst-sync:problem:\(code)"
        self.title = title
        self.statusCode = status
        self.detail = detail
        self.code = code
        self.remedy = remedy
        self.expected = expected
    }

    private enum CodingKeys: String, CodingKey {
        case type, title
        case statusCode = "status"
        case detail, code, remedy, expected
    }

    public var description: String {
        remedy.isEmpty
            ? "\(detail) (HTTP \(statusCode), \(code))" : "\(detail) (HTTP \(statusCode), \(code)). \(remedy)"
    }
}

extension Problem {
    /// Problem codes of the sync protocol, beyond the change-set error codes.
    public enum Codes {
        /// A `/v2` request without a client certificate.
        public static let certificateRequired = "certificateRequired"
        /// A client certificate that names no valid node identity.
        public static let certificateInvalid = "certificateInvalid"
        /// A client certificate on the district's deny list.
        public static let certificateRevoked = "certificateRevoked"
        /// A request body over the hub's limit.
        public static let bodyTooLarge = "bodyTooLarge"
        /// A request body that is not the JSON the endpoint takes, or a bad query parameter.
        public static let malformedRequest = "malformedRequest"
        /// A protocol version this hub does not speak.
        public static let unsupportedVersion = "unsupportedVersion"
        /// The node's clock is further ahead of the hub's than the allowed offset.
        public static let clockAhead = "clockAhead"
        /// The hub runs a different privacy policy.
        public static let policyMismatch = "policyMismatch"
        /// A push that starts after the hub's cursor for the node.
        public static let sequenceGap = "sequenceGap"
        /// The hub has less of the node's changes, or a shorter log, than the node saw at its last sync: the hub was
        /// restored from an older backup.
        public static let hubRestored = "hubRestored"
        /// The hub received, at its cursor for the node, a batch this node never sent: its data directory is a copy
        /// whose log went on elsewhere (`cp`, a VM snapshot), and its changes numbered up to the cursor would be
        /// skipped.
        public static let restored = "restored"
        /// A staff API request without a bearer token, or with one that is malformed, unknown or revoked.
        public static let staffTokenRequired = "staffTokenRequired"
        /// A node role that may not use this endpoint.
        public static let notAuthorized = "notAuthorized"
        /// No such endpoint.
        public static let notFound = "notFound"
        /// The hub failed; the request changed nothing and may be retried.
        public static let internalError = "internalError"
        /// The hub is shutting down or not ready; retry later.
        public static let unavailable = "unavailable"
    }
}
