import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync

extension DemoScenario {
    /// The school's side of step 5: the kurator rewrites the case plan through the school node's staff API over
    /// HTTPS, with a staff token and the hub down (DESIGN §6); the school's audit trail logs the write.
    func rewritePlanThroughTheStaffAPI(at school: DemoNode, caseID: RecordID, plan: String) async throws {
        let kurator = "Kurator Lena Sjögren"
        let token = try school.store.addStaff(name: kurator)
        let body = try JSONEncoder().encode(StaffAPI.Write(fields: [FieldName.plan: .string(plan)]))
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(school.tls.ca))
        let configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        try await NodeServer.withListening(
            store: school.store,
            tls: school.tls,
            listen: ListenAddress(host: "127.0.0.1", port: 0),
            logger: logger
        ) { port in
            let status = try await HTTPClient.withHTTPClient(configuration: configuration) { client in
                var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)/api/v1/records/case/\(caseID)")
                request.method = .PATCH
                request.headers.add(name: "Authorization", value: "Bearer \(token.text)")
                request.body = .bytes(ByteBuffer(bytes: body))
                let response = try await client.execute(request, timeout: .seconds(10))
                _ = try await response.body.collect(upTo: 1 << 20)
                return response.status
            }
            guard status == .ok else {
                throw SyncSetupError("the school node's staff API answered \(status)", remedy: "Report this as a bug.")
            }
            say("   At \(school.name), \(kurator) writes it through the school node's staff API")
            say("   (https://127.0.0.1:\(port), a staff token, no hub needed); the school's audit trail logs it.")
        }
    }
}
