import SSTCore

/// One sync with the hub as a state machine value type: handshake → push batches → pull batches → done.
///
/// The session does no I/O. Its driver (``NodeSynchronizer``) performs each ``Action`` and feeds back what
/// happened; the session decides the next step, including every failure edge: transient failures wait with
/// backoff and resume from a new handshake (the hub's cursor says where the pushes resume, the node's stored
/// cursor where the pulls do); a sequence gap pushes again from the expected sequence; a body too large halves
/// the batch; a hub that makes no progress, a clock beyond the allowed offset, or a refusal ends the session.
public struct SyncSession: Sendable {
    public struct Configuration: Hashable, Sendable {
        /// Field changes per push and pull batch.
        public var batchSize: Int
        /// Tries per step before the session gives up (the background loop tries again later).
        public var maxAttempts: Int
        public var backoff: Backoff
        /// Pushes re-sent from the hub's expected sequence before giving up.
        public var maxGapRetries: Int

        public init(
            batchSize: Int = SyncProtocol.defaultBatchSize,
            maxAttempts: Int = 5,
            backoff: Backoff = Backoff(),
            maxGapRetries: Int = 3
        ) {
            self.batchSize = max(1, batchSize)
            self.maxAttempts = max(1, maxAttempts)
            self.backoff = backoff
            self.maxGapRetries = maxGapRetries
        }
    }

    /// What the driver must do next.
    public enum Action: Hashable, Sendable {
        /// Send a handshake.
        case handshake
        /// Export this node's changes after `since` for the hub, at most `limit` fields, and push them.
        case push(since: Int64, limit: Int)
        /// Pull the hub's changes after `since`, at most `limit` fields, and apply them.
        case pull(since: Int64, limit: Int)
        /// Wait, then call ``waitElapsed()``.
        case wait(Duration)
        /// Done: everything was pushed and pulled.
        case finished(SyncReport)
        /// Given up; the node keeps its changes and cursors.
        case failed(SyncFailure)
    }

    /// Where the session is.
    public enum State: Hashable, Sendable {
        case idle
        case handshaking
        case pushing(since: Int64, limit: Int)
        case pulling(since: Int64, limit: Int)
        case waiting
        case finished
        case failed
    }

    /// What the node's store says, read by the driver right after the handshake.
    public struct Local: Hashable, Sendable {
        /// The node's latest local sequence number.
        public var lastSequence: Int64
        /// The node's cursor for the hub: the hub's sequence number it has everything up to.
        public var hubCursor: Int64
        /// The node's clock when the handshake was sent and when its answer came, in milliseconds.
        public var sentAt: UInt64
        public var receivedAt: UInt64
        /// For a store restored from `sst backup` that has not synced since: where its log ended in the backup.
        public var backupEnd: Int64?
        /// The fingerprints of the batches this node sent that ended at the hub's cursor (`Store.sentFingerprints`):
        /// the hub's ``HandshakeResponse/cursorFingerprint`` must be one of them.
        public var fingerprintsAtCursor: Set<String>

        public init(
            lastSequence: Int64,
            hubCursor: Int64,
            sentAt: UInt64,
            receivedAt: UInt64,
            backupEnd: Int64? = nil,
            fingerprintsAtCursor: Set<String> = []
        ) {
            self.lastSequence = lastSequence
            self.hubCursor = hubCursor
            self.sentAt = sentAt
            self.receivedAt = receivedAt
            self.backupEnd = backupEnd
            self.fingerprintsAtCursor = fingerprintsAtCursor
        }
    }

    public let configuration: Configuration
    public private(set) var state: State = .idle
    public private(set) var report = SyncReport()
    private var attempt = 0
    private var gapRetries = 0
    private var batchSize: Int
    private var hubCursor: Int64 = 0
    private var random: SplitMix64
    private var outcome: Action?

    public init(configuration: Configuration = Configuration(), seed: UInt64 = 0) {
        self.configuration = configuration
        self.batchSize = configuration.batchSize
        self.random = SplitMix64(seed: seed)
    }

    /// Starts the session: the first action is always a handshake.
    public mutating func start() -> Action {
        guard state == .idle else { return unexpected("start") }
        state = .handshaking
        return .handshake
    }

    /// The hub answered the handshake: check it, then push what the hub lacks, or pull.
    public mutating func handshakeCompleted(_ response: HandshakeResponse, local: Local) -> Action {
        guard state == .handshaking else { return unexpected("a handshake answer") }
        attempt = 0
        if let failure = Self.check(response, local: local) {
            return fail(failure)
        }
        report.hub = response.hub
        report.hubSequence = response.hubSequence
        report.clockOffset = Int64(response.serverTime) - Int64((local.sentAt + local.receivedAt) / 2)
        report.acknowledged = response.cursor
        report.pulledUpTo = local.hubCursor
        hubCursor = local.hubCursor
        return pushOrPull(since: response.cursor, lastSequence: local.lastSequence)
    }

