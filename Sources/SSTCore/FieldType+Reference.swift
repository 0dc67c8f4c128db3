extension FieldType {
    /// The entity whose records a reference field names (`pupil_id` → `pupil`, `given_by` → `guardian`), or nil
    /// for a field that names no record.
    public var referencedEntity: String? {
        switch self {
        case .reference(let entity), .referenceList(let entity): entity
        default: nil
        }
    }
}

extension Value {
    /// The record ids a reference field's value names: one for a reference, each item of a reference list, none
    /// for null or a value of another kind.
    public var referencedRecords: [RecordID] {
        switch self {
        case .string(let text): RecordID(text).map { [$0] } ?? []
        case .list(let items): items.compactMap(RecordID.init)
        default: []
        }
    }
}
