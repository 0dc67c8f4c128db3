import Foundation
import SSTCore
import SSTPrivacy
import SSTStore
import SSTSync

/// B3's and B8's pushes: every node's handshake, export and push at once (and with `pullStart` its pull after).
extension FanInFigure {
    /// Lets every node push at once to the hub at `url`, and with `pullStart` then pull at once; with a `probe`,
    /// a second node of the first node's school then joins through the relay and pulls (untimed).
    static func pushAll(
        url: String,
        hub: Store,
        _ members: [Member],
        _ stores: [Store],
        changes: Int,
        pullStart: StartGate?,
        probe: Probe?
    ) async throws -> HubRun {
        let gate = StartGate(expected: members.count)
        // The pulls start where the pushes began in the hub's log: the first push applied, in every pull.
        let pullSince = try hub.lastSequence()
        let outcomes = await withTaskGroup(of: Outcome.self) { group in
            for (member, store) in zip(members, stores) {
                group.addTask {
                    await Self.push(
                        store: store,
                        url: url,
                        tls: member.tls,
                        changes: changes,
                        gate: gate,
                        pullStart: pullStart,
                        pullSince: pullSince
                    )
                }
            }
            var outcomes: [Outcome] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let start = await gate.openedAt ?? Measure.now()
        let total = (outcomes.map(\.end).max() ?? start) - start
        var run = HubRun(outcomes: outcomes, total: total)
        if let pullStart, let pullsFrom = await pullStart.openedAt {
            run.pullTotal = (outcomes.map(\.pullEnd).max() ?? pullsFrom) - pullsFrom
        }
        run.lastSequences = try stores.map { try $0.lastSequence() }
        if let probe {
            run.probe = await runProbe(probe, url: url, members: members, stores: stores)
        }
        return run
    }

    /// One node: its HTTP client, then (once every node is ready) a handshake, the export and the push; with
    /// `pullStart`, once every node has its answer, one pull.
    static func push(
        store: Store,
        url: String,
        tls: TLSFiles,
        changes: Int,
        gate: StartGate,
        pullStart: StartGate?,
        pullSince: Int64
    ) async -> Outcome {
        var arrived = false
        var arrivedToPull = false
        var outcome = Outcome()
        do {
            try await HTTPSyncTransport.withTransport(
                configuration: HTTPSyncTransport.Configuration(hubURL: url),
                tls: try tls.clientConfiguration(verifyHostname: true),
                logger: District.logger
            ) { transport in
                arrived = true
                await gate.arrive()
                let handshakeStart = Measure.now()
                let handshake = try await transport.handshake(
                    HandshakeRequest(
                        policyHash: store.policy.hash,
                        nodeTime: UInt64(Date().timeIntervalSince1970 * 1000),
                        lastSequence: try store.lastSequence()
                    )
                )
                let exportStart = Measure.now()
                outcome.handshakeSeconds = exportStart - handshakeStart
                let set = try store.exportChanges(for: District.hubPeer, since: handshake.cursor, limit: changes)
                let start = Measure.now()
                outcome.exportSeconds = start - exportStart
                let response = try await transport.push(set)
                outcome.end = Measure.now()
                outcome.pushSeconds = outcome.end - start
                outcome.received = response.received
                outcome.applied = response.applied
                guard let pullStart else { return }
                arrivedToPull = true
                await pullStart.arrive()
                let pullStarted = Measure.now()
                do {
                    let pull = try await transport.pull(since: pullSince, limit: SyncProtocol.defaultBatchSize)
                    outcome.pulled = pull.changeSet.changes.count
                    outcome.pullSeconds = Measure.now() - pullStarted
                } catch {
                    outcome.pullError = "\(error)"
                }
                outcome.pullEnd = Measure.now()
            }
        } catch {
            if !arrived { await gate.arrive() }
            if let pullStart, !arrivedToPull { await pullStart.arrive() }
            outcome.end = Measure.now()
            outcome.error = "\(error)"
        }
        return outcome
    }
}
