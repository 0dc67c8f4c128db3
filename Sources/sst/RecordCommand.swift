import ArgumentParser
import Foundation
import SSTCore
import SSTStore

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Read and write records directly (for scripting and tests).",
        subcommands: [Set.self, Get.self, Delete.self, Purge.self]
    )

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set fields of a record: field=value …",
            discussion: """
                An empty value (field=) clears the field. Lists are comma-separated; booleans take \
                true/false (or ja/nej); a case phase takes a step (planning, in_progress, …), \
                <generation>:<step>, or reopen.

                Example:
                  sst record set --data ./ekbacken --entity pupil \\
                    --id 3f2b8c1e-0d4a-4e6b-9c7d-1a2b3c4d5e6f \\
                    given_name=Åsa family_name=Öberg grade=7 \\
                    personnummer=20130101-0003
                """
        )

        @OptionGroup var options: DataOptions
        @OptionGroup var target: RecordOptions

        @Argument(help: ArgumentHelp("Assignments field=value.", valueName: "field=value"))
        var assignments: [String]

        func run() throws {
            let parsed = try assignments.map { assignment in
                guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                    throw ValidationError("\"\(assignment)\" is not field=value")
                }
                return (
                    field: String(assignment[..<equals]), text: String(assignment[assignment.index(after: equals)...])
                )
            }
            let changes = try options.openStore().set(
                entity: target.entity,
                record: try target.recordID(),
                assignments: parsed
            )
            print(
                "Set \(changes.map(\.field).joined(separator: ", ")) at \(changes.first.map { "\($0.stamp)" } ?? "-")"
            )
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a record's fields with their stamps.")

        @OptionGroup var options: DataOptions
        @OptionGroup var target: RecordOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let record = try target.recordID()
            guard let fields = try options.openStore().record(entity: target.entity, record: record) else {
                throw StoreError(
                    .notFound,
                    "no \(target.entity) \(record) on this node",
                    remedy: "Check --entity and --id."
                )
            }
            if json {
                printJSON(
                    .object(
                        fields.mapValues {
                            .object(["stamp": .string($0.stamp.description), "value": CanonicalJSON($0.value)])
                        }
                    )
                )
            } else {
                let width = fields.keys.map(\.count).max() ?? 0
                for name in fields.keys.sorted() {
                    print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + fields[name]!.displayText)
                }
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark a record deleted (a tombstone; its values stay until purged)."
        )

        @OptionGroup var options: DataOptions
        @OptionGroup var target: RecordOptions

        func run() throws {
            let change = try options.openStore().delete(entity: target.entity, record: try target.recordID())
            print("Deleted \(target.entity) \(change.record) at \(change.stamp)")
        }
    }

    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Purge a record (gallring): erase all its values here and on every node it reaches.",
            discussion: "Only a purge marker remains. This cannot be undone."
        )

        @OptionGroup var options: DataOptions
        @OptionGroup var target: RecordOptions

        func run() throws {
            let change = try options.openStore().purge(entity: target.entity, record: try target.recordID())
            print("Purged \(target.entity) \(change.record) at \(change.stamp)")
        }
    }
}
