import GRDB
import SSTCore
import SSTPrivacy
import Synchronization

/// The day and sequence number at which a store last found no consent to come into force. Nothing new can
/// come into force until the day changes or the store changes (every write, local or merged, takes a new
/// sequence number), so the check at each session's start runs once until then.
final class ConsentsChecked: Sendable {
    private let mark = Mutex<(day: CivilDate, lastSequence: Int64)?>(nil)

    func isClear(on day: CivilDate, at lastSequence: Int64) -> Bool {
        mark.withLock { $0.map { $0.day == day && $0.lastSequence == lastSequence } ?? false }
    }

    func clear(on day: CivilDate, at lastSequence: Int64) {
        mark.withLock { $0 = (day, lastSequence) }
    }
}

extension Store {
    /// Sends a pupil's data again when one of their consents has come into force by the clock alone (a
    /// consent valid from a later day): gives the pupil's fields new sequence numbers, as a grant does, so
    /// the next export carries them with their original stamps. Each consent does this once. A sync runs it
    /// at the start of each session with the other side (the node before its handshake, the hub on a school
    /// node's handshake), a file export before it exports; the export itself writes nothing. Returns the
    /// pupils whose data will be sent again.
    @discardableResult
    public func resendForConsentsComingIntoForce() throws -> Set<RecordID> {
        let today = CivilDate(millisecondsSinceEpoch: physicalClock.milliseconds())
        let candidatesSQL = """
            SELECT DISTINCT pupil_id FROM consent
            WHERE status = 'active' AND NOT _purged AND pupil_id IS NOT NULL
                AND id NOT IN (SELECT consent_id FROM sst_consent_in_force)
            """
        // Read before the check: a write after it has a later sequence number and makes the next export check again.
        let lastSequence = try lastSequence()
        if consentsChecked.isClear(on: today, at: lastSequence) { return [] }
        // Usually every active consent is known to be in force already: find that out without a write
        // transaction (whose commit would cost a WAL sync before every export batch).
        guard try writer.read({ db in try Bool.fetchOne(db, sql: "SELECT EXISTS (\(candidatesSQL))") ?? false })
        else {
            consentsChecked.clear(on: today, at: lastSequence)
            return []
        }
        var pupils: Set<RecordID> = []
        try withSession { session in
            let candidates = try String.fetchAll(session.db, sql: candidatesSQL).compactMap(RecordID.init)
            pupils = try Self.markConsentsInForce(of: candidates, on: today, session.db)
        } afterwards: { session, _ in
            for pupil in pupils.sorted() { try Self.resend(pupil: pupil, &session) }
        }
        // The candidates left are consents valid from a later day: nothing to do until then, or a write.
        if pupils.isEmpty { consentsChecked.clear(on: today, at: lastSequence) }
        return pupils
    }

    /// Records as in force (`sst_consent_in_force`) each consent of `pupils` in force on `today`; returns the
    /// pupils one of whose consents was not recorded yet. Whoever calls it resends those pupils' data in the
    /// same transaction: a merge that brings a consent resends its pupil at once, and records the consent here
    /// so that the next session's ``resendForConsentsComingIntoForce()`` does not send the pupil again.
    static func markConsentsInForce(
        of pupils: some Sequence<RecordID>,
        on today: CivilDate,
        _ db: Database
    ) throws -> Set<RecordID> {
        let context = StorePrivacyContext(db: db, today: today)
        var marked: Set<RecordID> = []
        for pupil in pupils {
            for consent in try context.consents(pupil: pupil) where consent.isInForce(on: today) {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO sst_consent_in_force (consent_id) VALUES (?)",
                    arguments: [consent.id.rawValue]
                )
                if db.changesCount > 0 { marked.insert(pupil) }
            }
        }
        return marked
    }
}
