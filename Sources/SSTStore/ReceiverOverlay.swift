import GRDB
import SSTCore
import SSTPrivacy

/// The values a change set writes to the columns the privacy filter reads, as the merge would store them
/// if every one of them won: what the receiver's filter needs to decide on the state before the merge as
/// if it were the state after it (see ``Store/apply(_:from:)``).
///
/// The filter reads a record's pupil and case references (`pupil_id`, `case_id`), a pupil's protection flag
/// (`protected_identity`), a consent's scopes, status and validity (`scopes`, `status`, `valid_from`,
/// `valid_until`), a report of concern's `_deleted`, and every record's `_purged` (a purge erases the record's
/// columns); each found by its role in the schema (``SchemaRoles``). Those are the set's *filter inputs*. The
/// overlay is exact when the state it lies over is the one the merge starts from and every filter input of the
/// set ends as the stored value: the set wrote each once (``isUsable``), and none lost its merge (checked as
/// the merge goes, ``FilterInputCheck``).
package struct ReceiverOverlay {
    /// Record → column → the value the set writes there.
    private var columns: [RecordKey: [String: DatabaseValue]] = [:]
    /// Records the set purges: every column null, the marker set.
    private var purged: Set<RecordKey> = []
    /// Entity (`consent`, `concern_report`) → pupil → the records whose pupil reference the set sets to that
    /// pupil.
    private var named: [String: [RecordID: Set<RecordID>]] = [:]
    /// False when the set writes one filter input twice: which value ends stored is the merge's to say.
    private(set) var isUsable = true

    /// The entities whose records the filter finds by their pupil reference, not only by id: the consent and
    /// the legal-duty entities, each with the field naming the pupil.
    static let entitiesFoundByPupil: [String: String] = Dictionary(
        uniqueKeysWithValues: [(SchemaRoles.sst.consent, SchemaRoles.sst.consentPupil)]
            + SchemaRoles.sst.legalDuty.map { ($0.entity, $0.pupilField) }
    )

    /// Entity → the fields of it the filter reads beyond the references and the purge marker: the pupil's
    /// protection flag, a consent's scopes, status and validity, a legal-duty record's tombstone.
    private static let entityInputs: [String: Set<String>] = {
        let roles = SchemaRoles.sst
        var inputs: [String: Set<String>] = [
            roles.pupil: [roles.protectionFlag],
            roles.consent: Set(StorePrivacyContext.consentColumns),
        ]
        for duty in roles.legalDuty { inputs[duty.entity, default: []].insert(Schema.deletedField) }
        return inputs
    }()

    init(_ changes: [FieldChange]) {
        var written: Set<FieldKey> = []
        for change in changes where Self.isFilterInput(entity: change.entity, field: change.field) {
            if !written.insert(FieldKey(entity: change.entity, record: change.record, field: change.field)).inserted {
                isUsable = false
            }
            let key = RecordKey(entity: change.entity, record: change.record)
            if change.field == Schema.purgedField {
                purged.insert(key)
                continue
            }
            columns[key, default: [:]][change.field] = ColumnCoding.databaseValue(change.value)
            if let pupilField = Self.entitiesFoundByPupil[change.entity], change.field == pupilField,
                case .string(let text) = change.value, let pupil = RecordID(text)
            {
                named[change.entity, default: [:]][pupil, default: []].insert(change.record)
            }
        }
    }

    /// Whether the filter reads this field of this entity (see the type's description).
    static func isFilterInput(entity: String, field: String) -> Bool {
        if field == Schema.purgedField || SchemaRoles.sst.referenceFields.contains(field) { return true }
        return entityInputs[entity]?.contains(field) ?? false
    }

    /// The records of `entity` whose pupil reference the set sets to `pupil`.
    func records(of entity: String, namingPupil pupil: RecordID) -> Set<RecordID> {
        named[entity]?[pupil] ?? []
    }

    /// Columns of a record as the set leaves them, when the set alone decides every one of them (nil when the
    /// stored row is needed): the set purges the record, or it writes each column asked for. The purge marker
    /// is then clear: were the record purged here, the set's filter inputs for it could not end stored, and
    /// the overlay would not be used (``FilterInputCheck``).
    func columnsDecidedBySet(_ names: [String], entity: String, record: RecordID) -> [String: DatabaseValue]? {
        let key = RecordKey(entity: entity, record: record)
        if purged.contains(key) {
            return patch(
                Dictionary(uniqueKeysWithValues: names.map { ($0, DatabaseValue.null) }),
                entity: entity,
                record: record
            )
        }
        guard let written = columns[key] else { return nil }
        var row: [String: DatabaseValue] = [:]
        for name in names {
            if name == Schema.purgedField {
                row[name] = 0.databaseValue
            } else if let value = written[name] {
                row[name] = value
            } else {
                return nil
            }
        }
        return row
    }

    /// `stored` (a record's columns before the merge, empty when it has no row) as the set leaves them.
    func patch(_ stored: [String: DatabaseValue], entity: String, record: RecordID) -> [String: DatabaseValue] {
        let key = RecordKey(entity: entity, record: record)
        if purged.contains(key) {
            var erased = stored.mapValues { _ in DatabaseValue.null }
            erased[Schema.deletedField] = 0.databaseValue
            erased[Schema.purgedField] = 1.databaseValue
            return erased
        }
        guard let written = columns[key] else { return stored }
        var row = stored
        for (column, value) in written where row.keys.contains(column) { row[column] = value }
        // A record new to this node gets a row with the markers' defaults.
        for marker in [Schema.deletedField, Schema.purgedField] where row[marker]?.isNull ?? false {
            row[marker] = 0.databaseValue
        }
        return row
    }

    private struct FieldKey: Hashable {
        let entity: String
        let record: RecordID
        let field: String
    }
}

/// Whether every filter input of a change set ended as the stored value, worked out change by change as
/// the merge goes (see ``ReceiverOverlay``).
struct FilterInputCheck {
    /// Starts false when nobody asked (`tracking` false): it then stays false and the merge pays nothing for it.
    private(set) var holds: Bool

    init(tracking: Bool) {
        holds = tracking
    }

    /// Records the outcome of merging `change`: `applied` when the merge wrote it, else `stored` is the state
    /// the field holds now (nil when it holds none, as in a purged record).
    mutating func record(_ change: FieldChange, applied: Bool, stored: () throws -> FieldState?) rethrows {
        guard holds, !applied, ReceiverOverlay.isFilterInput(entity: change.entity, field: change.field) else {
            return
        }
        // Whichever purge marker wins, the record ends purged, as the overlay says.
        if change.field == Schema.purgedField { return }
        guard let stored = try stored() else {
            holds = false
            return
        }
        holds = stored.stamp == change.stamp && stored.value == change.value
    }
}
