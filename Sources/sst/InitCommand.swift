import ArgumentParser
import Foundation
import SSTCore
import SSTPrivacy
import SSTStore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a node: its data directory and database.",
        discussion: """
            The data directory is made readable by this user only (mode 0700) and every file the node \
            writes in it is created with mode 0600: it holds personal data about pupils.

            Example:
              sst init --role school --node-id school-ekbacken-1 \\
                --data ./ekbacken --school "Ekbackens skola" \\
                --stadsdel "Södermalm"
            """
    )

    @Option(help: "The node's role: school or hub.")
    var role: NodeIdentity.Role

    @Option(help: ArgumentHelp("A unique node id: 1–64 of A–Z a–z 0–9 . _ -", valueName: "ID"))
    var nodeId: String

    @Option(
        name: .long,
        help: ArgumentHelp("The data directory to create (may exist, but hold no node).", valueName: "DIR")
    )
    var data: String

    @Option(help: "The school this node serves (school nodes).")
    var school: String?

    @Option(help: "The stadsdel (city district) of the school or hub.")
    var stadsdel: String?

    @Option(
        help: ArgumentHelp(
            "Refuse changes stamped more than this many seconds ahead of this node's clock.",
            valueName: "SECONDS"
        )
    )
    var maxClockOffset: UInt64 = HybridLogicalClock.defaultMaxOffsetMilliseconds / 1000

    @Option(
        help: ArgumentHelp(
            "A municipality's privacy policy file to use instead of the default (copied into DIR/policy.json).",
            valueName: "FILE"
        )
    )
    var policy: String?

    func validate() throws {
        guard NodeID(nodeId) != nil else {
            throw ValidationError("--node-id \"\(nodeId)\" is not a node id: use 1–64 of A–Z a–z 0–9 . _ -")
        }
        if role == .school && school == nil {
            throw ValidationError("a school node needs --school NAME")
        }
    }

    func run() throws {
        let options = try DataOptions.parse(["--data", data])
        var policyData: Data?
        if let policy {
            let data = try Data(contentsOf: URL(fileURLWithPath: policy))
            _ = try PolicyLoader.load(data)
            policyData = data
        }
        try PrivateFiles.makeDirectory(data)
        if let policyData, !FileManager.default.fileExists(atPath: options.databasePath) {
            let target = URL(fileURLWithPath: data).appendingPathComponent(Store.policyFileName)
            try PrivateFiles.write(policyData, to: target.path)
        }
        let identity = NodeIdentity(node: NodeID(nodeId)!, role: role, school: school, stadsdel: stadsdel)
        _ = try Store.create(
            at: options.databasePath,
            identity: identity,
            maxClockOffsetMilliseconds: maxClockOffset * 1000
        )
        print("Created \(role.rawValue) node \(nodeId) in \(data)")
    }
}

extension NodeIdentity.Role: ExpressibleByArgument {}
extension Side: ExpressibleByArgument {}
