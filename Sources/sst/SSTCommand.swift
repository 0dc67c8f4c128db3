import ArgumentParser
import Foundation
import SSTStore

@main
struct SSTCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sst",
        abstract: "SST Sync: offline-first sync between schools and social services for skolsociala team.",
        discussion: """
            Each school runs a node with its own SQLite database and keeps working offline; nodes \
            exchange change sets with the social-services hub. Start with `sst init`, write with \
            `sst record set`, and move changes between nodes with `sst changes export` and \
            `sst changes import`.
            """,
        subcommands: [
            InitCommand.self, RecordCommand.self, ChangesCommand.self, DumpCommand.self, ConflictsCommand.self,
            StatusCommand.self, ConsentCommand.self, AuditCommand.self, PKICommand.self, SyncCommand.self,
            HubCommand.self, NodeCommand.self, StaffCommand.self, BackupCommand.self, ReportCommand.self,
            DemoCommand.self, ClockCommand.self, SchoolKeyCommand.self,
            ImportCommand.self,
        ]
    )

    /// Runs the command with a umask of 077: whatever file or directory `sst` creates, by any library, is
    /// readable by its user only. The libraries create a node's files private anyway (``PrivateFiles``); this is
    /// the second line of defence.
    ///
    /// A full disk is reported as the store's `storageFull` refusal, naming the data directory, not as SQLite's
    /// bare error.
    static func main() async {
        umask(0o077)
        do {
            var command = try parseAsRoot(nil)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: StoreError.explaining(error, databasePath: DataOptions.openedDatabase))
        }
    }
}
