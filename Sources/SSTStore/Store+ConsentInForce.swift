import GRDB
import SSTCore
import SSTPrivacy

extension Store {
    /// Sends a pupil's data again when one of their consents has come into force by the clock alone (a
    /// consent valid from a later day): gives the pupil's fields new sequence numbers, as a grant does, so
    /// the next export carries them with their original stamps. Each consent does this once; runs before
    /// every export for the other side. Returns the pupils whose data will be sent again.
    @discardableResult
    public func resendForConsentsComingIntoForce() throws -> Set<RecordID> {
        let today = CivilDate(millisecondsSinceEpoch: physicalClock.milliseconds())
        let candidatesSQL = """
            SELECT DISTINCT pupil_id FROM consent
            WHERE status = 'active' AND NOT _purged AND pupil_id IS NOT NULL
                AND id NOT IN (SELECT consent_id FROM sst_consent_in_force)
            """
        // Usually every active consent is known to be in force already: find that out without a write
        // transaction (whose commit would cost a WAL sync before every export batch).
        guard try writer.read({ db in try Bool.fetchOne(db, sql: "SELECT EXISTS (\(candidatesSQL))") ?? false })
        else { return [] }
        var pupils: Set<RecordID> = []
        try withSession { session in
            let context = StorePrivacyContext(db: session.db, today: today)
            let candidates = try String.fetchAll(session.db, sql: candidatesSQL).compactMap(RecordID.init)
            for pupil in candidates {
                for consent in try context.consents(pupil: pupil) where consent.isInForce(on: today) {
                    try session.db.execute(
                        sql: "INSERT OR IGNORE INTO sst_consent_in_force (consent_id) VALUES (?)",
                        arguments: [consent.id.rawValue]
                    )
                    if session.db.changesCount > 0 { pupils.insert(pupil) }
                }
            }
        } afterwards: { session, _ in
            for pupil in pupils.sorted() { try Self.resend(pupil: pupil, &session) }
        }
        return pupils
    }
}
