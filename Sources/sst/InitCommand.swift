import ArgumentParser
import Foundation
import SSTCore
import SSTPrivacy
import SSTSealing
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

            A school node makes the school's key (DIR/school-key.json), which seals the school's own data \
            relayed through the hub. A further node of a school that already has a key is made with \
            --join and gets that key with `sst school-key import` or `sst school-key recover`.
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

    @Flag(
        help: "Join a school that already has a key: make no key, wait for one (`sst school-key import|recover`)."
    )
    var join = false

    func validate() throws {
        guard NodeID(nodeId) != nil else {
            throw ValidationError("--node-id \"\(nodeId)\" is not a node id: use 1–64 of A–Z a–z 0–9 . _ -")
        }
        if role == .school && school == nil {
            throw ValidationError("a school node needs --school NAME")
        }
        if role == .hub && join {
            throw ValidationError("--join is for a further node of a school; a hub holds no school key")
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
        if role == .school, let school { try makeSchoolKey(school: school) }
    }

    /// Makes the school's first key, or with `--join` says how the node gets the school's key.
    private func makeSchoolKey(school: String) throws {
        if join {
            print("This node waits for the school key of \(school): install it with `sst school-key import` (a join")
            print("file from a node of the school) or `sst school-key recover` (the recovery file).")
            return
        }
        if let existing = try SchoolKeyFile.load(directory: data) {
            print("Kept the school key \(existing.id) (epoch \(existing.epoch)) already in \(data).")
            return
        }
        let key = SchoolKey.generate(school: school, epoch: 1, now: SystemClock().milliseconds())
        try SchoolKeyFile.save(key, directory: data)
        print("Made the school key \(key.id) (epoch 1) of \(school). Next: make the recovery file for the")
        print("rektor's safe with `sst school-key recovery --data \(data) --out FILE`.")
    }
}

extension NodeIdentity.Role: ExpressibleByArgument {}
extension Side: ExpressibleByArgument {}
