import Foundation
import Testing

/// `sst init`, the export side rule and `--help`.
@Suite struct NodeCommandTests {
    /// An export for the other side passes the privacy filter: without consent nothing of the pupil
    /// leaves, and the command says what it withheld and why.
    @Test(.timeLimit(.minutes(10)))
    func exportForTheOtherSideWithholdsWhatThePolicyForbids() throws {
        try withScratchDirectory { scratch in
            let node = try Node.school("ekbacken-a", in: scratch)
            try node.set("pupil", newRecordID(), ["given_name=Åsa", "family_name=Öberg"])
            for arguments in [[], ["--for", "social"]] {
                let file = scratch.appendingPathComponent("till-socialtjansten-\(arguments.count).json")
                let result = try SST.run(["changes", "export", "--data", node.data, "--out", file.path] + arguments)
                #expect(result.status == 0, "\(result)")
                #expect(result.out.contains("Withheld by the privacy policy: 2 field values"), "\(result.out)")
                #expect(result.out.contains("no consent in force with scope identity"), "\(result.out)")
                let bytes = try Data(contentsOf: file)
                #expect(bytes.range(of: Data("Åsa".utf8)) == nil && bytes.range(of: Data("Öberg".utf8)) == nil)
            }
            let same = scratch.appendingPathComponent("for-school.json")
            try node.export(to: same)
            #expect(try Data(contentsOf: same).range(of: Data("Öberg".utf8)) != nil)
        }
    }

    /// DESIGN §6: errors say what to do, in words an administrator reads (not a Foundation error dump).
    @Test(.timeLimit(.minutes(10)))
    func exportToAMissingFolderSaysWhatToDo() throws {
        try withScratchDirectory { scratch in
            let node = try Node.school("ekbacken-a", in: scratch)
            let out = scratch.appendingPathComponent("usb-minne/saknas/ekbacken.json").path
            let result = try SST.run(["changes", "export", "--data", node.data, "--out", out, "--for", "school"])
            expectRefusal(result, mentions: [out])
            let raw = result.err.contains("NSCocoaErrorDomain") || result.err.contains("UserInfo=")
            #expect(!raw, "a raw Foundation error reached the user instead of what to do: \(result)")
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func initRefusesAnExistingNode() throws {
        try withScratchDirectory { scratch in
            let node = try Node.school("ekbacken-a", in: scratch)
            try node.set("pupil", newRecordID(), ["given_name=Åsa", "family_name=Öberg"])
            let before = try node.dump()
            for arguments in [
                ["--role", "school", "--node-id", "ekbacken-a", "--school", ekbacken],
                ["--role", "school", "--node-id", "ekbacken-z", "--school", "Annan skola"],
                ["--role", "hub", "--node-id", "hub-sodermalm", "--stadsdel", sodermalm],
            ] {
                let result = try SST.run(["init", "--data", node.data] + arguments)
                expectRefusal(result, mentions: ["already holds a node", "another --data directory"])
            }
            #expect(try node.dump() == before, "a refused init changed the node")
            let status = try node.status()
            #expect(status.node == "ekbacken-a")
            #expect(status.role == "school")
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func initRejectsBadNodeId() throws {
        try withScratchDirectory { scratch in
            let badIDs = ["bad id!", "", String(repeating: "x", count: 65), "skola-åsa", "a/b", "ekbacken:1"]
            for (number, badID) in badIDs.enumerated() {
                let directory = scratch.appendingPathComponent("node-\(number)")
                let result = try SST.run(
                    ["init", "--role", "school", "--node-id", badID, "--data", directory.path, "--school", ekbacken]
                )
                expectRefusal(result, mentions: ["is not a node id", "A–Z a–z 0–9 . _ -"])
                #expect(!FileManager.default.fileExists(atPath: directory.path), "a refused init made \(directory)")
            }
            let longest = String(repeating: "x", count: 64)
            try sst(
                ["init", "--role", "school", "--node-id", longest, "--data", scratch.appendingPathComponent("ok").path]
                    + ["--school", ekbacken]
            )

            let noSchool = scratch.appendingPathComponent("no-school")
            let result = try SST.run(["init", "--role", "school", "--node-id", "ekbacken-a", "--data", noSchool.path])
            expectRefusal(result, mentions: ["needs --school"])
            #expect(!FileManager.default.fileExists(atPath: noSchool.path))
        }
    }

    static let commands: [[String]] = [
        [], ["init"], ["record"], ["record", "set"], ["record", "get"], ["record", "delete"], ["record", "purge"],
        ["changes"], ["changes", "export"], ["changes", "import"], ["dump"], ["conflicts"], ["conflicts", "list"],
        ["conflicts", "resolve"], ["status"], ["report"],
    ]

    @Test(.timeLimit(.minutes(10)), arguments: commands)
    func helpIsAvailableForEveryCommand(_ command: [String]) throws {
        for flag in ["--help", "-h"] {
            let result = try SST.run(command + [flag])
            #expect(result.succeeded, "\(result)")
            #expect(result.out.contains("USAGE: sst \(command.joined(separator: " "))"), "\(result)")
            #expect(result.out.contains("OVERVIEW:"), "\(result)")
            #expect(result.err.isEmpty, "\(result)")
        }
        if !command.isEmpty {
            let viaHelp = try SST.run(["help"] + command)
            #expect(viaHelp.succeeded && viaHelp.out.contains("USAGE: sst"), "\(viaHelp)")
        }
        let needsData = command.count == 2 || ["dump", "status"].contains(command.first)
        if needsData {
            let help = try SST.run(command + ["--help"]).out
            #expect(help.contains("--data <DIR>"), "sst \(command) --help does not document --data")
        }
    }
}
