import ArgumentParser
import Foundation
import SSTCore
import SSTStore
import Synchronization

/// The `--data DIR` option every command that works on a node takes.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The node's data directory (made by `sst init`).", valueName: "DIR"))
    var data: String

    var databasePath: String { URL(fileURLWithPath: data).appendingPathComponent(Store.fileName).path }

    func openStore() throws -> Store {
        DataOptions.opened.withLock { $0 = databasePath }
        return try Store.open(at: databasePath)
    }

    /// The database the command opened (one per `sst` process), so that a full disk is reported with its
    /// directory (``SSTCommand/main()``).
    private static let opened = Mutex<String?>(nil)

    /// The database this process opened, if any.
    static var openedDatabase: String? { opened.withLock { $0 } }
}

/// Parses `--entity E --id ID` into a record id, with a clear message for a malformed id.
struct RecordOptions: ParsableArguments {
    @Option(help: "The entity: pupil, guardian, consent, absence, case, …")
    var entity: String

    @Option(help: ArgumentHelp("The record's id, a lower-case UUID.", valueName: "UUID"))
    var id: String

    func recordID() throws -> RecordID {
        guard let record = RecordID(id.lowercased()) else {
            throw ValidationError(
                "--id \"\(id)\" is not a record id; give a UUID like 3f2b8c1e-0d4a-4e6b-9c7d-1a2b3c4d5e6f."
            )
        }
        return record
    }
}

extension FieldState {
    /// `value  (stamp)` for tables on a terminal.
    var displayText: String { "\(value.displayText)  (\(stamp))" }
}

extension Value {
    var displayText: String {
        switch self {
        case .null: "—"
        case .string(let text): text
        case .integer(let number): String(number)
        case .boolean(let bool): bool ? "true" : "false"
        case .list(let items): items.joined(separator: ", ")
        case .phase(let phase): "\(phase) (\(phase.step.swedishLabel))"
        }
    }
}

/// Writes canonical JSON followed by a newline to standard output.
func printJSON(_ json: CanonicalJSON) {
    print(json.rendered())
}

/// A failure of the command itself (a file it cannot read or write), with what to do about it.
struct CommandError: Error, CustomStringConvertible {
    let message: String
    let remedy: String

    init(_ message: String, remedy: String) {
        self.message = message
        self.remedy = remedy
    }

    var description: String { "\(message). \(remedy)" }
}
