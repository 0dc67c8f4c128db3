import Foundation
import Testing

/// Any JSON value, for reading `sst … --json` output without the product's own types.
enum JSONValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

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
        } else if let array = try? single.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try single.decode([String: JSONValue].self))
        }
    }

    static func phase(_ generation: Int64, _ step: String) -> JSONValue {
        .object(["generation": .integer(generation), "step": .string(step)])
    }
}

/// A value with its stamp, as `record get --json` and `conflicts list --json` print it.
struct Stamped: Decodable, Equatable {
    let stamp: String
    let value: JSONValue

    /// The stamp's sort key by DESIGN §3: hlc milliseconds, then counter, then node id.
    var order: StampOrder { StampOrder(stamp) }
}

/// The order of stamps `"<ms>:<counter>@<node>"` as DESIGN §3 defines it, parsed independently of the product.
struct StampOrder: Comparable {
    let milliseconds: UInt64
    let counter: UInt64
    let node: String

    init(_ text: String) {
        let at = text.firstIndex(of: "@") ?? text.endIndex
        let clock = text[..<at].split(separator: ":")
        milliseconds = clock.first.flatMap { UInt64($0) } ?? 0
        counter = clock.count > 1 ? UInt64(clock[1]) ?? 0 : 0
        node = at < text.endIndex ? String(text[text.index(after: at)...]) : ""
    }

    static func < (lhs: StampOrder, rhs: StampOrder) -> Bool {
        (lhs.milliseconds, lhs.counter, lhs.node) < (rhs.milliseconds, rhs.counter, rhs.node)
    }
}

struct ConflictEntry: Decodable, Equatable {
    let entity: String
    let id: String
    let field: String
    let current: Stamped
    let others: [Stamped]
}

struct ImportReport: Decodable, Equatable {
    let origin: String
    let received: Int
    let applied: Int
    let cursor: Int64
}

struct NodeStatus: Decodable {
    let node: String
    let role: String
    let sequence: Int64
    let conflicts: Int
    let peers: [String: Int64]
}

/// The header of a change-set file (version 2), read as plain JSON.
struct ChangeSetHeader: Decodable {
    /// A `records` entry: fields of one record at one stamp.
    struct RecordEntry: Decodable {
        let fields: [String: JSONValue]
    }

    let origin: String
    let side: String
    let since: Int64
    let upTo: Int64
    let records: [RecordEntry]

    /// The field changes the file carries.
    var fieldCount: Int { records.map(\.fields.count).reduce(0, +) }
}

let ekbacken = "Ekbackens skola"
let sodermalm = "Södermalm"

func newRecordID() -> String { UUID().uuidString.lowercased() }

/// A school node in a scratch directory, driven only through the `sst` command line.
struct Node {
    let id: String
    let directory: URL
    var data: String { directory.path }

    /// `sst init` a school node of Ekbackens skola, Södermalm, in `scratch/<id>`.
    static func school(
        _ id: String,
        in scratch: URL,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Node {
        let node = Node(id: id, directory: scratch.appendingPathComponent(id, isDirectory: true))
        try SSTCommandLineTests.sst(
            ["init", "--role", "school", "--node-id", id, "--data", node.data, "--school", ekbacken]
                + ["--stadsdel", sodermalm],
            sourceLocation: sourceLocation
        )
        return node
    }

    /// The size of the database's write-ahead log in bytes (0 when there is none).
    var walSize: Int {
        let wal = directory.appendingPathComponent("sst.sqlite-wal").path
        return (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
    }

    /// A copy of this node's data directory at `folder/name` (default: the node id), as a node of its own.
    func copy(to folder: URL, as name: String? = nil) throws -> Node {
        let copy = Node(id: id, directory: folder.appendingPathComponent(name ?? id, isDirectory: true))
        try FileManager.default.copyItem(at: directory, to: copy.directory)
        return copy
    }

    /// Runs `sst` with `arguments` and requires exit status 0.
    @discardableResult
    func sst(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> SSTResult {
        try SSTCommandLineTests.sst(arguments, sourceLocation: sourceLocation)
    }

    @discardableResult
    func set(
        _ entity: String,
        _ record: String,
        _ assignments: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> SSTResult {
        try sst(
            ["record", "set", "--data", data, "--entity", entity, "--id", record] + assignments,
            sourceLocation: sourceLocation
        )
    }

    func get(
        _ entity: String,
        _ record: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [String: Stamped] {
        let result = try sst(
            ["record", "get", "--data", data, "--entity", entity, "--id", record, "--json"],
            sourceLocation: sourceLocation
        )
        return try decode([String: Stamped].self, result, sourceLocation: sourceLocation)
    }

    /// `sst changes export --for school` to `file`; returns the file.
    @discardableResult
    func export(
        to file: URL,
        since: Int64 = 0,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> URL {
        try sst(
            ["changes", "export", "--data", data, "--out", file.path, "--for", "school", "--since", String(since)],
            sourceLocation: sourceLocation
        )
        return file
    }

    @discardableResult
    func importFile(_ file: URL, sourceLocation: SourceLocation = #_sourceLocation) throws -> ImportReport {
        let result = try sst(
            ["changes", "import", "--data", data, file.path, "--json"],
            sourceLocation: sourceLocation
        )
        return try decode(ImportReport.self, result, sourceLocation: sourceLocation)
    }

    /// The canonical dump's bytes.
    func dump(sourceLocation: SourceLocation = #_sourceLocation) throws -> Data {
        try sst(["dump", "--data", data, "--json"], sourceLocation: sourceLocation).stdout
    }

    func conflicts(sourceLocation: SourceLocation = #_sourceLocation) throws -> [ConflictEntry] {
        let result = try sst(["conflicts", "list", "--data", data, "--json"], sourceLocation: sourceLocation)
        return try decode([ConflictEntry].self, result, sourceLocation: sourceLocation)
    }

    func status(sourceLocation: SourceLocation = #_sourceLocation) throws -> NodeStatus {
        let result = try sst(["status", "--data", data, "--json"], sourceLocation: sourceLocation)
        return try decode(NodeStatus.self, result, sourceLocation: sourceLocation)
    }
}

/// Runs `sst` and requires exit status 0, showing the command and its output otherwise.
@discardableResult
func sst(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> SSTResult {
    let result = try SST.run(arguments)
    try #require(result.succeeded, "\(result)", sourceLocation: sourceLocation)
    return result
}

func decode<T: Decodable>(
    _ type: T.Type,
    _ result: SSTResult,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> T {
    do {
        return try JSONDecoder().decode(type, from: result.stdout)
    } catch {
        Issue.record("cannot read the output as \(type): \(error)\n\(result)", sourceLocation: sourceLocation)
        throw error
    }
}

/// Expects a refused command: non-zero exit, each phrase in stderr (the problem and what to do).
func expectRefusal(
    _ result: SSTResult,
    mentions phrases: [String],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(
        !result.killedBySignal && result.status != 0,
        "expected a refusal: \(result)",
        sourceLocation: sourceLocation
    )
    for phrase in phrases {
        #expect(
            result.err.localizedCaseInsensitiveContains(phrase),
            "stderr should mention \"\(phrase)\": \(result)",
            sourceLocation: sourceLocation
        )
    }
}
