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
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    /// The node of the last stamp read: a record's stamps mostly share one, checked once.
    private var lastNode: NodeID?

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> [String: RecordSnapshot.StoredStamp]? {
        var reader = StampsReader(bytes)
        guard let stamps = reader.object() else { return nil }
        reader.skipSpace()
        return reader.index == bytes.count ? stamps : nil
    }

    private mutating func object() -> [String: RecordSnapshot.StoredStamp]? {
        var stamps: [String: RecordSnapshot.StoredStamp] = [:]
        guard consume(UInt8(ascii: "{")) else { return nil }
        if consume(UInt8(ascii: "}")) { return stamps }
        repeat {
            guard let field = string(), consume(UInt8(ascii: ":")), let entry = stamp() else { return nil }
            if let entry { stamps[field] = entry }
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "}")) ? stamps : nil
    }

    /// One stamp; `.some(nil)` for a well-formed stamp whose node is not a valid node id.
    private mutating func stamp() -> RecordSnapshot.StoredStamp?? {
        guard consume(UInt8(ascii: "[")), let hlc = integer(), consume(UInt8(ascii: ",")),
            let nodeText = string(), consume(UInt8(ascii: ",")),
            let sequence = integer(), consume(UInt8(ascii: ",")),
            let side = optionalString(), consume(UInt8(ascii: ",")),
            let context = optionalString(), consume(UInt8(ascii: "]"))
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

    // MARK: Values

    /// A string or null: `.some(nil)` for null, nil when it is neither.
    private mutating func optionalString() -> String?? {
        skipSpace()
        if matches("null") { return .some(nil) }
        return string().map { .some($0) }
    }

    private mutating func matches(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// A decimal integer that fits in 64 bits (no fraction, no exponent).
    private mutating func integer() -> Int64? {
        skipSpace()
        let negative = consumeByte(UInt8(ascii: "-"))
        var magnitude: UInt64 = 0
        let start = index
        while index < bytes.count, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
            let (times, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, carry) = times.addingReportingOverflow(UInt64(digit))
            guard !overflow, !carry else { return nil }
            magnitude = sum
            index += 1
        }
        guard index > start else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// A JSON string, its escapes decoded.
    private mutating func string() -> String? {
        skipSpace()
        guard consumeByte(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                defer { index += 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            case UInt8(ascii: "\\"):
                return escapedString(from: start)
            case 0..<0x20:
                return nil
            default:
                index += 1
            }
        }
        return nil
    }

    /// The rest of a string that has an escape, from its first byte after the opening quote.
    private mutating func escapedString(from start: Int) -> String? {
        var utf8 = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { return nil }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    guard let scalar = unicodeEscape() else { return nil }
                    utf8.append(contentsOf: String(Character(scalar)).utf8)
                default: return nil
                }
            case 0..<0x20:
                return nil
            default:
                utf8.append(byte)
            }
        }
        return nil
    }

    /// The scalar of a `\u` escape (its `u` read), a surrogate pair joined.
    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let high = hex4() else { return nil }
        guard (0xD800..<0xDC00).contains(high) else { return Unicode.Scalar(high) }
        guard matches("\\u"), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
        return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    }

    private mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    // MARK: Punctuation

    /// Skips white space, then takes `byte` if it comes next.
    private mutating func consume(_ byte: UInt8) -> Bool {
        skipSpace()
        return consumeByte(byte)
    }

    private mutating func consumeByte(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }
}
