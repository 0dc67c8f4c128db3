import Foundation
import Testing

/// A district CA made with `sst pki init`, a hub certificate and a school certificate issued from it, for
/// `sst hub serve` and `sst sync` over HTTPS with mutual TLS on 127.0.0.1.
struct LoopbackDistrict {
    let ca: String
    let hubTLS: String
    let schoolTLS: String

    /// Issues the CA and the two certificates in `scratch` (`ca/`, `hub-tls/`, `school-tls/`).
    static func issue(hub: Node, school: Node, in scratch: URL) throws -> LoopbackDistrict {
        let district = LoopbackDistrict(
            ca: scratch.appendingPathComponent("ca").path,
            hubTLS: scratch.appendingPathComponent("hub-tls").path,
            schoolTLS: scratch.appendingPathComponent("school-tls").path
        )
        try sst(["pki", "init", "--out", district.ca])
        try sst(
            ["pki", "issue", "--ca", district.ca, "--node-id", hub.id, "--role", "hub", "--stadsdel", sodermalm]
                + ["--out", district.hubTLS]
        )
        try sst(
            ["pki", "issue", "--ca", district.ca, "--node-id", school.id, "--role", "school", "--school", ekbacken]
                + ["--stadsdel", sodermalm, "--out", district.schoolTLS]
        )
        return district
    }

    /// Starts `sst hub serve` for `hub` on 127.0.0.1, on `port` (0: an ephemeral one), with the CA folder's
    /// `revoked.json` (`sst pki revoke`), and returns it with the port it bound.
    func serve(_ hub: Node, port: Int = 0) throws -> (server: SSTRun, port: Int) {
        let server = try SSTRun(
            ["hub", "serve", "--data", hub.data, "--listen", "127.0.0.1:\(port)", "--cert", hubTLS + "/node.pem"]
                + ["--key", hubTLS + "/node-key.pem", "--client-ca", ca + "/ca.pem", "--revoked", ca + "/revoked.json"]
        )
        return (server, try server.listeningPort())
    }

    /// The arguments of `sst sync` of `school` against the hub on `port`.
    func syncArguments(_ school: Node, port: Int) -> [String] {
        ["sync", "--data", school.data, "--hub", "https://127.0.0.1:\(port)"]
            + ["--cert", schoolTLS + "/node.pem", "--key", schoolTLS + "/node-key.pem", "--ca", ca + "/ca.pem"]
    }
}

extension SSTRun {
    /// The port `sst hub serve` or `sst node serve --listen 127.0.0.1:N` bound, from its log line
    /// `… port=N … hub listening` (or `node listening`).
    func listeningPort() throws -> Int {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let output = outputSoFar()
            let lines = output.split(separator: "\n")
            if let line = lines.first(where: { $0.contains("hub listening") || $0.contains("node listening") }),
                let field = line.split(separator: " ").first(where: { $0.hasPrefix("port=") }),
                let port = Int(field.dropFirst("port=".count))
            {
                return port
            }
            if hasEnded { throw SSTProcessError.failedToStart(try wait(timeout: 10)) }
            Thread.sleep(forTimeInterval: 0.1)
        }
        killNow()
        let result = try wait(timeout: 10)
        throw SSTProcessError.timedOut(arguments: arguments + ["(no port logged: \(result))"], seconds: 60)
    }
}
