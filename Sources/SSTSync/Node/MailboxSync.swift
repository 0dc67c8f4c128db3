import Logging
import SSTCore
import SSTStore

extension NodeSynchronizer {
    /// Runs the relay through the school's sealed mailbox (``MailboxRelay``) after the boundary sync's `result`,
    /// when this synchronizer has ``mailbox`` settings and its transport reaches the mailbox.
    ///
    /// The boundary result stands: the relay's outcome goes into the report (``SyncReport/mailbox``), a relay
    /// failure included. When the boundary sync was refused here or at the hub (a school node that lacks the
    /// consents the hub's case work rests on refuses that pull), the relay still runs, and when it applied
    /// something from the school's other nodes the boundary sync runs once more (`again`).
    func relayThroughMailbox(
        after result: Result<SyncReport, SyncFailure>,
        again: () async -> Result<SyncReport, SyncFailure>
    ) async -> Result<SyncReport, SyncFailure> {
        guard let mailbox, let reach = transport as? any MailboxTransport else { return result }
        let relay = MailboxRelay(
            store: store,
            transport: reach,
            settings: mailbox,
            physicalClock: physicalClock,
            logger: logger
        )
        switch result {
        case .success(var report):
            report.mailbox = await relay.run()
            return .success(report)
        case .failure(let failure) where failure.kind == .local || failure.kind == .refused:
            guard let relayed = await relay.run() else { return result }
            guard relayed.blobsApplied > 0 else {
                logger.info("the mailbox relay brought nothing that could change the refused boundary sync")
                return result
            }
            switch await again() {
            case .success(var report):
                report.mailbox = relayed
                return .success(report)
            case .failure(let second):
                return .failure(second)
            }
        case .failure:
            return result
        }
    }
}
