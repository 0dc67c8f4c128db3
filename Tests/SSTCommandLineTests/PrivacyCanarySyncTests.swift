import Foundation
import Testing

/// The canary pupils over real HTTPS with mutual TLS: `sst hub serve` and `sst sync` run as processes on
/// loopback, with certificates from `sst pki`. No marker may reach the hub's database file or WAL, what
/// the hub logged, or what `sst sync --verbose` printed — and what may cross did.
@Suite struct PrivacyCanarySyncTests {
    @Test(.timeLimit(.minutes(3)))
    func nothingForbiddenCrossesThroughSyncOverHTTPS() throws {
        try withScratchDirectory { scratch in
            let school = try Node.school("ekbacken-1", in: scratch)
            let hub = try Node.hub("hub-sodermalm", in: scratch)
            let scenario = try CanaryScenario.write(on: school)
            let ca = scratch.appendingPathComponent("ca").path
            let hubTLS = scratch.appendingPathComponent("hub-tls").path
            let schoolTLS = scratch.appendingPathComponent("ekbacken-tls").path
            try sst(["pki", "init", "--out", ca])
            try sst([
                "pki", "issue", "--ca", ca, "--node-id", hub.id, "--role", "hub", "--stadsdel", sodermalm, "--out",
                hubTLS,
            ])
            try sst(
                ["pki", "issue", "--ca", ca, "--node-id", school.id, "--role", "school", "--school", ekbacken]
                    + ["--stadsdel", sodermalm, "--out", schoolTLS]
            )

            let server = try SSTRun(
                ["hub", "serve", "--data", hub.data, "--listen", "127.0.0.1:0", "--cert", hubTLS + "/node.pem"]
                    + ["--key", hubTLS + "/node-key.pem", "--client-ca", ca + "/ca.pem"]
            )
            let port = try listeningPort(of: server)
            let synced = try school.sst(
                ["sync", "--data", school.data, "--hub", "https://127.0.0.1:\(port)", "--verbose"]
                    + ["--cert", schoolTLS + "/node.pem", "--key", schoolTLS + "/node-key.pem", "--ca", ca + "/ca.pem"]
            )
            server.terminate()
            let served = try server.wait(timeout: 30)
            #expect(served.status == 0, "the hub shuts down cleanly on SIGTERM: \(served)")

            let hubFiles = hub.databaseFiles()
            #expect(!hubFiles.isEmpty)
            expectNoMarker(scenario.forbidden, in: hubFiles + outputs("hub serve", served) + outputs("sync", synced))
            let hubBytes = hubFiles.map(\.bytes).reduce(Data(), +)
            for allowed in CanaryScenario.allowed {
                #expect(markerOccurs(allowed, in: hubBytes), "\(allowed) is missing from the hub's database")
            }
            #expect(try hub.get("case", scenario.bjornCase)["plan"]?.value == .string("ALLOWED-B-plan"))
        }
    }

    /// The port `sst hub serve --listen 127.0.0.1:0` bound, from its log line `… port=N … hub listening`.
    private func listeningPort(of server: SSTRun) throws -> Int {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let output = server.outputSoFar()
            if let line = output.split(separator: "\n").first(where: { $0.contains("hub listening") }),
                let field = line.split(separator: " ").first(where: { $0.hasPrefix("port=") }),
                let port = Int(field.dropFirst("port=".count))
            {
                return port
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        server.killNow()
        let result = try server.wait(timeout: 10)
        throw SSTProcessError.timedOut(arguments: ["hub", "serve", "(no port logged: \(result))"], seconds: 60)
    }
}
