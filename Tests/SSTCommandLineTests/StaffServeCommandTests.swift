import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing

/// The staff API of a real `sst node serve` process whose hub cannot be reached: school staff keep working, and
/// what they write waits for the next sync.
@Suite struct StaffServeCommandTests {
    private struct Added: Decodable {
        let token: String
    }

    @Test(.timeLimit(.minutes(10)))
    func staffReadAndWriteWhileTheHubIsUnreachable() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sst-staff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let hub = try Node.hub("hub-sodermalm", in: scratch)
        let school = try Node.school("ekbacken-1", in: scratch)
        let district = try LoopbackDistrict.issue(hub: hub, school: school, in: scratch)
        let pupil = newRecordID()
        try school.set("pupil", pupil, ["given_name=Åsa", "family_name=Öberg", "grade=7"])
        let token = try decode(
            Added.self,
            try sst(["staff", "add", "--data", school.data, "--name", "Anna Lind", "--json"])
        )
        .token
        let sequence = try school.status().sequence

        // Port 9 on loopback (discard) has no hub: every sync attempt fails and is retried later.
        let server = try SSTRun(
            ["node", "serve", "--data", school.data, "--hub", "https://127.0.0.1:9", "--listen", "127.0.0.1:0"]
                + ["--cert", district.schoolTLS + "/node.pem", "--key", district.schoolTLS + "/node-key.pem"]
                + ["--ca", district.ca + "/ca.pem"]
        )
        defer { server.terminate() }
        let port = try server.listeningPort()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(district.ca + "/ca.pem"))
        try await HTTPClient.withHTTPClient(configuration: HTTPClient.Configuration(tlsConfiguration: tls)) { client in
            func send(
                _ method: HTTPMethod,
                _ path: String,
                body: String? = nil
            ) async throws -> (HTTPResponseStatus, String) {
                var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)\(path)")
                request.method = method
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
                if let body { request.body = .bytes(ByteBuffer(string: body)) }
                let response = try await client.execute(request, timeout: .seconds(60))
                return (response.status, String(buffer: try await response.body.collect(upTo: 1 << 20)))
            }
            let read = try await send(.GET, "/api/v1/records/pupil/\(pupil)")
            #expect(read.0 == .ok && read.1.contains("Öberg"))
            let write = try await send(.PATCH, "/api/v1/records/pupil/\(pupil)", body: #"{"fields": {"grade": 8}}"#)
            #expect(write.0 == .ok, "\(write.1)")
            let found = try await send(.GET, "/api/v1/pupils?q=%C3%B6berg")
            #expect(found.0 == .ok && found.1.contains(pupil))
        }
        server.terminate()
        _ = try server.wait(timeout: 30)
        #expect(try school.get("pupil", pupil)["grade"]?.value == .integer(8))
        #expect(try school.status().sequence == sequence + 1, "one change more, waiting for the hub")
        let audit = try sst(["audit", "list", "--data", school.data, "--kind", "staff_read,staff_write"]).out
        #expect(audit.components(separatedBy: "peer staff:Anna Lind").count - 1 == 3)
    }
}
