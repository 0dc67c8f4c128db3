/// Constants of the HTTPS sync protocol (`Protocol/sync.md`): its version, paths, media types and limits.
public enum SyncProtocol {
    /// The sync protocol version this build speaks. It moves with the change-set format version.
    public static let version = 2
    /// The first path component of the sync endpoints: the protocol version.
    public static let pathPrefix = "v\(version)"

    /// The handshake: protocol version, policy hash and clocks; answers the hub's cursor for the node.
    public static let handshakePath = "/\(pathPrefix)/handshake"
    /// Push: a change set from the node to the hub.
    public static let pushPath = "/\(pathPrefix)/push"
    /// Pull: the hub's changes after a cursor, as much as the policy lets the node see.
    public static let pullPath = "/\(pathPrefix)/pull"
    /// Liveness, without a client certificate.
    public static let healthPath = "/health"
    /// Prometheus metrics, without a client certificate.
    public static let metricsPath = "/metrics"

    /// The media type of every JSON request and response body.
    public static let jsonMediaType = "application/json"
    /// The media type of every error response (RFC 9457).
    public static let problemMediaType = "application/problem+json"

    /// The largest request body a hub accepts unless configured otherwise (16 MiB).
    public static let defaultMaxBodyBytes = 16 * 1024 * 1024
    /// The number of field changes per push or pull batch unless configured otherwise.
    public static let defaultBatchSize = 5000
    /// The largest `limit` a hub serves in one pull; larger requests are capped.
    public static let maxBatchSize = 5000
}
