#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads a well-formed version 2 change set straight from its bytes, several times faster than
/// `JSONDecoder` (which a hub would otherwise run on every change of every push).
///
/// It reads only what this build writes and gives up — returns nil — on anything else: another
/// version, an unknown or repeated member, a number with a fraction or exponent, a value of an
/// unexpected kind, an invalid id or stamp, bytes after the set. ``ChangeSetCodec/decode(_:)`` then
/// decodes the set with `JSONDecoder`, which accepts or refuses it with its full error message. So a set
/// this reader accepts decodes to what `JSONDecoder` would make of it, and everything else is judged by
/// `JSONDecoder` alone. Giving up on a repeated member, at every depth, is what lets the codec refuse duplicated
/// members without scanning the sets this reader reads.
enum ChangeSetReader {
    static func read(_ data: Data) -> ChangeSet? {
        data.withUnsafeBytes { raw in
            var reader = ByteReader(bytes: raw.bindMemory(to: UInt8.self))
            guard let changeSet = reader.changeSet(), reader.atEnd() else { return nil }
            return changeSet
        }
    }
}

private struct ByteReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    // MARK: The change set

    mutating func changeSet() -> ChangeSet? {
        var format: String?
        var version: Int64?
        var origin: String?
        var side: Side?
        var since: Int64?
        var upTo: Int64?
        var changes: [FieldChange]?
        var policyHash: String?
        var names: [String] = []
        guard var more = beginObject() else { return nil }
        while more {
            guard let name = memberName(), !names.contains(name) else { return nil }
            names.append(name)
            switch name {
            case "format": format = string()
            case "version": version = integer()
            case "origin": origin = string()
            case "side": side = string().flatMap(Side.init(rawValue:))
            case "since": since = integer()
            case "upTo": upTo = integer()
            case "records": changes = records()
            case "policyHash":
                if !literal("null") {
                    guard let hash = string() else { return nil }
                    policyHash = hash
                }
            default: return nil
            }
            guard let next = nextMember() else { return nil }
            more = next
        }
        guard format == ChangeSet.formatName, version == 2, let origin, let side, let since, let upTo, let changes
        else { return nil }
        return ChangeSet(
            format: ChangeSet.formatName,
            version: 2,
            origin: origin,
            side: side,
            since: since,
            upTo: upTo,
            changes: changes,
            policyHash: policyHash
        )
    }

    /// The `records` array: each entry's fields in ascending order, as ``RecordChanges`` decodes them.
    mutating func records() -> [FieldChange]? {
        guard consume(UInt8(ascii: "[")) else { return nil }
        var changes: [FieldChange] = []
        if consume(UInt8(ascii: "]")) { return changes }
        repeat {
            guard record(into: &changes) else { return nil }
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "]")) ? changes : nil
    }

    mutating func record(into changes: inout [FieldChange]) -> Bool {
        var entity: String?
        var record: RecordID?
        var stamp: Stamp?
        var fields: [(name: String, value: Value)]?
        var contexts: [(field: String, context: CausalContext)]?
        var names: [String] = []
        guard var more = beginObject() else { return false }
        while more {
            guard let name = memberName(), !names.contains(name) else { return false }
            names.append(name)
            switch name {
            case "entity": entity = string()
            case "id": record = string().flatMap(RecordID.init)
            case "stamp": stamp = string().flatMap { Stamp(text: $0) }
            case "fields": fields = fieldValues()
            case "contexts": contexts = fieldContexts()
            default: return false
            }
            guard let next = nextMember() else { return false }
            more = next
        }
        guard let entity, let record, let stamp, let fields, !fields.isEmpty,
            names.contains("contexts") == (contexts != nil)
        else { return false }
        var contextOf: [String: CausalContext] = [:]
        for entry in contexts ?? [] {
            guard fields.contains(where: { $0.name == entry.field }) else { return false }
            contextOf[entry.field] = entry.context
        }
        for field in fields.sorted(by: { $0.name < $1.name }) {
            changes.append(
                FieldChange(
                    entity: entity,
                    record: record,
                    field: field.name,
                    state: FieldState(value: field.value, stamp: stamp, context: contextOf[field.name])
                )
            )
        }
        return true
    }

    mutating func fieldValues() -> [(name: String, value: Value)]? {
        var fields: [(name: String, value: Value)] = []
        guard var more = beginObject() else { return nil }
        while more {
            guard let name = memberName(), !fields.contains(where: { $0.name == name }), let value = value() else {
                return nil
            }
            fields.append((name, value))
            guard let next = nextMember() else { return nil }
            more = next
        }
        return fields
    }

    mutating func fieldContexts() -> [(field: String, context: CausalContext)]? {
        var contexts: [(field: String, context: CausalContext)] = []
        guard var more = beginObject() else { return nil }
        while more {
            guard let field = memberName(), !contexts.contains(where: { $0.field == field }),
                var entries = beginObject()
            else { return nil }
            var context: [NodeID: Timestamp] = [:]
            while entries {
                guard let nodeText = memberName(), let node = NodeID(nodeText), context[node] == nil,
                    let timestamp = string().flatMap({ Timestamp(text: $0) }), let next = nextMember()
                else { return nil }
                context[node] = timestamp
                entries = next
            }
            contexts.append((field, CausalContext(context)))
            guard let next = nextMember() else { return nil }
            more = next
        }
        return contexts
    }

    /// A field's value, as ``Value``'s `init(from:)` reads it.
    mutating func value() -> Value? {
        switch peek() {
        case UInt8(ascii: "n"): return literal("null") ? .null : nil
        case UInt8(ascii: "t"): return literal("true") ? .boolean(true) : nil
        case UInt8(ascii: "f"): return literal("false") ? .boolean(false) : nil
        case UInt8(ascii: "\""): return string().map(Value.string)
        case UInt8(ascii: "["):
            index += 1
            var items: [String] = []
            if consume(UInt8(ascii: "]")) { return .list(items) }
            repeat {
                guard let item = string() else { return nil }
                items.append(item)
            } while consume(UInt8(ascii: ","))
            return consume(UInt8(ascii: "]")) ? .list(items) : nil
        case UInt8(ascii: "{"):
            var generation: Int64?
            var step: Phase.Step?
            guard var more = beginObject() else { return nil }
            while more {
                switch memberName() {
                case "generation" where generation == nil: generation = integer()
                case "step" where step == nil: step = string().flatMap(Phase.Step.init(rawValue:))
                default: return nil
                }
                guard let next = nextMember() else { return nil }
                more = next
            }
            guard let generation, generation >= 1, generation <= Int.max, let step else { return nil }
            return .phase(Phase(generation: Int(generation), step: step))
        default: return integer().map(Value.integer)
        }
    }

    // MARK: JSON tokens

    mutating func atEnd() -> Bool {
        skipSpace()
        return index == bytes.count
    }

    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return
            }
        }
    }

    mutating func peek() -> UInt8? {
        skipSpace()
        return index < bytes.count ? bytes[index] : nil
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        index += 1
        return true
    }

    mutating func literal(_ word: StaticString) -> Bool {
        skipSpace()
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// Reads `{`: true when a member follows, false when the object is empty, nil when there is no object.
    mutating func beginObject() -> Bool? {
        guard consume(UInt8(ascii: "{")) else { return nil }
        return !consume(UInt8(ascii: "}"))
    }

    /// After a member's value: true at `,` (another member follows), false at `}`, nil otherwise.
    mutating func nextMember() -> Bool? {
        if consume(UInt8(ascii: ",")) { return true }
        return consume(UInt8(ascii: "}")) ? false : nil
    }

    /// A member's name and the colon after it.
    mutating func memberName() -> String? {
        guard let name = string(), consume(UInt8(ascii: ":")) else { return nil }
        return name
    }

    /// A plain integer that fits in 64 bits: no fraction, no exponent, no leading zeros, no `-0`.
    mutating func integer() -> Int64? {
        skipSpace()
        let negative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        let start = index
        var magnitude: UInt64 = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
            index += 1
        }
        let digits = index - start
        guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return nil
            default: break
            }
        }
        if negative {
            guard magnitude != 0, magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// A string: valid UTF-8, no raw control characters, the escapes JSON defines (a `\u` escape of half a
    /// surrogate pair only as part of a whole pair).
    mutating func string() -> String? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { return escapedString(from: start) }
            if byte < 0x20 { return nil }
            index += 1
        }
        return nil
    }

    /// The rest of a string that has escapes, from its first byte at `start`.
    private mutating func escapedString(from start: Int) -> String? {
        var utf8 = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(validating: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { return nil }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
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

    /// The scalar of a `\uXXXX` escape whose `\u` was just read, with its low surrogate when it is a high one.
    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let unit = hex4() else { return nil }
        switch unit {
        case 0xD800...0xDBFF:
            guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { return nil }
            index += 2
            guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
            return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
        case 0xDC00...0xDFFF:
            return nil
        default:
            return Unicode.Scalar(unit)
        }
    }

    private mutating func hex4() -> UInt32? {
        guard bytes.count - index >= 4 else { return nil }
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
}
