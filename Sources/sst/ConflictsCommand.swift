import ArgumentParser
import SSTCore
import SSTStore

struct ConflictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "List and resolve concurrent edits of text fields.",
        subcommands: [List.self, Resolve.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List text fields edited concurrently on two nodes.")

        @OptionGroup var options: DataOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let conflicts = try options.openStore().conflicts()
            if json {
                printJSON(.array(conflicts.map(Self.json)))
                return
            }
            if conflicts.isEmpty {
                print("No conflicts.")
                return
            }
            for conflict in conflicts {
                print("\(conflict.entity) \(conflict.record) \(conflict.field)")
                print("  shown now: \(conflict.current.displayText)")
                for other in conflict.others {
                    print("  also kept: \(other.displayText)")
                }
            }
            print(
                "\nResolve with: sst conflicts resolve --data DIR --entity E --id ID --field F (--keep-current | --value TEXT)"
            )
        }

        static func json(_ conflict: Conflict) -> CanonicalJSON {
            func state(_ state: FieldState) -> CanonicalJSON {
                .object(["stamp": .string(state.stamp.description), "value": CanonicalJSON(state.value)])
            }
            return .object([
                "entity": .string(conflict.entity), "id": .string(conflict.record.rawValue),
                "field": .string(conflict.field), "current": state(conflict.current),
                "others": .array(conflict.others.map(state)),
            ])
        }
    }

    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resolve a conflict with the value a person chose; the resolution syncs like any change.",
            discussion: """
                `sst conflicts list` shows each conflict's entity, id and field and the values kept; \
                give those here. The resolution supersedes every value in the conflict on every node \
                it reaches.
                """
        )

        @OptionGroup var options: DataOptions
        @OptionGroup var target: RecordOptions

        @Option(help: "The text field in conflict.")
        var field: String

        @Option(help: "The resolved text (for example the two versions merged by hand).")
        var value: String?

        @Flag(help: "Keep the value shown now and discard the others.")
        var keepCurrent = false

        func validate() throws {
            if (value == nil) == !keepCurrent {
                throw ValidationError("give exactly one of --value TEXT or --keep-current")
            }
        }

        func run() throws {
            let store = try options.openStore()
            let record = try target.recordID()
            var resolved = value.map(Value.string)
            if resolved == nil {
                guard
                    let conflict = try store.conflicts().first(where: {
                        $0.entity == target.entity && $0.record == record && $0.field == field
                    })
                else {
                    throw StoreError(
                        .noConflict,
                        "\(target.entity) \(record) \(field) has no conflict",
                        remedy: "See `sst conflicts list`."
                    )
                }
                resolved = conflict.current.value
            }
            let change = try store.resolveConflict(
                entity: target.entity,
                record: record,
                field: field,
                value: resolved!
            )
            print("Resolved \(target.entity) \(record) \(field) at \(change.stamp)")
        }
    }
}
