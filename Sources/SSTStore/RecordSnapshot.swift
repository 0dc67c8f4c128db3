import GRDB
import SSTCore

/// What a ``MergeSession`` knows of one record: each part (stamps, row, conflicts) read when first needed.
final class RecordSnapshot {
    /// A field's stamp with its context as stored (JSON text, parsed only when asked for).
    struct StoredStamp {
        let stamp: Stamp
        let contextText: String?
        /// The side the value was received from, nil for this side's own.
        let sourceSide: String?
        /// The field's local sequence number: where it stands in the log.
        let sequence: Int64
    }

    let entity: String
    let record: RecordID
    /// Each field's stamp; nil until read.
    var stamps: [String: StoredStamp]?
    /// The row's columns by field name; nil until read, empty when there is no row.
    var row: [String: DatabaseValue]?
    /// The `sst_conflict` values of each text field, in key order; nil until read.
    var conflicts: [String: [FieldState]]?
    /// The side each conflict value was received from, by field and stamp (absent: this side's own);
    /// read with `conflicts`.
    var conflictSides: [String: [Stamp: String]]?

    /// While a session batches (``MergeSession/batchesRecordWrites``): the columns written and not yet stored,
    /// the fields whose new stamps (in `stamps`) are not yet stored, and the fields with the stored numbers
    /// whose log rows those writes leave. ``MergeSession/flushHeldWrites()`` stores them in one statement on the
    /// row and one log row per node.
    var heldColumns: [String: DatabaseValue] = [:]
    var heldFields: Set<String> = []
    var released: [(field: String, seq: Int64)] = []

    init(entity: String, record: RecordID) {
        self.entity = entity
        self.record = record
    }
}
