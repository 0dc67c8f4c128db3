/// A field value as it travels in change sets and lives in the store.
///
/// The schema's ``FieldType`` says which cases a field accepts; ``FieldType/validate(_:)`` checks it.
public enum Value: Hashable, Sendable {
    case null
    case string(String)
    case integer(Int64)
    case boolean(Bool)
    case list([String])
    case phase(Phase)

    public var isNull: Bool { self == .null }

    /// A short name of the JSON shape, for error messages.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .string: "a string"
        case .integer: "an integer"
        case .boolean: "a boolean"
        case .list: "a list of strings"
        case .phase: "a phase"
        }
    }
}

extension Value: Codable {
    private enum PhaseKeys: String, CodingKey {
        case generation, step
    }

    public init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: PhaseKeys.self) {
            let generation = try keyed.decode(Int.self, forKey: .generation)
            let stepText = try keyed.decode(String.self, forKey: .step)
            guard generation >= 1, let step = Phase.Step(rawValue: stepText) else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: "a phase needs generation ≥ 1 and a known step, got \(generation):\(stepText)"
                    )
                )
            }
            self = .phase(Phase(generation: generation, step: step))
            return
        }
        if var array = try? decoder.unkeyedContainer() {
            var items: [String] = []
            while !array.isAtEnd { items.append(try array.decode(String.self)) }
            self = .list(items)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let bool = try? single.decode(Bool.self) {
            self = .boolean(bool)
        } else if let integer = try? single.decode(Int64.self) {
            self = .integer(integer)
        } else if let string = try? single.decode(String.self) {
            self = .string(string)
        } else {
            throw DecodingError.dataCorruptedError(
                in: single,
                debugDescription: "a value must be null, a boolean, an integer, a string, a list of strings or a phase"
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case .string(let string):
            var single = encoder.singleValueContainer()
            try single.encode(string)
        case .integer(let integer):
            var single = encoder.singleValueContainer()
            try single.encode(integer)
        case .boolean(let bool):
            var single = encoder.singleValueContainer()
            try single.encode(bool)
        case .list(let items):
            var single = encoder.singleValueContainer()
            try single.encode(items)
        case .phase(let phase):
            var keyed = encoder.container(keyedBy: PhaseKeys.self)
            try keyed.encode(phase.generation, forKey: .generation)
            try keyed.encode(phase.step.rawValue, forKey: .step)
        }
    }
}
