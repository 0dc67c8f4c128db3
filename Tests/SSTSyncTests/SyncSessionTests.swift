import Testing

@testable import SSTSync

/// The sync session as a value type, without a network: every edge of handshake → push → pull → done.
struct SyncSessionTests {
    static let hub = "hub-1"

    static func handshake(
        cursor: Int64 = 0,
        serverTime: UInt64 = 1_000_000,
        hubSequence: Int64 = 0
    ) -> HandshakeResponse {
        HandshakeResponse(
            hub: hub,
            policyHash: "p",
            serverTime: serverTime,
            maxClockOffset: 300_000,
            cursor: cursor,
            hubSequence: hubSequence
        )
    }

    static func local(
        last: Int64,
        hubCursor: Int64 = 0,
        at time: UInt64 = 1_000_000,
        backupEnd: Int64? = nil
    ) -> SyncSession.Local {
        SyncSession.Local(
            lastSequence: last,
            hubCursor: hubCursor,
            sentAt: time,
            receivedAt: time,
            backupEnd: backupEnd
        )
    }

    static func problem(_ status: Int, _ code: String, expected: Int64? = nil) -> SyncFailure {
        SyncFailure(problem: Problem(status: status, code: code, title: "", detail: "", remedy: "", expected: expected))
    }

    static let unreachable = SyncFailure(.unreachable, "connection refused", remedy: "")

