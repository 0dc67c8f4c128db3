import SSTCore

/// Writes the `_stamps` column's JSON text (see ``StampLayout``) as UTF-8 bytes.
///
/// Every write of a record's row renders all its stamps, so this is on the merge's hot path: bytes appended to
/// one buffer cost a fraction of `String` appends and interpolation. Strings are escaped as
/// ``CanonicalJSON/renderString(_:into:)`` escapes them, so the text is the same either way.
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

    /// A JSON string: `"`, `\` and the control characters escaped, everything else copied as it is.
    mutating func string(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        let utf8 = string.utf8
        if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: utf8)
        } else {
            for byte in utf8 { escape(byte) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escape(_ byte: UInt8) {
        let backslash = UInt8(ascii: "\\")
        switch byte {
        case UInt8(ascii: "\""), backslash: bytes.append(contentsOf: [backslash, byte])
        case UInt8(ascii: "\n"): bytes.append(contentsOf: [backslash, UInt8(ascii: "n")])
        case UInt8(ascii: "\r"): bytes.append(contentsOf: [backslash, UInt8(ascii: "r")])
        case UInt8(ascii: "\t"): bytes.append(contentsOf: [backslash, UInt8(ascii: "t")])
        case 0..<0x20:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        default: bytes.append(byte)
        }
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
