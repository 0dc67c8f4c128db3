import Dispatch
import GRDB
import SSTCore
import SSTPrivacy
import Synchronization

/// What the receiver of a change set from the other side works out about it besides the merge: the
/// filter's decisions, the audit entries for what crossed, and the pupils whose consent records it changes.
struct ReceiverDecisions: Equatable, Sendable {
    var allowed: [FilterResult.Allowed]
    var withheld: [FilterResult.Withheld]
    /// Empty when something is withheld: the set is then refused whole.
    var audit: [RenderedAuditEntry]
    var consentPupils: Set<RecordID>
}

/// A value worked out on another connection while the writer works; ``wait()`` blocks until it is there.
final class Alongside<Value: Sendable>: Sendable {
    private let outcome = Mutex<Result<Value, any Error>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    func finish(_ result: Result<Value, any Error>) {
        outcome.withLock { $0 = result }
        done.signal()
    }

    /// The value, or the error that stopped it; waits for it once.
    func wait() -> Result<Value, any Error> {
        if let known = outcome.withLock({ $0 }) { return known }
        done.wait()
        return outcome.withLock { $0! }
    }
}

extension Store {
    /// The receiver's decisions about `changeSet`, read through `context`: the state after the set's merge.
    static func receiverDecisions(
        for changeSet: ChangeSet,
        filter: PrivacyFilter,
        context: StorePrivacyContext,
        direction: Direction,
        sender: String,
        at physical: UInt64
    ) throws -> ReceiverDecisions {
        let result = try takingMarkersAndDroppingPurgedValues(
            try filter.filter(changeSet.changes, direction: direction, context: context),
            of: changeSet,
            schema: filter.schema,
            context: context
        )
        let audit =
            result.withheld.isEmpty
            ? crossingEntries(
                result.allowed,
                kind: .received,
                direction: direction,
                peer: sender,
                at: physical,
                detail: "sequence \(changeSet.since)–\(changeSet.upTo)"
            ).map(RenderedAuditEntry.init) : []
        return ReceiverDecisions(
            allowed: result.allowed,
            withheld: result.withheld,
            audit: audit,
            consentPupils: try pupilsWithConsentChanges(changeSet, context: context)
        )
    }

    /// The receiver's decisions worked out on the state before the merge, with the set laid over it
    /// (``ReceiverOverlay``), on a reader connection while the writer merges; with the last sequence number
    /// of the state it read, so that the writer can tell it is the state its transaction started from.
    func receiverDecisionsAlongside(
        for changeSet: ChangeSet,
        direction: Direction,
        sender: String,
        at physical: UInt64
    ) -> @Sendable (Database) throws -> (decisions: ReceiverDecisions, lastSequence: Int64)? {
        let filter = privacyFilter
        return { db in
            let overlay = ReceiverOverlay(changeSet.changes)
            guard overlay.isUsable else { return nil }
            let context = StorePrivacyContext(
                db: db,
                today: CivilDate(millisecondsSinceEpoch: physical),
                overlay: overlay
            )
            let decisions = try Self.receiverDecisions(
                for: changeSet,
                filter: filter,
                context: context,
                direction: direction,
                sender: sender,
                at: physical
            )
            return (decisions, try ClockState.load(db).lastSequence)
        }
    }
}
