import Foundation
import SSTCore
import SSTStore

/// A JSON value as the vector files hold it: integers only, objects unordered.
enum VectorJSON: Hashable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case string(String)
    case array([VectorJSON])
    case object([String: VectorJSON])

    static func parse(_ data: Data) throws -> VectorJSON {
        try JSONDecoder().decode(VectorJSON.self, from: data)
    }

    /// The bytes of this value as a JSON file (members sorted, UTF-8).
    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// The same value as ``CanonicalJSON``, whose rendering is the canonical dump text.
    var canonical: CanonicalJSON {
        switch self {
        case .null: .null
        case .bool(let bool): .bool(bool)
        case .integer(let integer): .integer(integer)
        case .string(let string): .string(string)
        case .array(let items): .array(items.map(\.canonical))
        case .object(let members): .object(members.mapValues(\.canonical))
        }
    }

    subscript(key: String) -> VectorJSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }
}

extension VectorJSON: Codable {
    init(from decoder: any Decoder) throws {
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let bool = try? single.decode(Bool.self) {
            self = .bool(bool)
        } else if let integer = try? single.decode(Int64.self) {
            self = .integer(integer)
        } else if let string = try? single.decode(String.self) {
            self = .string(string)
        } else if let items = try? single.decode([VectorJSON].self) {
            self = .array(items)
        } else {
            self = .object(try single.decode([String: VectorJSON].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var single = encoder.singleValueContainer()
        switch self {
        case .null: try single.encodeNil()
        case .bool(let bool): try single.encode(bool)
        case .integer(let integer): try single.encode(integer)
        case .string(let string): try single.encode(string)
        case .array(let items): try single.encode(items)
        case .object(let members): try single.encode(members)
        }
    }
}

/// A vector file that does not follow Protocol/vectors/README.md, or a vector that failed.
struct VectorProblem: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// One test vector of Protocol/vectors, checked against the format of its README.
struct Vector: Sendable {
    static let members: Set = [
        "name", "description", "node", "physicalTime", "maxClockOffsetMilliseconds", "changeSets", "expected",
        "expectedError",
    ]

    let name: String
    let node: NodeIdentity
    let physicalTime: UInt64
    let maxClockOffsetMilliseconds: UInt64
    /// Each change set as the bytes of its file: an object element encoded as JSON, a string element as is.
    let changeSets: [Data]
    /// The canonical dump after every change set is applied.
    let expected: VectorJSON?
    /// The change set that must be refused (always the last one), and the code of the refusal.
    let expectedError: (changeSet: Int, code: ChangeSetError.Code)?

    /// The package's Protocol/vectors folder, found by walking up from this file to Package.swift.
    static var directory: URL {
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while folder.path != "/"
            && !FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path)
        {
            folder.deleteLastPathComponent()
        }
        return folder.appendingPathComponent("Protocol/vectors")
    }

    /// The names of every vector (its file name without `.json`), sorted.
    static func names() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func load(_ name: String) throws -> Vector {
        let file = directory.appendingPathComponent(name + ".json")
        let json = try VectorJSON.parse(try Data(contentsOf: file))
        guard case .object(let members) = json else { throw VectorProblem("\(name): the file is not an object") }
        if let unknown = Set(members.keys).subtracting(Self.members).sorted().first {
            throw VectorProblem("\(name): unknown member \"\(unknown)\"")
        }
        guard json["name"] == .string(name) else { throw VectorProblem("\(name): \"name\" is not the file name") }
        guard case .string(let description)? = json["description"], !description.isEmpty else {
            throw VectorProblem("\(name): \"description\" is missing")
        }
        guard case .string(let nodeText)? = json["node"]?["id"], let node = NodeID(nodeText),
            case .string(let roleText)? = json["node"]?["role"], let role = NodeIdentity.Role(rawValue: roleText)
        else { throw VectorProblem("\(name): \"node\" needs an \"id\" and a \"role\" (school or hub)") }
        guard case .integer(let physicalTime)? = json["physicalTime"], physicalTime >= 0 else {
            throw VectorProblem("\(name): \"physicalTime\" must be milliseconds since the epoch")
        }
        var offset = Int64(HybridLogicalClock.defaultMaxOffsetMilliseconds)
        if let given = json["maxClockOffsetMilliseconds"] {
            guard case .integer(let milliseconds) = given, milliseconds >= 0 else {
                throw VectorProblem("\(name): \"maxClockOffsetMilliseconds\" must be a non-negative integer")
            }
            offset = milliseconds
        }
        guard case .array(let elements)? = json["changeSets"], !elements.isEmpty else {
            throw VectorProblem("\(name): \"changeSets\" must be a non-empty array")
        }
        let changeSets = try elements.map { element in
            switch element {
            case .string(let text): return Data(text.utf8)
            case .object: return try element.encoded()
            default: throw VectorProblem("\(name): a change set must be an object or a string (raw file text)")
            }
        }
        var expectedError: (changeSet: Int, code: ChangeSetError.Code)?
        if let refusal = json["expectedError"] {
            guard case .integer(let index)? = refusal["changeSet"], index == changeSets.count - 1,
                case .string(let codeName)? = refusal["code"], let code = ChangeSetError.Code(name: codeName)
            else {
                throw VectorProblem(
                    "\(name): \"expectedError\" needs \"changeSet\" (the index of the last set) and a known \"code\""
                )
            }
            expectedError = (Int(index), code)
        }
        guard (json["expected"] == nil) != (expectedError == nil) else {
            throw VectorProblem("\(name): give exactly one of \"expected\" and \"expectedError\"")
        }
        return Vector(
            name: name,
            node: NodeIdentity(node: node, role: role),
            physicalTime: UInt64(physicalTime),
            maxClockOffsetMilliseconds: UInt64(offset),
            changeSets: changeSets,
            expected: json["expected"],
            expectedError: expectedError
        )
    }
}

/// A physical clock stopped at the vector's `physicalTime`.
struct VectorPhysicalClock: PhysicalClock {
    let now: UInt64

    func milliseconds() -> UInt64 { now }
}

/// SplitMix64: the seeded generator that shuffles a vector's changes, so a failing order replays from its seed.
struct VectorShuffleRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
