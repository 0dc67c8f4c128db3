import ArgumentParser
import Foundation
import SSTCore
import SSTStore
import SSTSync

/// `sst clock repair`: sets a node's clock, left ahead by a wall clock that was ahead, back to the wall clock.
struct ClockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clock",
        abstract: "Repair a node's clock left ahead by a wall clock that was ahead.",
        subcommands: [Repair.self]
    )

    struct Repair: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the node's clock back to the wall clock and re-stamp its unsent writes.",
            discussion: """
                A node's clock is persisted and never goes back, so a write made while the wall clock was, \
                say, a day ahead stamps every later write a day ahead too: the hub refuses them (clockAhead) \
                until the wall clock catches up, and `sst status` warns. Fix the wall clock first (NTP), \
                then run this: it sets the clock back to the wall clock (plus the allowed offset, the \
                latest stamp the hub accepts, so that a re-stamped write still wins over whatever it \
                overwrote) and gives each of the node's own \
                writes that has not left it (after what the hub acknowledged at the last successful sync, \
                and after the last `sst changes export`) a current stamp and a new sequence number, so the \
                next `sst sync` sends them. Writes keep their order, values are unchanged, and each still \
                wins over what it overwrote here; a change from another node that lost to such a write \
                keeps losing to it everywhere. The repair and every write it re-stamped are recorded in the \
                audit trail (clock_repaired).

                Refused, changing nothing: when the clock is not ahead by more than the allowed offset \
                (nothing to repair); when the last successful sync found this node's wall clock ahead of the \
                hub's; at a hub; and when a value stamped ahead already left the node (synced, or in an \
                exported file, or a file was exported while the clock was ahead) or came from another \
                node: the error says when the clock catches up by \
                itself. Stop `sst node serve` for the node while it runs.

                Example:
                  sst status --data ./ekbacken        # warns: the clock is 24 h ahead
                  sst clock repair --data ./ekbacken
                  sst sync --data ./ekbacken
                """
        )

        @OptionGroup var options: DataOptions

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            let store = try options.openStore()
            let state = try SyncStateFile(directory: options.data).load()
            let report = try store.repairClock(
                acknowledged: state.acknowledged,
                hubClockOffset: state.lastSuccess == nil ? nil : state.clockOffset
            )
            if json {
                printJSON(
                    .object([
                        "previousClock": .string(report.previousClock.description),
                        "clock": .string(report.clock.description),
                        "wallClock": .integer(Int64(report.wallClock)),
                        "sentUpTo": .integer(report.sentUpTo),
                        "values": .integer(Int64(report.values)),
                        "restamped": .array(
                            report.restamped.map { write in
                                .object([
                                    "previous": .string(write.previous.description),
                                    "stamp": .string(write.stamp.description),
                                    "fields": .array(write.fields.map(CanonicalJSON.string)),
                                ])
                            }
                        ),
                    ])
                )
                return
            }
            print("Clock set back from \(report.previousClock) to \(report.clock).")
            if report.restamped.isEmpty {
                print("No unsent write was stamped ahead; nothing was re-stamped.")
            } else {
                print(
                    "Re-stamped \(report.restamped.count) unsent write\(report.restamped.count == 1 ? "" : "s") "
                        + "(\(report.values) field value\(report.values == 1 ? "" : "s") after sequence "
                        + "\(report.sentUpTo)); run `sst sync --data \(options.data)` to send them."
                )
                for write in report.restamped {
                    print("  \(write.previous) → \(write.stamp)  \(write.fields.joined(separator: ", "))")
                }
            }
        }
    }
}
