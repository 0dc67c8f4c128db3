import Logging
import NIOHTTP1
import SSTCore
import SSTStore

/// A transport that can ask the hub whether its recovery window is open (`GET /v2/recovery`).
public protocol RecoveryTransport: Sendable {
    /// The hub's answer; `nil` when there is none to ask (a peer) or the hub does not know the endpoint.
    func recoveryAnswer() async throws(SyncFailure) -> RecoveryAnswer?
}

extension HTTPSyncTransport: RecoveryTransport {
    public func recoveryAnswer() async throws(SyncFailure) -> RecoveryAnswer? {
        guard configuration.peerSchool == nil else { return nil }
        do throws(SyncFailure) {
            let answer: RecoveryAnswer = try await send(.GET, RecoveryRoutes.fullPath, body: nil)
            return answer
        } catch let failure where failure.problem?.statusCode == 404 {
            // A hub of an earlier version: it has no window to open.
            return nil
        }
    }
}

extension NodeSynchronizer {
    /// Asks the hub whether its recovery window is open and records the answer in the node's store
    /// (``Store/hubRecoveryAnswered(by:open:previous:until:)``): while it is, this node's pushes give back the values
    /// of social services' fields the hub wrote under a previous id and lost with a restore. Called before a sync
    /// with the hub; only the hub this node may sync with (the one it follows, or the one `--accept-hub` names) is
    /// heard. A failure is logged and changes nothing: the sync goes on, withholding those values as ever.
    public func refreshHubRecovery() async {
        guard counterpart == .hub, let transport = transport as? any RecoveryTransport else { return }
        do {
            guard let answer = try await transport.recoveryAnswer(), let hub = NodeID(answer.hub),
                Step.checkPin(hub, pinned: pinnedHub(), accepted: acceptedHub) == nil
            else { return }
            let queued = try store.hubRecoveryAnswered(
                by: hub,
                open: answer.open,
                previous: answer.previous.compactMap(NodeID.init),
                until: answer.until
            )
            if queued > 0 {
                logger.notice(
                    "the hub's recovery window is open: values it lost are given back at this sync",
                    metadata: ["hub": "\(hub)", "values": "\(queued)"]
                )
            }
        } catch {
            logger.warning("cannot learn whether the hub's recovery window is open", metadata: ["error": "\(error)"])
        }
    }
}