    /// The hub applied a pushed batch that covered this node's changes up to `upTo`.
    public mutating func pushCompleted(_ response: PushResponse, upTo: Int64, lastSequence: Int64) -> Action {
        guard case .pushing(let since, _) = state else { return unexpected("a push answer") }
        attempt = 0
        report.pushBatches += 1
        report.pushedChanges += response.received
        report.appliedAtHub += response.applied
        guard response.cursor > since else {
            return fail(
                SyncFailure(
                    .protocolError,
                    "the hub accepted a push after \(since) but its cursor for this node stayed at \(response.cursor)",
                    remedy: "Report this as a bug, with the hub's log."
                )
            )
        }
        report.acknowledged = response.cursor
        return pushOrPull(since: response.cursor, lastSequence: lastSequence)
    }

    /// A pulled batch was applied; `cursor` is the node's cursor for the hub afterwards.
    public mutating func pullCompleted(received: Int, applied: Int, more: Bool, cursor: Int64) -> Action {
        guard case .pulling(let since, let limit) = state else { return unexpected("a pull answer") }
        attempt = 0
        report.pullBatches += 1
        report.pulledChanges += received
        report.appliedHere += applied
        report.pulledUpTo = max(report.pulledUpTo, cursor)
        guard more else { return finish() }
        guard cursor > since else {
            return fail(
                SyncFailure(
                    .protocolError,
                    "the hub says more changes follow after \(since), but the pulled batch did not move this node's "
                        + "cursor",
                    remedy: "Report this as a bug, with the hub's log."
                )
            )
        }
        state = .pulling(since: cursor, limit: limit)
        return .pull(since: cursor, limit: limit)
    }

    /// The current step failed.
    public mutating func failed(_ failure: SyncFailure) -> Action {
        switch state {
        case .handshaking, .pushing, .pulling:
            break
        default:
            return unexpected("a failure (\(failure.message))")
        }
        if case .pushing(let since, let limit) = state, let problem = failure.problem {
            if problem.code == Problem.Codes.sequenceGap, let expected = problem.expected,
                gapRetries < configuration.maxGapRetries
            {
                gapRetries += 1
                report.retries += 1
                state = .pushing(since: expected, limit: limit)
                return .push(since: expected, limit: limit)
            }
            if problem.code == Problem.Codes.bodyTooLarge, limit > 1 {
                batchSize = max(1, limit / 2)
                report.retries += 1
                return push(since: since)
            }
        }
        guard failure.isTransient, attempt + 1 < configuration.maxAttempts else {
            return fail(failure)
        }
        let delay = configuration.backoff.delay(attempt: attempt, jitter: random.unit())
        attempt += 1
        report.retries += 1
        state = .waiting
        return .wait(delay)
    }

    /// The backoff wait is over: start again with a handshake, which re-reads both cursors.
    public mutating func waitElapsed() -> Action {
        guard state == .waiting else { return unexpected("the end of a wait") }
        state = .handshaking
        return .handshake
    }

    /// Stops the session between two steps (a shutdown); nothing is lost.
    public mutating func cancel() -> Action {
        if let outcome { return outcome }
        return fail(
            SyncFailure(.cancelled, "the sync was stopped", remedy: "It resumes from the stored cursors next time.")
        )
    }

    private mutating func pushOrPull(since: Int64, lastSequence: Int64) -> Action {
        guard since < lastSequence else {
            state = .pulling(since: hubCursor, limit: batchSize)
            return .pull(since: hubCursor, limit: batchSize)
        }
        return push(since: since)
    }

    private mutating func push(since: Int64) -> Action {
        state = .pushing(since: since, limit: batchSize)
        return .push(since: since, limit: batchSize)
    }

    private mutating func finish() -> Action {
        state = .finished
        let action = Action.finished(report)
        outcome = action
        return action
    }

    private mutating func fail(_ failure: SyncFailure) -> Action {
        state = .failed
        let action = Action.failed(failure)
        outcome = action
        return action
    }

    private mutating func unexpected(_ event: String) -> Action {
        if let outcome { return outcome }
        return fail(
            SyncFailure(
                .protocolError,
                "the sync session got \(event) while \(state)",
                remedy: "Report this as a bug."
            )
        )
    }
}
