import SSTCore

/// What the filter reads of the sending (or receiving) node's state to decide about a change.
///
/// The store implements it over its tables; tests implement it over a dictionary. Lookups that fail
/// (an unknown record) return nil or false, and the filter then withholds.
public protocol PrivacyContext {
    /// The date consents are judged on (UTC).
    var today: CivilDate { get }
    /// The pupil a record concerns: itself for a pupil, `pupil_id` for most entities, the case's pupil
    /// for interventions and meetings.
    func pupil(entity: String, record: RecordID) throws -> RecordID?
    /// Whether the pupil has protected identity (*skyddade personuppgifter*).
    func hasProtectedIdentity(pupil: RecordID) throws -> Bool
    /// Every consent record of the pupil.
    func consents(pupil: RecordID) throws -> [ConsentState]
    /// Whether the pupil is the subject of a report of concern (not deleted).
    func hasConcernReport(pupil: RecordID) throws -> Bool
}
