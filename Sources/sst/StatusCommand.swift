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
        let clockStatus = try store.clockStatus()
        let recoveryWindow = identity.role == .hub ? try store.openRecoveryWindowNow() : nil
        let auditGaps = try store.auditGaps()
        let warning =
            clockStatus.isAhead ? Self.clockWarning(clockStatus, role: identity.role, data: options.data) : nil
        if json {
            printJSON(
                .object([
                    "node": .string(identity.node.rawValue), "role": .string(identity.role.rawValue),
                    "school": identity.school.map(CanonicalJSON.string) ?? .null,
                    "stadsdel": identity.stadsdel.map(CanonicalJSON.string) ?? .null,
                    "clock": .string(clock.last.description), "sequence": .integer(sequence),
                    "clockAhead": warning.map { warning in
                        .object([
                            "aheadMilliseconds": .integer(Int64(clockStatus.aheadMilliseconds)),
                            "maxOffsetMilliseconds": .integer(Int64(clockStatus.maxOffsetMilliseconds)),
                            "message": .string(warning.message), "remedy": .string(warning.remedy),
                        ])
                    } ?? .null,
                    "conflicts": .integer(Int64(conflicts)),
                    "peers": .object(
                        Dictionary(uniqueKeysWithValues: cursors.map { ($0.peer.rawValue, .integer($0.cursor)) })
                    ),
                    "sync": sync.json,
                    "recoveryWindowOpen": .bool(recoveryWindow != nil),
                    "auditGaps": .array(auditGaps.map { .string($0.message) }),
                ])
            )
            return
        }
        print("Node        \(identity.node) (\(identity.role.rawValue))")
        if let school = identity.school { print("School      \(school)") }
        if let stadsdel = identity.stadsdel { print("Stadsdel    \(stadsdel)") }
        print("Clock       \(clock.last)")
        if let warning {
            print("            WARNING: \(warning.message)")
            print("            \(warning.remedy)")
        }
        print("Sequence    \(sequence) (local changes and applied remote changes)")
        print("Conflicts   \(conflicts)")
        for (peer, cursor) in cursors {
            print("Peer        \(peer): received up to \(cursor)")
        }
        for line in sync.lines { print(line) }
        if let recoveryWindow { print(HubCommand.Recovery.line(recoveryWindow)) }
        for gap in auditGaps {
            print("Audit       WARNING: \(gap.message)")
            print("            `sst audit verify --data \(options.data)` says more.")
        }
    }

    /// What `sst status` says when the node's clock is ahead of its wall clock by more than the allowed offset.
    static func clockWarning(
        _ status: ClockStatus,
        role: NodeIdentity.Role,
        data: String
    ) -> (
        message: String, remedy: String
    ) {
        let message =
            "the clock is \(ClockStatus.durationText(status.aheadMilliseconds)) ahead of the wall clock (allowed "
            + "offset \(ClockStatus.durationText(status.maxOffsetMilliseconds))): new writes are stamped that far in "
            + "the future and \(role == .hub ? "the schools refuse" : "the hub refuses") them (clockAhead)"
        let remedy =
            role == .hub
            ? "Fix the wall clock (NTP) if it is wrong; the hub's clock catches up with it by itself."
            : "Once the wall clock is right (NTP), run `sst clock repair --data \(data)`, then `sst sync`."
        return (message, remedy)
    }
}
