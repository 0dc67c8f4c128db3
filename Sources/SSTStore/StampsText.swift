import SSTCore

/// Writes the `_stamps` column's JSON text (see ``StampLayout``) as UTF-8 bytes.
///
/// Every write of a record's row renders all its stamps, so this is on the merge's hot path: bytes appended to
/// one buffer cost a fraction of `String` appends and interpolation. Strings are escaped by
/// ``CanonicalJSON/renderString(_:into:)``, the canonical writer's own escaping.
struct StampsText {
    private(set) var bytes: [UInt8] = []

    /// The text of a record's stamps: `{"field": [hlc, "node", seq, "side" | null, "context" | null], …}`.
    static func render(_ stamps: [String: RecordSnapshot.StoredStamp]) -> [UInt8] {
        var text = StampsText()
        text.bytes.reserveCapacity(16 + stamps.count * 96)
        text.bytes.append(UInt8(ascii: "{"))
        var first = true
        for (field, stored) in stamps {
            if first { first = false } else { text.bytes.append(UInt8(ascii: ",")) }
            text.string(field)
            text.bytes.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: "[")])
            text.integer(Int64(bitPattern: stored.stamp.timestamp.rawValue))
            text.bytes.append(UInt8(ascii: ","))
            text.string(stored.stamp.node.rawValue)
            text.bytes.append(UInt8(ascii: ","))
            text.integer(stored.sequence)
            text.bytes.append(UInt8(ascii: ","))
            text.optionalString(stored.sourceSide)
            text.bytes.append(UInt8(ascii: ","))
            text.optionalString(stored.contextText)
            text.bytes.append(UInt8(ascii: "]"))
        }
        text.bytes.append(UInt8(ascii: "}"))
        return text.bytes
    }

    private mutating func optionalString(_ string: String?) {
        if let string { self.string(string) } else { bytes.append(contentsOf: Self.null) }
    }

    private static let null: [UInt8] = Array("null".utf8)

    /// A JSON string, escaped as the canonical writer escapes it.
    mutating func string(_ string: String) {
        CanonicalJSON.renderString(string, into: &bytes)
    }

    /// A decimal integer, with a minus sign when negative.
    mutating func integer(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        // At most 20 digits; written backwards into a fixed buffer, then copied in order.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }
}