    @Test func handshakeThenPushBatchesThenPullBatchesThenDone() {
        var session = SyncSession(configuration: .init(batchSize: 4))
        #expect(session.start() == .handshake)
        #expect(
            session.handshakeCompleted(Self.handshake(cursor: 2, hubSequence: 9), local: Self.local(last: 10))
                == .push(since: 2, limit: 4)
        )
        #expect(
            session.pushCompleted(PushResponse(received: 4, applied: 4, cursor: 6), upTo: 6, lastSequence: 10)
                == .push(since: 6, limit: 4)
        )
        #expect(
            session.pushCompleted(PushResponse(received: 4, applied: 3, cursor: 10), upTo: 10, lastSequence: 10)
                == .pull(since: 0, limit: 4)
        )
        #expect(session.pullCompleted(received: 4, applied: 4, more: true, cursor: 5) == .pull(since: 5, limit: 4))
        guard case .finished(let report) = session.pullCompleted(received: 2, applied: 1, more: false, cursor: 9) else {
            Issue.record("the session did not finish: \(session.state)")
            return
        }
        #expect(report.hub == Self.hub)
        #expect(report.pushBatches == 2 && report.pushedChanges == 8 && report.appliedAtHub == 7)
        #expect(report.pullBatches == 2 && report.pulledChanges == 6 && report.appliedHere == 5)
        #expect(report.acknowledged == 10 && report.pulledUpTo == 9)
        #expect(session.state == .finished)
    }

    @Test func nothingToPushGoesStraightToPullFromTheStoredCursor() {
        var session = SyncSession()
        _ = session.start()
        let action = session.handshakeCompleted(
            Self.handshake(cursor: 7, hubSequence: 50),
            local: Self.local(last: 7, hubCursor: 42)
        )
        #expect(action == .pull(since: 42, limit: SyncProtocol.defaultBatchSize))
    }

    @Test func localWritesDuringThePushAreIncluded() {
        var session = SyncSession(configuration: .init(batchSize: 10))
        _ = session.start()
        _ = session.handshakeCompleted(Self.handshake(), local: Self.local(last: 3))
        let action = session.pushCompleted(PushResponse(received: 3, applied: 3, cursor: 3), upTo: 3, lastSequence: 5)
        #expect(action == .push(since: 3, limit: 10))
    }

    @Test func transientFailureWaitsThenResumesWithAHandshake() {
        var session = SyncSession(configuration: .init(maxAttempts: 3), seed: 7)
        _ = session.start()
        _ = session.handshakeCompleted(Self.handshake(), local: Self.local(last: 5))
        guard case .wait(let delay) = session.failed(Self.unreachable) else {
            Issue.record("a dropped connection should wait and retry")
            return
        }
        #expect(delay >= .milliseconds(250) && delay <= .milliseconds(500))
        #expect(session.waitElapsed() == .handshake)
        // The hub got the batch before the connection dropped: its cursor says so, and the push resumes there.
        #expect(
            session.handshakeCompleted(Self.handshake(cursor: 5), local: Self.local(last: 5))
                == .pull(since: 0, limit: SyncProtocol.defaultBatchSize)
        )
        #expect(session.report.retries == 1)
    }

    @Test func transientFailuresGiveUpAfterMaxAttempts() {
        var session = SyncSession(configuration: .init(maxAttempts: 3))
        _ = session.start()
        for _ in 0..<2 {
            guard case .wait = session.failed(Self.unreachable) else {
                Issue.record("expected a wait")
                return
            }
            #expect(session.waitElapsed() == .handshake)
        }
        #expect(session.failed(Self.unreachable) == .failed(Self.unreachable))
        #expect(session.state == .failed)
    }

    @Test func sequenceGapPushesAgainFromTheExpectedSequence() {
        var session = SyncSession(configuration: .init(batchSize: 50, maxGapRetries: 1))
        _ = session.start()
        _ = session.handshakeCompleted(Self.handshake(cursor: 8), local: Self.local(last: 20))
        let gap = Self.problem(409, Problem.Codes.sequenceGap, expected: 3)
        #expect(session.failed(gap) == .push(since: 3, limit: 50))
        #expect(session.failed(gap) == .failed(gap))
    }

    @Test func bodyTooLargeHalvesTheBatch() {
        var session = SyncSession(configuration: .init(batchSize: 100))
        _ = session.start()
        _ = session.handshakeCompleted(Self.handshake(), local: Self.local(last: 500))
        #expect(session.failed(Self.problem(413, Problem.Codes.bodyTooLarge)) == .push(since: 0, limit: 50))
        #expect(session.failed(Self.problem(413, Problem.Codes.bodyTooLarge)) == .push(since: 0, limit: 25))
    }

    @Test(arguments: [
        (403, Problem.Codes.certificateRevoked), (403, "notAuthorized"), (422, "clockAhead"), (409, "policyMismatch"),
        (400, Problem.Codes.unsupportedVersion),
    ])
    func refusalsEndTheSessionWithoutRetry(status: Int, code: String) {
        var session = SyncSession()
        _ = session.start()
        let refusal = Self.problem(status, code)
        #expect(session.failed(refusal) == .failed(refusal))
        #expect(session.report.retries == 0)
    }

    @Test func hubFailure5xxIsRetried() {
        var session = SyncSession()
        _ = session.start()
        guard case .wait = session.failed(Self.problem(503, Problem.Codes.unavailable)) else {
            Issue.record("a 503 should be retried")
            return
        }
    }

    @Test func nodeClockBehindTheHubFailsNamingTheOffset() {
        var session = SyncSession()
        _ = session.start()
        let day: UInt64 = 86_400_000
        let action = session.handshakeCompleted(
            Self.handshake(serverTime: 2 * day),
            local: Self.local(last: 0, at: day)
        )
        guard case .failed(let failure) = action else {
            Issue.record("expected a failure, got \(action)")
            return
        }
        #expect(failure.kind == .clock)
        #expect(failure.message.contains("24 h behind") && failure.message.contains("allowed offset is 5 min"))
    }

    @Test func hubWithMoreOfThisNodesChangesThanItsLogFails() {
        var session = SyncSession()
        _ = session.start()
        guard
            case .failed(let failure) = session.handshakeCompleted(
                Self.handshake(cursor: 30),
                local: Self.local(last: 12)
            )
        else {
            Issue.record("a node restored from a backup must not sync")
            return
        }
        #expect(failure.kind == .local)
    }

    @Test func aRestoredBackupFailsWhenTheHubHasMoreThanTheBackupEvenIfTheLogGrewPastIt() {
        var session = SyncSession()
        _ = session.start()
        let local = Self.local(last: 40, backupEnd: 25)
        guard case .failed(let failure) = session.handshakeCompleted(Self.handshake(cursor: 30), local: local) else {
            Issue.record("a backup older than what the hub has must not sync, however long its log has grown")
            return
        }
        #expect(failure.kind == .local)
        #expect(failure.message.contains("ended at 25") && failure.message.contains("up to 30"))
        #expect(failure.remedy.contains("sst node rejoin"))

        var untouched = SyncSession()
        _ = untouched.start()
        #expect(
            untouched.handshakeCompleted(Self.handshake(cursor: 30), local: Self.local(last: 40, backupEnd: 30))
                == .push(since: 30, limit: SyncProtocol.defaultBatchSize)
        )
    }

    @Test func hubWhoseLogEndsBeforeWhatThisNodePulledFails() {
        var session = SyncSession()
        _ = session.start()
        guard
            case .failed(let failure) = session.handshakeCompleted(
                Self.handshake(cursor: 4, hubSequence: 20),
                local: Self.local(last: 9, hubCursor: 35)
            )
        else {
            Issue.record("a hub restored from a backup older than this node's last pull must not be pulled from")
            return
        }
        #expect(failure.message.contains("up to 35") && failure.message.contains("ends at 20"))
        #expect(failure.remedy.contains("sst node rejoin"))
        #expect(!failure.isTransient)

        var caughtUp = SyncSession()
        _ = caughtUp.start()
        #expect(
            caughtUp.handshakeCompleted(
                Self.handshake(cursor: 9, hubSequence: 35),
                local: Self.local(last: 9, hubCursor: 35)
            )
                == .pull(since: 35, limit: SyncProtocol.defaultBatchSize)
        )
    }

    @Test func hubThatMakesNoProgressEndsTheSession() {
        var session = SyncSession()
        _ = session.start()
        _ = session.handshakeCompleted(Self.handshake(cursor: 4), local: Self.local(last: 9))
        guard
            case .failed(let failure) = session.pushCompleted(
                PushResponse(received: 5, applied: 0, cursor: 4),
                upTo: 9,
                lastSequence: 9
            )
        else {
            Issue.record("a push that does not move the hub's cursor would loop")
            return
        }
        #expect(failure.kind == .protocolError)

        var pulling = SyncSession()
        _ = pulling.start()
        #expect(
            pulling.handshakeCompleted(Self.handshake(hubSequence: 5), local: Self.local(last: 0, hubCursor: 3))
                == .pull(since: 3, limit: SyncProtocol.defaultBatchSize)
        )
        guard case .failed = pulling.pullCompleted(received: 0, applied: 0, more: true, cursor: 3) else {
            Issue.record("a pull that says more but does not move the cursor would loop")
            return
        }
    }

    @Test func eventsOutOfOrderFailAndTerminalStatesStay() {
        var session = SyncSession()
        guard case .failed(let failure) = session.pullCompleted(received: 0, applied: 0, more: false, cursor: 0) else {
            Issue.record("a pull answer before the handshake is a bug")
            return
        }
        #expect(failure.kind == .protocolError)
        #expect(session.start() == .failed(failure))
        #expect(session.waitElapsed() == .failed(failure))
    }

    @Test func cancelStopsBetweenStepsAndKeepsAFinishedOutcome() {
        var session = SyncSession()
        _ = session.start()
        guard case .failed(let failure) = session.cancel() else {
            Issue.record("expected a cancellation")
            return
        }
        #expect(failure.kind == .cancelled)

        var finished = SyncSession()
        _ = finished.start()
        _ = finished.handshakeCompleted(Self.handshake(), local: Self.local(last: 0))
        let done = finished.pullCompleted(received: 0, applied: 0, more: false, cursor: 0)
        #expect(finished.cancel() == done)
    }

    @Test func backoffGrowsExponentiallyWithJitterWithinTheCap() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1), multiplier: 2)
        #expect(backoff.delay(attempt: 0, jitter: 0) == .milliseconds(50))
        #expect(backoff.delay(attempt: 0, jitter: 0.999_999) == .milliseconds(100))
        #expect(backoff.delay(attempt: 3, jitter: 1) == .milliseconds(800))
        #expect(backoff.delay(attempt: 30, jitter: 1) == .seconds(1))
        #expect(backoff.delay(attempt: 30, jitter: 0) == .milliseconds(500))
    }

    @Test func sameSeedGivesTheSameWaits() {
        func waits(seed: UInt64) -> [SyncSession.Action] {
            var session = SyncSession(configuration: .init(maxAttempts: 4), seed: seed)
            _ = session.start()
            var actions: [SyncSession.Action] = []
            for _ in 0..<3 {
                actions.append(session.failed(Self.unreachable))
                _ = session.waitElapsed()
            }
            return actions
        }
        #expect(waits(seed: 1) == waits(seed: 1))
        #expect(waits(seed: 1) != waits(seed: 2))
    }
}

extension SyncSessionTests {
    /// A batch carries the basis of its crossings (the store's bounded export), so a policy denial is a real
    /// one whatever the batch: the session ends; it does not resend a wider range.
    /// (The batch size 10 splits the 95 pending changes; 500 sends them whole.)
    @Test(arguments: [10, 500])
    func policyDenialEndsTheSession(batchSize: Int) {
        var session = SyncSession(configuration: .init(batchSize: batchSize))
        _ = session.start()
        _ = session.handshakeCompleted(Self.handshake(cursor: 5), local: Self.local(last: 100))
        let denial = Self.problem(403, "policyViolation")
        #expect(session.failed(denial) == .failed(denial))
        #expect(session.report.retries == 0)
    }
}
