import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync
import Testing

/// Issue 19, strict input: a member named twice in a sync request, a control character in a value, a personnummer
/// with a wrong check digit. Each is refused with nothing applied; the same request without the fault is accepted.
extension BadInputTests {
    private var hubPeer: PeerIdentity { PeerIdentity(node: hub.identity.node, role: .hub) }

    @Test func aHandshakeThatNamesAMemberTwiceIsA400NamingIt() async throws {
        let hash = hub.store.policy.hash
        let valid =
            #"{"protocolVersion":\#(SyncProtocol.version),"policyHash":"\#(hash)","nodeTime":0,"lastSequence":0"#
        let lastSync = #","lastSync":{"hub":"hub-1","acknowledged":0,"pulledUpTo":0"#
        try await withHub(hub) { port in
            try await withRawClient(tls: try school.tls.clientConfiguration(verifyHostname: true)) { client in
                for (body, path) in [
                    (valid + #","lastSequence":0}"#, "lastSequence"),
                    (valid + #","policyHash":"other"}"#, "policyHash"),
                    (valid + lastSync + #","acknowledged":0}}"#, "lastSync.acknowledged"),
                ] {
                    let response = try await client.execute(
                        request(port: port, "POST", "/v2/handshake", body: body),
                        timeout: .seconds(60)
                    )
                    #expect(response.status == .badRequest, "\(body)")
                    let problem = try await decodeProblem(response)
                    #expect(problem.code == Problem.Codes.malformedRequest)
                    #expect(problem.detail.contains("names \(path) twice"), "\(problem.detail)")
                }
                for body in [valid + "}", valid + lastSync + "}}"] {
                    let response = try await client.execute(
                        request(port: port, "POST", "/v2/handshake", body: body),
                        timeout: .seconds(60)
                    )
                    #expect(response.status == .ok, "\(body)")
                }
            }
            #expect(try hub.store.lastSequence() == 0)
        }
    }

    @Test func aPushThatNamesAMemberTwiceIsA400AndNothingIsApplied() async throws {
        let pupil = try TestPupil(at: school, consent: ["identity"])
        let body = String(
            decoding: try ChangeSetCodec.encode(school.store.exportChanges(for: hubPeer, since: 0)),
            as: UTF8.self
        )
        let twice = body.replacingOccurrences(
            of: #""given_name":"Åsa""#,
            with: #""given_name":"Åsa","given_name":"Åke""#
        )
        try #require(twice != body)
        try await push(twice, expecting: .badRequest, code: "corrupt", mentioning: ["records.fields.given_name twice"])
        #expect(try hub.store.lastSequence() == 0)
        #expect(try hub.store.cursor(for: school.identity.node) == 0)
        #expect(try hub.store.values("pupil", pupil.pupil) == nil)
        try await push(body, expecting: .ok)
        #expect(try hub.store.values("pupil", pupil.pupil)?["given_name"] == .string("Åsa"))
    }

    @Test func aPushWithAControlCharacterInAValueIsA422NamingTheFieldAndNothingIsApplied() async throws {
        let pupil = try TestPupil(at: school, consent: ["identity"])
        let body = String(
            decoding: try ChangeSetCodec.encode(school.store.exportChanges(for: hubPeer, since: 0)),
            as: UTF8.self
        )
        let withNUL = body.replacingOccurrences(of: #""given_name":"Åsa""#, with: #""given_name":"Å\u0000sa""#)
        try #require(withNUL != body)
        try await push(
            withNUL,
            expecting: .unprocessableEntity,
            code: "invalidValue",
            mentioning: ["given_name", "U+0000"]
        )
        #expect(try hub.store.lastSequence() == 0)
        #expect(try hub.store.values("pupil", pupil.pupil) == nil)
        try await push(body, expecting: .ok)
        #expect(try hub.store.values("pupil", pupil.pupil)?["given_name"] == .string("Åsa"))
    }

    @Test func aPushWithAWrongPersonnummerCheckDigitIsA422() async throws {
        let pupil = try TestPupil(at: school, consent: ["identity"])
        let body = String(
            decoding: try ChangeSetCodec.encode(school.store.exportChanges(for: hubPeer, since: 0)),
            as: UTF8.self
        )
        let wrong = body.replacingOccurrences(of: "20130101-0003", with: "20130101-0004")
        try #require(wrong != body)
        try await push(
            wrong,
            expecting: .unprocessableEntity,
            code: "invalidValue",
            mentioning: ["personnummer", "check digit"]
        )
        #expect(try hub.store.values("pupil", pupil.pupil) == nil)
    }

    private func push(
        _ body: String,
        expecting status: HTTPResponseStatus,
        code: String? = nil,
        mentioning phrases: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await withHub(hub) { port in
            try await withRawClient(tls: try school.tls.clientConfiguration(verifyHostname: true)) { client in
                let response = try await client.execute(
                    request(port: port, "POST", "/v2/push", body: body),
                    timeout: .seconds(60)
                )
                #expect(response.status == status, sourceLocation: sourceLocation)
                guard let code else { return }
                let problem = try await decodeProblem(response)
                #expect(problem.code == code, "\(problem)", sourceLocation: sourceLocation)
                for phrase in phrases {
                    #expect(problem.detail.contains(phrase), "\(problem.detail)", sourceLocation: sourceLocation)
                }
            }
        }
    }
}

extension StaffAPITests {
    @Test func aStaffWriteWithAControlCharacterIsA422NamingTheFieldAndNothingIsStored() async throws {
        let pupil = try TestPupil(at: school)
        let token = try school.store.addStaff(name: "Anna Lind").text
        let path = "/api/v1/records/pupil/\(pupil.pupil)"
        try await withNodeListener(school) { port in
            for (body, field, character) in [
                (#"{"fields": {"given_name": "Å\u0000sa"}}"#, "given_name", "U+0000"),
                (#"{"fields": {"grade": 8, "class_name": "8\tB"}}"#, "class_name", "U+0009"),
                (#"{"fields": {"family_name": "Öberg\u007f"}}"#, "family_name", "U+007F"),
            ] {
                let response = try await staffRequest(port, .PATCH, path, token: token, body: body)
                #expect(response.status == .unprocessableEntity, "\(body)")
                let problem = try JSONDecoder().decode(Problem.self, from: response.body)
                #expect(problem.code == "invalidValue")
                #expect(problem.detail.contains(field) && problem.detail.contains(character), "\(problem.detail)")
            }
        }
        let values = try school.store.values("pupil", pupil.pupil)
        #expect(values?["given_name"] == .string("Åsa") && values?["family_name"] == .string("Öberg"))
        #expect(values?["grade"] == .integer(7) && values?["class_name"] == nil)
    }

    @Test func aStaffWriteKeepsTabsAndLineBreaksInAText() async throws {
        let pupil = try TestPupil(at: school)
        let caseID = try pupil.openCase(at: school)
        let token = try school.store.addStaff(name: "Anna Lind").text
        try await withNodeListener(school) { port in
            let response = try await staffRequest(
                port,
                .PATCH,
                "/api/v1/records/case/\(caseID)",
                token: token,
                body: #"{"fields": {"plan": "Mål:\r\n\t1. Närvaro\n\t2. Samtal"}}"#
            )
            #expect(response.status == .ok)
        }
        #expect(try school.store.values("case", caseID)?["plan"] == .string("Mål:\r\n\t1. Närvaro\n\t2. Samtal"))
    }

    @Test func aStaffPatchOfAPersonnummerWithAWrongCheckDigitIsA422() async throws {
        let pupil = try TestPupil(at: school)
        let token = try school.store.addStaff(name: "Anna Lind").text
        let path = "/api/v1/records/pupil/\(pupil.pupil)"
        try await withNodeListener(school) { port in
            for (number, status) in [
                ("20130101-0004", HTTPResponseStatus.unprocessableEntity), ("20130231-0006", .unprocessableEntity),
                ("20130371-0006", .ok),
            ] {
                let body = #"{"fields": {"personnummer": "\#(number)"}}"#
                let response = try await staffRequest(port, .PATCH, path, token: token, body: body)
                #expect(response.status == status, "\(number)")
                guard status != .ok else { continue }
                let problem = try JSONDecoder().decode(Problem.self, from: response.body)
                #expect(problem.code == "invalidValue" && problem.detail.contains("personnummer"), "\(problem.detail)")
            }
        }
        #expect(try school.store.values("pupil", pupil.pupil)?["personnummer"] == .string("20130371-0006"))
    }
}
