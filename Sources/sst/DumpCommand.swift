import ArgumentParser
import SSTStore

struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print the node's full state as canonical JSON.",
        discussion: """
            Every record's fields with value and stamp, and every unresolved conflict, in a \
            canonical form: converged nodes print identical bytes, so `cmp` tells whether two \
            nodes agree.
            """
    )

    @OptionGroup var options: DataOptions

    @Flag(help: "Print JSON (the only format; accepted for scripts).")
    var json = false

    func run() throws {
        let store = try options.openStore()
        try store.dump { print($0, terminator: "") }
    }
}
