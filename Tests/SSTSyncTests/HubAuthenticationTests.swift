import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SSTCore
import SSTPrivacy
import SSTStore
import SSTSync
import Testing

/// Who may talk to the hub: only nodes with a valid, unrevoked certificate of the district CA.
@Suite(.timeLimit(.minutes(10)))
struct HubAuthenticationTests {
    let district: TestDistrict
    let hub: TestNode

    init() throws {
        district = try TestDistrict()
        hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
    }

    func school(_ node: String = "ekbacken-1") throws -> TestNode {
        try TestNode(node, school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
    }

    @Test func validCertificateHandshakesAndLearnsTheHubsCursorAndClock() async throws {
        let school = try school()
        _ = try school.store.set(
            entity: "pupil",
            record: RecordID("5e1f0c3a-7b2d-4c8e-9f10-a1b2c3d4e5f6")!,
            values: ["grade": .integer(7)]
        )
        try await withHub(hub) { port in
            let response = try await school.withSynchronizer(port: port) { synchronizer in
                try await synchronizer.transport.handshake(
                    HandshakeRequest(
                        policyHash: school.store.policy.hash,
                        nodeTime: school.clock.milliseconds(),
                        lastSequence: 1
                    )
                )
            }
            #expect(response.hub == "hub-1")
            #expect(response.cursor == 0)
            #expect(response.maxClockOffset == HybridLogicalClock.defaultMaxOffsetMilliseconds)
        }
    }

    @Test func noClientCertificateIsA403ProblemWhileHealthStaysOpen() async throws {
        let tls = try withoutClientCertificate(trusting: hub.tls.ca)
        try await withHub(hub) { port in
            try await withRawClient(tls: tls) { client in
                let health = try await client.execute(
                    HTTPClientRequest(url: "https://127.0.0.1:\(port)/health"),
                    timeout: .seconds(60)
                )
                #expect(health.status == .ok)
                for path in ["/v2/pull?since=0", "/v2/handshake", "/v2/push"] {
                    var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)\(path)")
                    if !path.contains("pull") {
                        request.method = .POST
                        request.body = .bytes(ByteBuffer(string: "{}"))
                    }
                    let response = try await client.execute(request, timeout: .seconds(60))
                    let problem = try await decodeProblem(response)
                    #expect(response.status.code == 403, "\(path)")
                    #expect(response.headers.first(name: "content-type") == "application/problem+json")
                    #expect(problem.code == Problem.Codes.certificateRequired)
                }
            }
        }
    }

    @Test func certificateOfAnotherCAFailsTheTLSHandshake() async throws {
        let otherDistrict = try TestDistrict()
        let intruder = try TestNode(
            "ekbacken-1",
            school: "Ekbackens skola",
            stadsdel: "Södermalm",
            district: otherDistrict
        )
        // The intruder trusts the real district CA, so only its own certificate is foreign.
        let files = TLSFiles(certificate: intruder.tls.certificate, key: intruder.tls.key, ca: hub.tls.ca)
        try await withHub(hub) { port in
            await expectRefused(files: files, port: port)
            try await expectServing(port: port)
        }
    }

    @Test func expiredCertificateFailsTheTLSHandshake() async throws {
        let expired = try district.issue("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", expired: true)
        try await withHub(hub) { port in
            await expectRefused(files: expired, port: port)
            try await expectServing(port: port)
        }
    }

    @Test func revokedCertificateIsRefusedWithoutRestartingTheHub() async throws {
        let school = try school()
        try await withHub(hub, revokedPath: district.revokedPath) { port in
            try await school.sync(port: port)
            try district.revoke("ekbacken-1")
            do {
                try await school.sync(port: port)
                Issue.record("a revoked certificate synced")
            } catch let failure as SyncFailure {
                #expect(failure.problem?.statusCode == 403)
                #expect(failure.code == Problem.Codes.certificateRevoked)
            }
            let state = try SyncStateFile(directory: school.dataDirectory).load()
            #expect(state.lastError?.code == Problem.Codes.certificateRevoked)
            #expect(state.lastSuccess != nil)
        }
    }

    @Test func metricsCountDenials() async throws {
        let tls = try withoutClientCertificate(trusting: hub.tls.ca)
        try await withHub(hub) { port in
            try await withRawClient(tls: tls) { client in
                _ = try await client.execute(
                    HTTPClientRequest(url: "https://127.0.0.1:\(port)/v2/pull"),
                    timeout: .seconds(60)
                )
                let response = try await client.execute(
                    HTTPClientRequest(url: "https://127.0.0.1:\(port)/metrics"),
                    timeout: .seconds(60)
                )
                let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
                #expect(text.contains(#"sst_sync_denials_total{reason="certificateRequired"} 1"#))
            }
        }
    }

    /// A sync with `files` fails at the TLS level, never reaching the endpoints.
    func expectRefused(files: TLSFiles, port: Int) async {
        do {
            try await HTTPSyncTransport.withTransport(
                configuration: .init(
                    hubURL: "https://127.0.0.1:\(port)",
                    connectTimeout: .seconds(2),
                    requestTimeout: .seconds(5)
                ),
                tls: try files.clientConfiguration(verifyHostname: true),
                logger: quietLogger
            ) { transport in
                _ = try await transport.handshake(HandshakeRequest(policyHash: "x", nodeTime: 0, lastSequence: 0))
            }
            Issue.record("the hub accepted the certificate")
        } catch let failure as SyncFailure {
            #expect(failure.kind == .tls || failure.kind == .unreachable, "\(failure)")
            #expect(failure.problem == nil)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    /// The hub still answers a valid node.
    func expectServing(port: Int) async throws {
        let school = try school("valid-1")
        let report = try await school.sync(port: port)
        #expect(report.hub == "hub-1")
    }
}

/// The problem+json body of a response.
func decodeProblem(_ response: HTTPClientResponse) async throws -> Problem {
    let body = try await response.body.collect(upTo: 1 << 20)
    return try JSONDecoder().decode(Problem.self, from: Data(body.readableBytesView))
}

/// A client configuration that trusts the district CA but presents no certificate.
func withoutClientCertificate(trusting ca: String) throws -> TLSConfiguration {
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
    return tls
}
