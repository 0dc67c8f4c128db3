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
            var reader = JSONTokens(bytes: raw.bindMemory(to: UInt8.self))
            guard let changeSet = reader.changeSet(), reader.atEnd() else { return nil }
            return changeSet
        }
    }
}

/// The parts of a change set, read from its JSON tokens.
extension JSONTokens {
    // MARK: The change set

    fileprivate mutating func changeSet() -> ChangeSet? {
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
    fileprivate mutating func records() -> [FieldChange]? {
        guard consume(UInt8(ascii: "[")) else { return nil }
        var changes: [FieldChange] = []
        if consume(UInt8(ascii: "]")) { return changes }
        repeat {
            guard record(into: &changes) else { return nil }
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "]")) ? changes : nil
    }

    fileprivate mutating func record(into changes: inout [FieldChange]) -> Bool {
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

    fileprivate mutating func fieldValues() -> [(name: String, value: Value)]? {
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

    fileprivate mutating func fieldContexts() -> [(field: String, context: CausalContext)]? {
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
    fileprivate mutating func value() -> Value? {
        switch peek() {
        case UInt8(ascii: "n"): return literal("null") ? .null : nil
        case UInt8(ascii: "t"): return literal("true") ? .boolean(true) : nil
        case UInt8(ascii: "f"): return literal("false") ? .boolean(false) : nil
        case UInt8(ascii: "\""): return string().map(Value.string)
        case UInt8(ascii: "["): return array { $0.string() }.map(Value.list)
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
}
