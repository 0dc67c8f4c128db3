import ArgumentParser
import SSTCore
import SSTStore
import SSTSync

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract:
            "Show the node: identity, clock, local sequence, peers' cursors, open conflicts and sync with the hub."
    )

    @OptionGroup var options: DataOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let store = try options.openStore()
        let identity = try store.identity()
        let clock = try store.clock()
        let sequence = try store.lastSequence()
        let cursors = try store.cursors()
        let conflicts = try store.conflicts().count
        let sync = try SyncStatus(dataDirectory: options.data, store: store, now: SystemClock().milliseconds())
        if json {
            printJSON(
                .object([
                    "node": .string(identity.node.rawValue), "role": .string(identity.role.rawValue),
                    "school": identity.school.map(CanonicalJSON.string) ?? .null,
                    "stadsdel": identity.stadsdel.map(CanonicalJSON.string) ?? .null,
                    "clock": .string(clock.last.description), "sequence": .integer(sequence),
                    "conflicts": .integer(Int64(conflicts)),
                    "peers": .object(
                        Dictionary(uniqueKeysWithValues: cursors.map { ($0.peer.rawValue, .integer($0.cursor)) })
                    ),
                    "sync": sync.json,
                ])
            )
            return
        }
        print("Node        \(identity.node) (\(identity.role.rawValue))")
        if let school = identity.school { print("School      \(school)") }
        if let stadsdel = identity.stadsdel { print("Stadsdel    \(stadsdel)") }
        print("Clock       \(clock.last)")
        print("Sequence    \(sequence) (local changes and applied remote changes)")
        print("Conflicts   \(conflicts)")
        for (peer, cursor) in cursors {
            print("Peer        \(peer): received up to \(cursor)")
        }
        for line in sync.lines { print(line) }
    }
}
