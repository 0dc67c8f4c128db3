import Foundation
import Testing

/// Two nodes of one school sync directly, as an administrator runs them: `sst sync --peer` against a running
/// `sst node serve`, and `sst node serve --peer` syncing in the background.
@Suite(.timeLimit(.minutes(10)))
struct PeerSyncCommandTests {
    /// Runs `sst` to its end without blocking a thread of Swift's cooperative pool (the reaping thread resumes
    /// the test); output goes to temporary files.
    static func run(_ arguments: [String]) async throws -> SSTResult {
        try await SSTRun(arguments).ended()
    }

    @discardableResult
    static func succeeding(
        _ arguments: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws
        -> SSTResult
    {
        let result = try await run(arguments)
        try #require(result.succeeded, "\(result)", sourceLocation: sourceLocation)
        return result
    }

    /// The port a started `sst node serve` logged, awaited without blocking a thread.
    static func port(of server: SSTRun) async throws -> Int {
        for _ in 0..<600 {
            let lines = server.outputSoFar().split(separator: "\n")
            if let line = lines.first(where: { $0.contains("node listening") }),
                let field = line.split(separator: " ").first(where: { $0.hasPrefix("port=") }),
                let port = Int(field.dropFirst("port=".count))
            {
                return port
            }
            try #require(!server.hasEnded, "sst node serve ended: \(server.outputSoFar())")
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("sst node serve logged no port: \(server.outputSoFar())")
        throw CancellationError()
    }

    struct Peer {
        let data: String
        let tls: String
        let ca: String

        var certificate: [String] {
            ["--cert", tls + "/node.pem", "--key", tls + "/node-key.pem", "--ca", ca + "/ca.pem"]
        }

        /// `sst node serve` on 127.0.0.1, port 0, with a hub nobody listens at (the peers need none).
        func serve(peers: [String] = []) throws -> SSTRun {
            try SSTRun(
                ["node", "serve", "--data", data, "--hub", "https://127.0.0.1:1", "--listen", "127.0.0.1:0"]
                    + certificate + ["--interval", "1"] + peers.flatMap { ["--peer", $0] }
            )
        }

        func get(_ entity: String, _ id: String) async throws -> SSTResult {
            try await run(["record", "get", "--data", data, "--entity", entity, "--id", id, "--json"])
        }
    }

    func makePeers(in scratch: URL) async throws -> (Peer, Peer) {
        let ca = scratch.appendingPathComponent("ca").path
        try await Self.succeeding(["pki", "init", "--out", ca])
        var peers: [Peer] = []
        for id in ["ekbacken-1", "ekbacken-2"] {
            let data = scratch.appendingPathComponent(id).path
            let tls = scratch.appendingPathComponent("\(id)-tls").path
            try await Self.succeeding(
                ["init", "--role", "school", "--node-id", id, "--data", data, "--school", ekbacken]
                    + ["--stadsdel", sodermalm]
            )
            try await Self.succeeding(
                ["pki", "issue", "--ca", ca, "--node-id", id, "--role", "school", "--school", ekbacken]
                    + ["--stadsdel", sodermalm, "--out", tls]
            )
            peers.append(Peer(data: data, tls: tls, ca: ca))
        }
        return (peers[0], peers[1])
    }

    @Test func syncPeerAndNodeServePeerCarryEverythingOfTheSchoolBothWays() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sst-peer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let (first, second) = try await makePeers(in: scratch)
        let pupil = newRecordID()
        let note = newRecordID()
        try await Self.succeeding(
            ["record", "set", "--data", first.data, "--entity", "pupil", "--id", pupil, "given_name=Åsa"]
                + ["family_name=Öberg", "school=\(ekbacken)"]
        )
        try await Self.succeeding(
            ["record", "set", "--data", first.data, "--entity", "health_note", "--id", note, "pupil_id=\(pupil)"]
                + ["text=Samtal med skolsköterskan."]
        )

        let server = try first.serve()
        defer { server.terminate() }
        let port = try await Self.port(of: server)
        let peerURL = "https://127.0.0.1:\(port)"

        // --peer is not --hub.
        let mixed = try await Self.run(["sync", "--data", second.data, "--peer", peerURL, "--hub", peerURL])
        #expect(!mixed.succeeded && mixed.err.contains("leave out --hub"), "\(mixed)")

        let synced = try await Self.succeeding(
            ["sync", "--data", second.data, "--peer", peerURL, "--json"] + second.certificate
        )
        #expect(synced.out.contains("\"peer\": \"ekbacken-1\""), "\(synced)")
        let got = try await second.get("health_note", note)
        #expect(got.succeeded && got.out.contains("Samtal med skolsköterskan."), "\(got)")

        // The second node serves and syncs with the first in the background; its own write reaches the first.
        let written = newRecordID()
        try await Self.succeeding(
            ["record", "set", "--data", second.data, "--entity", "health_note", "--id", written, "pupil_id=\(pupil)"]
                + ["text=Uppföljning i maj."]
        )
        let background = try second.serve(peers: [peerURL])
        defer { background.terminate() }
        _ = try await Self.port(of: background)
        var arrived = false
        for _ in 0..<600 where !arrived {
            let result = try await first.get("health_note", written)
            arrived = result.succeeded && result.out.contains("Uppföljning i maj.")
            if !arrived { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(arrived, "the background peer sync never carried the write: \(background.outputSoFar())")

        let status = try await Self.succeeding(["status", "--data", second.data, "--json"])
        #expect(status.out.contains("\"peerSync\"") && status.out.contains(peerURL), "\(status)")
        #expect(status.out.contains("\"hub\": null"), "a peer sync moved the hub's state: \(status)")
    }
}
