import Foundation
import Testing

/// Runs the real `sst` to its end without blocking a thread of Swift's cooperative pool: the process's
/// reaping thread resumes the awaiting test. Output goes to temporary files, so no pipe can fill up.
func sstAwaiting(_ arguments: [String]) async throws -> SSTResult {
    try await SSTRun(arguments).ended()
}

/// `sst` that must succeed.
@discardableResult
func sstSucceeding(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> SSTResult {
    let result = try await sstAwaiting(arguments)
    try #require(result.succeeded, "\(result)", sourceLocation: sourceLocation)
    return result
}

/// What `sst school-key show --json` prints.
struct SchoolKeyShown: Decodable, Equatable {
    let node: String
    let school: String?
    let hasKey: Bool
    let keyID: String?
    let epoch: Int?
    let createdAtMilliseconds: UInt64?
}

@Suite struct SchoolKeyCommandTests {
    /// A scratch folder with a district CA and certificates for two nodes of Ekbackens skola, a node of another
    /// school and a hub, all made with `sst pki`.
    struct Scratch {
        let url: URL
        var ca: String { path("ca/ca.pem") }

        init() async throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("sst-school-key-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try await sstSucceeding(["pki", "init", "--out", path("ca")])
            for (node, school) in [("ekbacken-1", ekbacken), ("ekbacken-2", ekbacken), ("ekbacken-3", ekbacken)]
                + [("bjorkhagen-1", "Björkhagens skola")]
            {
                try await sstSucceeding(
                    ["pki", "issue", "--ca", path("ca"), "--node-id", node, "--role", "school", "--school", school]
                        + ["--stadsdel", sodermalm, "--out", path("\(node)-tls")]
                )
            }
            try await sstSucceeding(
                ["pki", "issue", "--ca", path("ca"), "--node-id", "hub-sodermalm", "--role", "hub"]
                    + ["--stadsdel", sodermalm, "--out", path("hub-tls")]
            )
        }

        func path(_ name: String) -> String { url.appendingPathComponent(name).path }

        func remove() { try? FileManager.default.removeItem(at: url) }

        /// `sst init` a school node in `scratch/<node>`, making the key unless `join`.
        @discardableResult
        func initNode(_ node: String, school: String = ekbacken, join: Bool = false) async throws -> String {
            try await sstSucceeding(
                ["init", "--role", "school", "--node-id", node, "--data", path(node), "--school", school]
                    + ["--stadsdel", sodermalm] + (join ? ["--join"] : [])
            )
            return path(node)
        }

        func show(_ node: String) async throws -> SchoolKeyShown {
            let result = try await sstSucceeding(["school-key", "show", "--data", path(node), "--json"])
            return try decode(SchoolKeyShown.self, result)
        }
    }

    @Test func aJoiningNodeGetsTheSchoolKeyWrappedForItsCertificate() async throws {
        let scratch = try await Scratch()
        defer { scratch.remove() }
        let first = try await scratch.initNode("ekbacken-1")
        let second = try await scratch.initNode("ekbacken-2", join: true)
        let keyFile = scratch.path("ekbacken-1/school-key.json")
        let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("ekbacken-2/school-key.json")))
        let made = try await scratch.show("ekbacken-1")
        #expect(made.hasKey && made.epoch == 1 && made.school == ekbacken && made.keyID?.count == 32)
        #expect(try await scratch.show("ekbacken-2").hasKey == false)
        let text = try await sstSucceeding(["school-key", "show", "--data", first])
        #expect(text.out.contains(made.keyID!) && !text.out.contains("\"key\""))

        // A hub's certificate and another school's are refused, and so is a certificate without a CA to check.
        for (tls, phrase) in [("hub-tls", "hub"), ("bjorkhagen-1-tls", "Björkhagens skola")] {
            let refused = try await sstAwaiting(
                ["school-key", "wrap", "--data", first, "--for", scratch.path("\(tls)/node.pem")]
                    + ["--ca", scratch.ca, "--out", scratch.path("refused.join")]
            )
            expectRefusal(refused, mentions: [phrase])
        }
        let noCA = try await sstAwaiting(
            ["school-key", "wrap", "--data", first, "--for", scratch.path("ekbacken-2-tls/node.pem")]
                + ["--out", scratch.path("refused.join")]
        )
        expectRefusal(noCA, mentions: ["--ca"])
        #expect(!FileManager.default.fileExists(atPath: scratch.path("refused.join")))

        let join = scratch.path("ekbacken-2.join")
        try await sstSucceeding(
            ["school-key", "wrap", "--data", first, "--for", scratch.path("ekbacken-2-tls/node.pem")]
                + ["--ca", scratch.ca, "--out", join]
        )
        // Opened with another node's key: refused, nothing installed.
        let wrongKey = try await sstAwaiting(
            ["school-key", "import", "--data", second, join, "--key", scratch.path("ekbacken-1-tls/node-key.pem")]
        )
        expectRefusal(wrongKey, mentions: ["ekbacken-2", "sst school-key wrap"])
        #expect(try await scratch.show("ekbacken-2").hasKey == false)
        // On a node of another school: refused.
        let other = try await scratch.initNode("bjorkhagen-1", school: "Björkhagens skola", join: true)
        let otherSchool = try await sstAwaiting(
            ["school-key", "import", "--data", other, join, "--key", scratch.path("bjorkhagen-1-tls/node-key.pem")]
        )
        expectRefusal(otherSchool, mentions: [ekbacken, "Björkhagens skola"])

        try await sstSucceeding(
            ["school-key", "import", "--data", second, join, "--key", scratch.path("ekbacken-2-tls/node-key.pem")]
        )
        #expect(try await scratch.show("ekbacken-2").keyID == made.keyID)
        let shownFirst = try await scratch.show("ekbacken-1")
        let shownSecond = try await scratch.show("ekbacken-2")
        #expect(shownFirst.keyID == shownSecond.keyID && shownFirst.epoch == shownSecond.epoch)
        #expect(shownFirst.createdAtMilliseconds == shownSecond.createdAtMilliseconds)
    }

    @Test func theRecoveryFileRebuildsANodesKey() async throws {
        let scratch = try await Scratch()
        defer { scratch.remove() }
        let first = try await scratch.initNode("ekbacken-1")
        let third = try await scratch.initNode("ekbacken-3", join: true)
        let recovery = scratch.path("ekbacken-key.txt")
        let written = try await sstSucceeding(["school-key", "recovery", "--data", first, "--out", recovery])
        #expect(written.out.contains(recovery) && written.out.contains("rektor's safe"))
        #expect(written.out.contains("rotation"))
        let mode = try FileManager.default.attributesOfItem(atPath: recovery)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let again = try await sstAwaiting(["school-key", "recovery", "--data", first, "--out", recovery])
        expectRefusal(again, mentions: ["already exists"])

        // A truncated copy is refused and installs nothing.
        let text = try String(contentsOfFile: recovery, encoding: .utf8)
        let truncated = scratch.path("truncated.txt")
        try Data(text.prefix(text.count - 80).utf8).write(to: URL(fileURLWithPath: truncated))
        let refused = try await sstAwaiting(["school-key", "recover", "--data", third, truncated])
        expectRefusal(refused, mentions: ["cut short", "rektor's safe"])
        #expect(try await scratch.show("ekbacken-3").hasKey == false)

        try await sstSucceeding(["school-key", "recover", "--data", third, recovery])
        #expect(
            try await scratch.show("ekbacken-3")
                == SchoolKeyShown(
                    node: "ekbacken-3",
                    school: ekbacken,
                    hasKey: true,
                    keyID: try await scratch.show("ekbacken-1").keyID,
                    epoch: 1,
                    createdAtMilliseconds: try await scratch.show("ekbacken-1").createdAtMilliseconds
                )
        )
    }

    @Test func aHubTakesNoJoinFlag() async throws {
        let scratch = try await Scratch()
        defer { scratch.remove() }
        let refused = try await sstAwaiting(
            ["init", "--role", "hub", "--node-id", "hub-sodermalm", "--data", scratch.path("hub"), "--join"]
        )
        expectRefusal(refused, mentions: ["--join"])
    }
}
