import ArgumentParser
import Foundation
import SSTCore
import SSTPrivacy
import SSTStore

struct ChangesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "changes",
        abstract: "Move changes between nodes as files (offline sync, e.g. on a USB stick).",
        subcommands: [Export.self, Import.self]
    )

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the changes after a sequence number to a change-set file.",
            discussion: """
                The file holds the current value and original stamp of every field changed on this \
                node after --since (0: everything). To send a peer only what it lacks, take N from \
                the peer's `sst status` ("<this node>: received up to N").

                --for names the side that will import the file; the default is the other side of the \
                school ⇄ social-services boundary. For the other side, the privacy policy filters \
                every field (what it withholds, and why, is printed) and every crossing is audited; \
                for the same side (another node of the same school), nothing is filtered.

                The file is readable by this user only (mode 0600): it holds personal data. The node \
                remembers the highest sequence number it exported, so that `sst clock repair` never \
                re-stamps a change that may have left in a file.
                """
        )

        @OptionGroup var options: DataOptions

        @Option(help: ArgumentHelp("The change-set file to write.", valueName: "FILE"))
        var out: String

        @Option(
            help: ArgumentHelp(
                "Export changes after this local sequence number (see the peer's `sst status`).",
                valueName: "N"
            )
        )
        var since: Int64 = 0

        @Option(
            name: .customLong("for"),
            help: ArgumentHelp("The side that will import the file: school or social.", valueName: "side")
        )
        var destination: Side?

        @Option(help: "At a hub, exporting for the school side: the school the file is for (it gets only its records).")
        var school: String?

        func run() throws {
            let store = try options.openStore()
            let identity = try store.identity()
            let destination = destination ?? identity.side.other
            let peer = school.map { name in
                PeerIdentity(node: NodeID("file")!, role: destination == .school ? .school : .hub, school: name)
            }
            let export = try store.exportChanges(forSide: destination, peer: peer, since: since)
            let changeSet = export.changeSet
            let data = try ChangeSetCodec.encode(changeSet)
            // Before the file exists: what it holds may leave the node, and `sst clock repair` never re-stamps it.
            try store.recordFileExport(upTo: changeSet.upTo)
            do {
                // Readable by this user only, as the data directory is: it holds personal data.
                try PrivateFiles.write(data, to: out)
            } catch let error as PrivateFileError {
                throw CommandError(
                    error.message,
                    remedy: "Check that the folder exists and is writable, or choose another --out."
                )
            }
            print(
                "Wrote \(changeSet.changes.count) field values changed after sequence \(changeSet.since) "
                    + "(up to \(changeSet.upTo)) to \(out)"
            )
            if !export.withheld.isEmpty {
                let reasons = Dictionary(grouping: export.withheld, by: \.reason).mapValues(\.count)
                print("Withheld by the privacy policy: \(export.withheld.count) field values")
                for reason in reasons.keys.sorted() { print("  \(reasons[reason]!)  \(reason)") }
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a change-set file: all of it or, on any error, none of it.",
            discussion: """
                Importing the same file twice, or files in any order, gives the same state. A damaged \
                file, an unknown entity or field, a wrong value, or a stamp too far in this node's \
                future is refused with the reason, and nothing is applied.
                """
        )

        @OptionGroup var options: DataOptions

        @Argument(help: ArgumentHelp("The change-set file.", valueName: "FILE"))
        var file: String

        @Option(help: "At a hub, importing a school's file: the school it comes from.")
        var school: String?

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            let store = try options.openStore()
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                throw CommandError(
                    "cannot read \(file): \((error as NSError).localizedDescription)",
                    remedy: "Check the path of the change-set file."
                )
            }
            let changeSet = try ChangeSetCodec.decode(data)
            var peer: PeerIdentity?
            // With --school the file is a school's, whatever side it names: the store refuses a set that says
            // otherwise, as it refuses a push whose body names another side than the certificate.
            if try store.identity().role == .hub, changeSet.side == .school || school != nil {
                guard let school, let origin = changeSet.originNode else {
                    throw ValidationError(
                        "a hub importing a school's file must know the school: pass --school NAME (the school of "
                            + "\(changeSet.origin)); the hub then sends that school only its own records"
                    )
                }
                peer = PeerIdentity(node: origin, role: .school, school: school)
            }
            let report = try store.apply(changeSet, from: peer)
            if json {
                printJSON(
                    .object([
                        "origin": .string(report.origin.rawValue), "received": .integer(Int64(report.received)),
                        "applied": .integer(Int64(report.applied)), "cursor": .integer(report.cursor),
                    ])
                )
            } else {
                print(
                    "Applied \(report.applied) of \(report.received) changes from \(report.origin) "
                        + "(cursor for \(report.origin): \(report.cursor))"
                )
            }
        }
    }
}
