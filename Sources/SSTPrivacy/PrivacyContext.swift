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
    /// The record's crossing history: non-nil when any value of it crossed the boundary, either way, with the
    /// pupil it concerned then. A purge or a deletion follows the record to the side that holds it, also when
    /// the purge erased what it crossed on.
    func crossedRecord(entity: String, record: RecordID) throws -> CrossedRecord?
}

/// A record some value of which crossed the boundary: the other side holds it.
public struct CrossedRecord: Hashable, Sendable {
    /// The pupil the record concerned when it crossed (nil when not known).
    public let pupil: RecordID?

    public init(pupil: RecordID?) {
        self.pupil = pupil
    }
}

extension PrivacyContext {
    /// No history: a context that keeps none (tests' models) never lets a purge follow a record by it.
    public func crossedRecord(entity: String, record: RecordID) throws -> CrossedRecord? { nil }
}
