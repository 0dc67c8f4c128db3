import Prometheus

/// The sync server's Prometheus metrics, registered in one registry that `GET /metrics` renders.
///
/// The registry is owned by the caller: the library never touches the process-wide metrics system.
public struct HubMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let received: Counter
    private let applied: Counter
    private let sent: Counter
    private let waitingPushes: Gauge

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        received = registry.makeCounter(
            descriptor: Self.name("changes_received", "total", "Field changes received in pushes.")
        )
        applied = registry.makeCounter(
            descriptor: Self.name("changes_applied", "total", "Received field changes that altered this node's state.")
        )
        sent = registry.makeCounter(descriptor: Self.name("changes_sent", "total", "Field changes sent in pulls."))
        waitingPushes = registry.makeGauge(
            descriptor: Self.name("pushes_waiting", "", "Pushes received and waiting for their turn to be applied.")
        )
    }

    /// Counts one answered request by endpoint and status, and its duration.
    public func request(endpoint: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: Self.name("requests", "total", "Requests answered, by endpoint and HTTP status."),
            labels: [("endpoint", endpoint), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.name("request_duration", "seconds", "Time to answer a request."),
            labels: [("endpoint", endpoint)],
            buckets: [.milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(2)]
        ).record(duration)
    }

    /// Counts a request refused before it reached the store (no certificate, revoked, invalid identity).
    public func denial(reason: String) {
        registry.makeCounter(
            descriptor: Self.name("denials", "total", "Requests denied (403) before the store, by reason."),
            labels: [("reason", reason)]
        ).increment()
    }

    /// Counts a request body read, by endpoint and content coding (`gzip`, `identity`).
    func requestBody(endpoint: String, encoding: String) {
        registry.makeCounter(
            descriptor: Self.name(
                "request_bodies",
                "total",
                "Request bodies read, by endpoint and content coding (gzip, identity)."
            ),
            labels: [("endpoint", endpoint), ("encoding", encoding)]
        ).increment()
    }

    /// Counts an answer body sent, by endpoint and content coding (`gzip`, `identity`).
    func responseBody(endpoint: String, encoding: String) {
        registry.makeCounter(
            descriptor: Self.name(
                "response_bodies",
                "total",
                "Answer bodies sent, by endpoint and content coding (gzip, identity)."
            ),
            labels: [("endpoint", endpoint), ("encoding", encoding)]
        ).increment()
    }

    func changesReceived(_ count: Int, applied appliedCount: Int) {
        received.increment(by: Int64(count))
        applied.increment(by: Int64(appliedCount))
    }

    /// Sets the number of pushes waiting at the hub's ``PushGate``.
    func pushesWaiting(_ count: Int) {
        waitingPushes.set(Int64(count))
    }

    func changesSent(_ count: Int) {
        sent.increment(by: Int64(count))
    }

    /// The metrics in the Prometheus text format.
    public func render() -> [UInt8] {
        registry.emitToBuffer()
    }

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "sst", subsystem: "sync", metricName: metric, unitName: unit, helpText: help)
    }
}
