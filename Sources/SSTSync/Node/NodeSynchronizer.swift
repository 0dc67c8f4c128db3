import Logging
import SSTCore
import SSTStore
import ServiceLifecycle

/// Runs sync sessions for a node: drives a ``SyncSession`` against the node's store and a transport to the hub,
/// and records the outcome in the node's ``SyncStateFile``.
///
/// Pushes are what ``Store/exportChanges(for:since:limit:)`` lets the hub have; pulls are applied with
/// ``Store/apply(_:from:)``, atomically, with the cursor in the same transaction, so a sync stopped at any
/// point resumes from the stored cursors and never applies half a batch.
public struct NodeSynchronizer: Sendable {
    public let store: Store
    public let transport: any SyncTransport
    public var configuration: SyncSession.Configuration
    /// The hub (the default), or another node of this node's school (``withPeer(store:dataDirectory:peer:_:)``).
    public var counterpart: SyncCounterpart = .hub
    /// Where the outcome of each sync with a peer is recorded (`peers.json`), instead of ``stateFile``.
    public var peerStateFile: PeerStateFile?
    /// Where the outcome of each sync is recorded; `nil` records nothing. It also pins the hub: once a sync
    /// succeeded, a hub with another node id is refused (`hubChanged`) unless ``acceptedHub`` names it.
    public var stateFile: SyncStateFile?
    /// A hub to sync with although this node last synced with another (`--accept-hub`): after a successful
    /// sync it is the pinned hub.
    public var acceptedHub: NodeID?
    /// For a school node: relay through the school's sealed mailbox after the boundary sync (``MailboxRelay``);
    /// `nil` relays nothing.
    public var mailbox: MailboxRelay.Settings?
    let physicalClock: any PhysicalClock
    let logger: Logger
    let sleep: @Sendable (Duration) async throws -> Void

    public init(
        store: Store,
        transport: any SyncTransport,
        configuration: SyncSession.Configuration = SyncSession.Configuration(),
        stateFile: SyncStateFile? = nil,
        acceptedHub: NodeID? = nil,
        physicalClock: any PhysicalClock = SystemClock(),
        logger: Logger,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { delay in
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
        }
    ) {
        self.store = store
        self.transport = transport
        self.configuration = configuration
        self.stateFile = stateFile
        self.acceptedHub = acceptedHub
        self.physicalClock = physicalClock
        self.logger = logger
        self.sleep = sleep
    }

    /// Syncs once: handshake, push, pull, with retries. `shouldStop` is asked between steps (a shutdown stops
    /// the session there: the step in flight finishes, nothing is half-applied).
    @discardableResult
    public func sync(
        progress: @escaping @Sendable (SyncProgress) -> Void = { _ in },
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) async throws(SyncFailure) -> SyncReport {
        let startedAt = physicalClock.milliseconds()
        // A hub restored from a backup may have a recovery window open: ask before the push (issue 23, item 5).
        await refreshHubRecovery()
        var result = await run(progress: progress, shouldStop: shouldStop)
        result = await relayThroughMailbox(after: result) { await run(progress: progress, shouldStop: shouldStop) }
        if let stateFile {
            do {
                try stateFile.record(result, at: startedAt)
            } catch {
                logger.warning("cannot record the sync state", metadata: ["error": "\(error)"])
            }
        }
        await afterSync(result, at: startedAt)
        switch result {
        case .success(let report):
            logger.info(
                "sync finished",
                metadata: [
                    "hub": "\(report.hub ?? "?")", "pushed": "\(report.pushedChanges)",
                    "pulled": "\(report.pulledChanges)", "retries": "\(report.retries)",
                ]
            )
            return report
        case .failure(let failure):
            logger.warning("sync failed", metadata: ["code": "\(failure.code)", "error": "\(failure.message)"])
            throw failure
        }
    }

    /// As ``sync(progress:shouldStop:)``, with the outcome as a result.
    public func syncResult(
        progress: @escaping @Sendable (SyncProgress) -> Void = { _ in }
    ) async -> Result<SyncReport, SyncFailure> {
        do {
            return .success(try await sync(progress: progress))
        } catch {
            return .failure(error)
        }
    }

    private func run(
        progress: @escaping @Sendable (SyncProgress) -> Void,
        shouldStop: @escaping @Sendable () -> Bool
    ) async -> Result<SyncReport, SyncFailure> {
        var session = SyncSession(configuration: configuration, seed: UInt64.random(in: 0...UInt64.max))
        var step = Step(store: store, transport: transport, physicalClock: physicalClock, progress: progress)
        step.lastSync = lastSync()
        step.pinnedHub = pinnedHub()
        step.acceptedHub = acceptedHub
        step.counterpart = counterpart
        var action = session.start()
        while true {
            switch action {
            case .finished(let report):
                return .success(report)
            case .failed(let failure):
                return .failure(failure)
            default:
                break
            }
            if shouldStop() || Task.isCancelled {
                action = session.cancel()
                continue
            }
            action = await step.perform(action, in: &session, sleep: sleep)
        }
    }

    /// The hub this node last synced with successfully, from the state file; `nil` when it never did or keeps no
    /// state file.
    func pinnedHub() -> NodeID? {
        guard let state = try? stateFile?.load(), state.lastSuccess != nil, let hub = state.hub else { return nil }
        return NodeID(hub)
    }

    /// Where the last successful sync left the two logs, for the hub to check its own against (a hub restored from
    /// an older backup has less): the hub's cursor for this node from the state file, this node's cursor for that
    /// hub from the store. `nil` when the node never synced or keeps no state file.
    func lastSync() -> HandshakeRequest.LastSync? {
        if let peerStateFile { return peerStateFile.lastSync(store) }
        guard let state = try? stateFile?.load(), state.lastSuccess != nil, let hub = state.hub,
            let node = NodeID(hub), let pulledUpTo = try? store.cursor(for: node)
        else { return nil }
        return HandshakeRequest.LastSync(hub: hub, acknowledged: state.acknowledged, pulledUpTo: pulledUpTo)
    }
}
