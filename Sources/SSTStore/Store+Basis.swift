import GRDB
import SSTCore
import SSTPrivacy

/// A bounded export (one sync batch) ends at a sequence number, but the crossing of a field in it can rest on
/// a record whose fields come later in the sequence: the consent in force, a report of concern, or the field
/// that ties the record to its pupil (`pupil_id`, or `case_id` and the case's `pupil_id`). The receiver checks
/// each set alone against its own state, so a batch carries those fields along; they are sent again, unchanged,
/// in their own batch, where merging them alters nothing.
extension Store {
    /// The fields after `upTo` that the receiver needs to see why each of `allowed` may cross: every such field
    /// of the records named above, each once, with its current value and original stamp. Unfiltered: the caller
    /// filters them like any other change.
    static func basisAfterBatch(
        of allowed: [FilterResult.Allowed],
        upTo: Int64,
        schema: Schema,
        context: StorePrivacyContext
    ) throws -> [FieldChange] {
        let db = context.db
        let roles = SchemaRoles.sst
        // What the batch itself brings: records whose link is in it, pupils with a report of concern in it.
        var linked: Set<RecordKey> = []
        var reported: Set<String> = []
        for item in allowed {
            let change = item.change
            guard change.field == Self.linkField(of: change.entity) else { continue }
            linked.insert(RecordKey(entity: change.entity, record: change.record))
            if roles.isLegalDuty(change.entity), case .string(let pupil) = change.value { reported.insert(pupil) }
        }

        var basis: [RecordKey] = []
        var considered: Set<RecordKey> = []
        var linksFollowed: Set<RecordKey> = []
        var pupilsWithReport: Set<RecordID> = []
        func add(_ key: RecordKey) {
            if considered.insert(key).inserted { basis.append(key) }
        }
        for item in allowed {
            let change = item.change
            let record = RecordKey(entity: change.entity, record: change.record)
            if Self.linkField(of: change.entity) != nil, linksFollowed.insert(record).inserted {
                if !linked.contains(record) { add(record) }
                // An intervention or a meeting reaches its pupil through its case's pupil reference.
                if case .throughCase(let field) = roles.pupilPath(of: change.entity),
                    let caseID = try context.reference(entity: change.entity, record: change.record, column: field)
                {
                    let caseRecord = RecordKey(entity: roles.sstCase, record: caseID)
                    if !linked.contains(caseRecord) { add(caseRecord) }
                }
            }
            if let consent = item.grant.consent { add(RecordKey(entity: roles.consent, record: consent)) }
            if item.grant.basis == .legalDuty, !roles.isLegalDuty(change.entity), let pupil = item.pupil,
                !reported.contains(pupil.rawValue), pupilsWithReport.insert(pupil).inserted,
                let report = try context.concernReport(pupil: pupil)
            {
                add(report)
            }
        }
        guard !basis.isEmpty else { return [] }

        let session = try MergeSession(db: db, schema: schema, state: ClockState.load(db))
        var changes: [FieldChange] = []
        for key in basis {
            guard let entity = schema.entity(named: key.entity) else { continue }
            let stamps = try session.stamps(entity: key.entity, record: key.record)
            let changed = stamps.filter { $0.value.sequence > upTo }.sorted { $0.value.sequence < $1.value.sequence }
            for (name, _) in changed {
                guard let field = entity.field(named: name) else { continue }
                if field.merge == .text {
                    let register = try session.textRegister(entity: entity, record: key.record, field: field)
                    changes += register.values.map {
                        FieldChange(entity: entity.name, record: key.record, field: field.name, state: $0)
                    }
                    continue
                }
                guard let state = try session.currentState(entity: entity, record: key.record, field: field) else {
                    continue
                }
                changes.append(FieldChange(entity: entity.name, record: key.record, field: field.name, state: state))
            }
        }
        return changes
    }

    /// The field that ties a record of `entity` to its pupil: its case reference for the entities of a case
    /// (`case_id`), else its pupil reference (`pupil_id`); nil for the pupil itself.
    static func linkField(of entity: String) -> String? { SchemaRoles.sst.linkField(of: entity) }
}
