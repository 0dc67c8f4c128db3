import GRDB
import SSTCore
import SSTPrivacy

/// What the receiver of a set from the other side takes without the filter's judgement, so that a purge
/// (*gallring*) or a deletion is never refused and a purged record never comes back (issue 23, item 2):
///
/// - a purge marker or a deletion carries no value: the receiver takes it even when its own history cannot
///   show the record crossed (a node restored from a backup taken before the crossing, a second node of the
///   school that got the record from the first). The sender judged it on its own history.
/// - a value of a record purged here (before the set, or by the set itself) is dropped by the merge and never
///   stored (``MergeSession``): it is neither judged nor audited as received, so a late set, a node restored
///   from a backup that pushes its old log again, or a hub that answers with what another node sent, is not
///   refused for what it can no longer change.
///
/// The decision rests on the set, the crossing history and which records are purged before the set or by it:
/// the same on the overlay before the merge and on the state after it.
extension Store {
    static func takingMarkersAndDroppingPurgedValues(
        _ result: FilterResult,
        of changeSet: ChangeSet,
        schema: Schema,
        context: StorePrivacyContext
    ) throws -> FilterResult {
        let purgedBySet = Set(
            changeSet.changes.lazy.filter { $0.field == Schema.purgedField }
                .map { RecordKey(entity: $0.entity, record: $0.record) }
        )
        var known: [RecordKey: Bool] = [:]
        func purgedHere(_ change: FieldChange) throws -> Bool {
            let key = RecordKey(entity: change.entity, record: change.record)
            if purgedBySet.contains(key) { return true }
            if let answer = known[key] { return answer }
            guard schema.entity(named: change.entity) != nil else { return false }
            let purged =
                try Bool.fetchOne(
                    context.db.cachedStatement(
                        sql: "SELECT _purged FROM \(ColumnCoding.quoted(change.entity)) WHERE id = ?"
                    ),
                    arguments: [change.record.rawValue]
                ) ?? false
            known[key] = purged
            return purged
        }
        func isMarker(_ change: FieldChange) -> Bool {
            schema.entity(named: change.entity) != nil
                && (change.field == Schema.purgedField || change.field == Schema.deletedField)
                && change.value == .boolean(true)
        }
        var taken = result
        taken.allowed = []
        taken.withheld = []
        for item in result.allowed {
            if try isMarker(item.change) || !purgedHere(item.change) { taken.allowed.append(item) }
        }
        for item in result.withheld {
            if isMarker(item.change) {
                let pupil =
                    try context.crossedRecord(entity: item.change.entity, record: item.change.record)?.pupil
                    ?? context.pupil(entity: item.change.entity, record: item.change.record)
                let grant = PrivacyFilter.Grant(basis: .administrative, consent: nil)
                taken.allowed.append(FilterResult.Allowed(change: item.change, pupil: pupil, grant: grant))
            } else if try !purgedHere(item.change) {
                taken.withheld.append(item)
            }
        }
        return taken
    }
}
