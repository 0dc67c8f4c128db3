/// What a node remembers about its syncs with the hub (`sync-state.json` in its data directory): when it last
/// tried and succeeded, the last error, and the cursors as of the last success.
public struct SyncState: Codable, Hashable, Sendable {
    /// A failed sync, as recorded.
    public struct LastError: Codable, Hashable, Sendable {
        /// When it failed, in milliseconds since the Unix epoch.
        public var at: UInt64
        /// ``SyncFailure/code``: a problem code such as `clockAhead`, or a kind such as `unreachable`.
        public var code: String
        public var message: String
        public var remedy: String
    }

    /// The hub's node id.
    public var hub: String?
    /// When a sync last started, and last finished successfully (milliseconds since the Unix epoch).
    public var lastAttempt: UInt64?
    public var lastSuccess: UInt64?
    /// The error of the last sync, cleared by a success.
    public var lastError: LastError?
    /// Failed syncs since the last success.
    public var consecutiveFailures = 0
    /// This node's sequence number the hub had everything up to, as of the last success.
    public var acknowledged: Int64 = 0
    /// The hub's sequence number this node had everything up to, and the hub's latest, as of the last success.
    public var pulledUpTo: Int64 = 0
    public var hubSequence: Int64 = 0
    /// The hub's clock minus this node's, in milliseconds, as of the last success.
    public var clockOffset: Int64 = 0
    /// The last successful sync's report.
    public var lastReport: SyncReport?

    public init() {}

    /// The state after a sync that started at `startedAt` ended with `result`.
    public func recording(_ result: Result<SyncReport, SyncFailure>, at startedAt: UInt64, now: UInt64) -> SyncState {
        var state = self
        state.lastAttempt = startedAt
        switch result {
        case .success(let report):
            state.hub = report.hub ?? hub
            state.lastSuccess = now
            state.lastError = nil
            state.consecutiveFailures = 0
            state.acknowledged = report.acknowledged
            state.pulledUpTo = report.pulledUpTo
            state.hubSequence = report.hubSequence
            state.clockOffset = report.clockOffset
            state.lastReport = report
        case .failure(let failure):
            state.lastError = LastError(at: now, code: failure.code, message: failure.message, remedy: failure.remedy)
            state.consecutiveFailures += 1
        }
        return state
    }

    /// The state after the node took a new node id (`sst node rejoin`): the hub has acknowledged nothing of the
    /// new id yet, and the refusal that led there is no longer the last word.
    public func rejoined() -> SyncState {
        var state = self
        state.acknowledged = 0
        state.lastError = nil
        state.consecutiveFailures = 0
        return state
    }

    /// This node's changes the hub has not acknowledged, given the node's latest sequence number.
    public func pending(lastSequence: Int64) -> Int64 {
        max(0, lastSequence - acknowledged)
    }

    /// Milliseconds since the last successful sync, or `nil` when there was none.
    public func lag(now: UInt64) -> UInt64? {
        lastSuccess.map { now > $0 ? now - $0 : 0 }
    }
}
