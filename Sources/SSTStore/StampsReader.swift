import SSTCore

/// Reads a record's `_stamps` text (see ``StampLayout``) straight from its bytes.
///
/// Every merge into a stored record reads its stamps first. Reading them with `json_each` and `->>` makes SQLite
/// parse the text once for the object and once more for every part of every stamp; this reads it once. It
/// reads what the store writes — ``StampsText`` or SQLite's JSON functions: an object of
/// `[hlc, "node", seq, "side" | null, "context" | null]` arrays — and gives up (nil) on anything else, so that
/// the caller reads the record with SQLite's JSON functions instead. A stamp whose node is not a valid node id
/// is left out, as the query leaves it out.
struct StampsReader {
    private var tokens: JSONTokens
    /// The node of the last stamp read: a record's stamps mostly share one, checked once.
    private var lastNode: NodeID?

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        tokens = JSONTokens(bytes: bytes)
    }

    static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> [String: RecordSnapshot.StoredStamp]? {
        var reader = StampsReader(bytes)
        guard let stamps = reader.object(), reader.tokens.atEnd() else { return nil }
        return stamps
    }

    private mutating func object() -> [String: RecordSnapshot.StoredStamp]? {
        var stamps: [String: RecordSnapshot.StoredStamp] = [:]
        guard var more = tokens.beginObject() else { return nil }
        while more {
            guard let field = tokens.memberName(), let entry = stamp(), let next = tokens.nextMember() else {
                return nil
            }
            if let entry { stamps[field] = entry }
            more = next
        }
        return stamps
    }

    /// One stamp; `.some(nil)` for a well-formed stamp whose node is not a valid node id.
    private mutating func stamp() -> RecordSnapshot.StoredStamp?? {
        let comma = UInt8(ascii: ",")
        guard tokens.consume(UInt8(ascii: "[")), let hlc = tokens.integer(), tokens.consume(comma),
            let nodeText = tokens.string(), tokens.consume(comma),
            let sequence = tokens.integer(), tokens.consume(comma),
            let side = optionalString(), tokens.consume(comma),
            let context = optionalString(), tokens.consume(UInt8(ascii: "]"))
        else { return nil }
        let node = lastNode?.rawValue == nodeText ? lastNode : NodeID(nodeText)
        guard let node else { return .some(nil) }
        lastNode = node
        return RecordSnapshot.StoredStamp(
            stamp: Stamp(timestamp: Timestamp(rawValue: UInt64(bitPattern: hlc)), node: node),
            contextText: context,
            sourceSide: side,
            sequence: sequence
        )
    }

    /// A string or null: `.some(nil)` for null, nil when it is neither.
    private mutating func optionalString() -> String?? {
        if tokens.literal("null") { return .some(nil) }
        return tokens.string().map { .some($0) }
    }
}
