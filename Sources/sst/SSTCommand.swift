import ArgumentParser

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
            DemoCommand.self,
        ]
    )
}
