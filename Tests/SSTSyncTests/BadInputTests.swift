import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SSTCore
import SSTPrivacy
import SSTStore
import SSTSync
import Testing

/// Bad requests get a 4xx problem+json saying what was wrong; nothing is applied and the hub keeps serving.
@Suite(.timeLimit(.minutes(10)))
struct BadInputTests {
    let district: TestDistrict
    let hub: TestNode
    let school: TestNode

    init() throws {
        district = try TestDistrict()
        hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
        school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
    }

    var validChangeSetPrefix: String {
        #"{"format":"sst-changes","version":1,"origin":"ekbacken-1","side":"school","policyHash":""#
            + hub.store.policy.hash + #"","#
    }

    /// (method, path, body, expected status, expected code)
    var cases: [(String, String, String, Int, String)] {
        [
            ("POST", "/v2/push", #"{"format": "sst-changes", "version": 1, "origin": "#, 400, "corrupt"),
            ("POST", "/v2/push", "[1, 2, 3]", 400, "notAChangeSet"),
            ("POST", "/v2/push", validChangeSetPrefix + #""since":"zero","upTo":1,"changes":[]}"#, 400, "corrupt"),
            ("POST", "/v2/push", #"{"format":"sst-changes","version":99,"origin":"ekbacken-1"}"#, 400, "newerVersion"),
            (
                "POST", "/v2/push",
                validChangeSetPrefix
                    + #""since":0,"upTo":1,"changes":[{"entity":"pupil","id":"5e1f0c3a-7b2d-4c8e-9f10-a1b2c3d4e5f6","field":"grade","value":"sjunde","stamp":"1795425292812:0@ekbacken-1"}]}"#,
                422, "invalidValue"
            ),
            (
                "POST", "/v2/push",
                validChangeSetPrefix.replacingOccurrences(of: #""version":1"#, with: #""version":2"#)
                    + #""since":0,"upTo":1,"records":[{"entity":"pupil","id":"5e1f0c3a-7b2d-4c8e-9f10-a1b2c3d4e5f6","stamp":"1795425292812:0@ekbacken-1","fields":{"given_name":"Åsa","grade":"sjunde"}}]}"#,
                422, "invalidValue"
            ),
            (
                "POST", "/v2/push",
                validChangeSetPrefix
                    + #""since":0,"upTo":1,"changes":[{"entity":"spaceship","id":"5e1f0c3a-7b2d-4c8e-9f10-a1b2c3d4e5f6","field":"grade","value":1,"stamp":"1795425292812:0@ekbacken-1"}]}"#,
                422, "unknownEntity"
            ),
            ("POST", "/v2/handshake", "not json", 400, "malformedRequest"),
            (
                "POST", "/v2/handshake", #"{"protocolVersion":"one","policyHash":"x","nodeTime":0,"lastSequence":0}"#,
                400, "malformedRequest"
            ),
            (
                "POST", "/v2/handshake", #"{"protocolVersion":3,"policyHash":"x","nodeTime":0,"lastSequence":0}"#, 400,
                "unsupportedVersion"
            ),
            ("GET", "/v2/pull?since=abc", "", 400, "malformedRequest"),
            ("GET", "/v2/pull?since=-1", "", 400, "malformedRequest"),
            ("GET", "/v2/pull?since=0&limit=0", "", 400, "malformedRequest"),
            ("GET", "/v2/nothing-here", "", 404, "notFound"),
        ]
    }

    @Test func badRequestsGetAProblemAndChangeNothing() async throws {
        try await withHub(hub, maxBodyBytes: 64 * 1024) { port in
            try await withRawClient(tls: try school.tls.clientConfiguration(verifyHostname: true)) { client in
                for (method, path, body, status, code) in cases {
                    let response = try await client.execute(
                        request(port: port, method, path, body: body),
                        timeout: .seconds(60)
                    )
                    #expect(Int(response.status.code) == status, "\(method) \(path) \(body.prefix(60))")
                    #expect(response.headers.first(name: "content-type") == "application/problem+json")
                    let problem = try await decodeProblem(response)
                    #expect(problem.code == code, "\(path): \(problem)")
                    #expect(problem.statusCode == status)
                    #expect(!problem.detail.isEmpty && problem.type == "urn:sst-sync:problem:\(code)")
                }
            }
            #expect(try hub.store.lastSequence() == 0)
            try await school.sync(port: port)
        }
    }

    @Test func bodyOverTheLimitIsA413AndTheHubKeepsServing() async throws {
        try await withHub(hub, maxBodyBytes: 1024) { port in
            let big = String(repeating: "x", count: 4096)
            try await withRawClient(tls: try school.tls.clientConfiguration(verifyHostname: true)) { client in
                for streamed in [false, true] {
                    var request = request(port: port, "POST", "/v2/push", body: big)
                    if streamed {  // No Content-Length up front: the limit is enforced while reading.
                        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
                        continuation.yield(ByteBuffer(string: big))
                        continuation.finish()
                        request.body = .stream(stream, length: .unknown)
                    }
                    let response = try await client.execute(request, timeout: .seconds(60))
                    #expect(response.status == .payloadTooLarge)
                    #expect(try await decodeProblem(response).code == Problem.Codes.bodyTooLarge)
                }
            }
            try await school.sync(port: port)
        }
    }

    @Test func aPushInTheNameOfAnotherNodeIsDenied() async throws {
        try await withHub(hub) { port in
            let forged = ChangeSet(origin: NodeID("other-school")!, side: .school, since: 0, upTo: 0, changes: [])
            let body = String(decoding: try ChangeSetCodec.encode(forged), as: UTF8.self)
            try await withRawClient(tls: try school.tls.clientConfiguration(verifyHostname: true)) { client in
                let response = try await client.execute(
                    request(port: port, "POST", "/v2/push", body: body),
                    timeout: .seconds(60)
                )
                #expect(response.status == .forbidden)
                #expect(try await decodeProblem(response).code == "notAuthorized")
            }
        }
    }

    func request(port: Int, _ method: String, _ path: String, body: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)\(path)")
        request.method = HTTPMethod(rawValue: method)
        if method == "POST" {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        return request
    }
}
