import SSTCore

extension Store {
    /// The remedy when a node restored from a backup refuses what the hub sends about a record it does not
    /// hold (issue 23, item 7): the record (a report of concern, say) was likely written after the backup, so
    /// the node knows neither it nor the pupil it concerns; the hub sends no field that would name the pupil
    /// (`concern_report.pupil_id` never crosses to a school). The record comes back through the school's
    /// mailbox once the node holds the school key, or is entered again under its id with its pupil.
    static func unknownRecordRemedy(_ change: FieldChange) -> String {
        let roles = SchemaRoles.sst
        let link =
            if case .throughCase(let field) = roles.pupilPath(of: change.entity) {
                "\(field)=CASE-ID"
            } else {
                "\(roles.pupilField(of: change.entity) ?? FieldName.pupilID)=PUPIL-ID"
            }
        return "This node was restored from a backup: \(change.entity) \(change.record) was likely written after "
            + "it, and the pupil it concerns is not named by anything the hub sends. Put the school key back "
            + "(`sst school-key recover --data DIR FILE`) and sync: the \(change.entity) comes back through the "
            + "school's mailbox. Or enter it again under its id with its pupil (the hub's `sst record get --entity "
            + "\(change.entity) --id \(change.record)` names the pupil): `sst record set --data DIR --entity "
            + "\(change.entity) --id \(change.record) \(link) …`, then sync; nothing was applied."
    }
}
