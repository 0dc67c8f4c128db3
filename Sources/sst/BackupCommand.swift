import ArgumentParser
import Foundation
import SSTCore
import SSTStore
import SSTSync

/// `sst backup`: a consistent copy of a node's data directory, taken while the node runs.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy a node's data directory into a new directory, while the node keeps running.",
        discussion: """
            The database is copied as of one moment with SQLite's online backup, so `sst node serve` or \
            `sst hub serve` may go on meanwhile; the copy is checked before the command ends. The hub \
            settings (sync.json), the sync state and a municipality's policy file are copied beside it. \
            Certificates and keys are not: keep them apart (a key is secret). The backup directory is \
            made readable by this user only (mode 0700, its files 0600), as the data directory is. To \
            restore, stop the node \
            and put the backup directory in place of the data directory. The copy remembers where its log \
            ended: if the node synced after the backup was taken, `sst sync` (or, for a hub, the schools) \
            say so, even after offline work on the restored copy, and `sst node rejoin` lets it go on \
            (docs/operations.md, "Restoring a node from a backup").

            Example:
              sst backup --data ./ekbacken --out /backup/ekbacken-2026-12-01
            """
    )

    @OptionGroup var options: DataOptions

    @Option(help: ArgumentHelp("A new directory for the backup (must not exist, or be empty).", valueName: "DIR"))
    var out: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    /// The files of a data directory that are copied beside the database.
    static let sideFiles = [SyncSettings.fileName, SyncStateFile.fileName, Store.policyFileName]

    func run() throws {
        let store = try options.openStore()
        let manager = FileManager.default
        if let existing = try? manager.contentsOfDirectory(atPath: out), !existing.isEmpty {
            throw CommandError(
                "\(out) already holds files; a backup never overwrites",
                remedy: "Give a new --out directory (one per backup, e.g. named by the date)."
            )
        }
        // A backup holds what the data directory holds: private to this user, as the data directory is.
        try PrivateFiles.makeDirectory(out)
        let target = URL(fileURLWithPath: out)
        let report = try store.backup(to: target.appendingPathComponent(Store.fileName).path)
        var copied = [Store.fileName]
        for name in Self.sideFiles {
            let source = URL(fileURLWithPath: options.data).appendingPathComponent(name)
            guard manager.fileExists(atPath: source.path) else { continue }
            do {
                try PrivateFiles.copy(source.path, to: target.appendingPathComponent(name).path)
            } catch {
                throw CommandError(
                    "the database is backed up in \(out), but \(name) could not be copied: \(error)",
                    remedy: "Copy \(source.path) there by hand, or back up again into a new directory."
                )
            }
            copied.append(name)
        }
        if json {
            printJSON(
                .object([
                    "node": .string(report.identity.node.rawValue),
                    "role": .string(report.identity.role.rawValue),
                    "lastSequence": .integer(report.lastSequence),
                    "bytes": .integer(report.bytes),
                    "files": .array(copied.map(CanonicalJSON.string)),
                    "out": .string(out),
                ])
            )
            return
        }
        let megabytes = String(format: "%.1f", Double(report.bytes) / 1_000_000)
        print(
            "Backed up \(report.identity.role.rawValue) node \(report.identity.node) to \(out): "
                + "\(copied.joined(separator: ", ")) (\(megabytes) MB, log up to sequence \(report.lastSequence))."
        )
        print(
            "Certificates and keys are not in it. To restore: stop the node, put \(out) in place of its data directory."
        )
    }
}
