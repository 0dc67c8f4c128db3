import AsyncHTTPClient
import Foundation
import NIOHTTP1
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync
import Testing

/// Consents through the staff API over HTTPS: recorded by a kurator at the school, they open the boundary at the
/// next sync; withdrawn, the hub purges what it received.
@Suite(.timeLimit(.minutes(10)))
struct StaffConsentAPITests {
    let api: StaffAPITests

    init() throws {
        api = try StaffAPITests()
    }

    var school: TestNode { api.school }

    @Test func aConsentRecordedThroughTheAPIOpensTheBoundaryAndItsWithdrawalClosesIt() async throws {
        let pupil = try TestPupil(at: school)  // a guardian with custody, no consent yet
        let token = try school.store.addStaff(name: "Kurator Lena Sjögren").text
        let hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: api.district)
        try await withHub(hub) { port in _ = try await school.sync(port: port) }
        #expect(try hub.store.values("pupil", pupil.pupil)?["given_name"] == nil)

        let grant = """
            {"pupil": "\(pupil.pupil)", "scopes": ["identity"], "givenBy": ["\(pupil.guardian)"],
             "method": "written", "pupilView": "Jag vill ha hjälp med skolan."}
            """
        let consent = try await withNodeListener(school) { port in
            let response = try await api.staffRequest(port, .POST, "/api/v1/consents", token: token, body: grant)
            #expect(response.status == .created)
            return try JSONDecoder().decode(StaffAPI.Consent.self, from: response.body)
        }
        #expect(consent.status == "active" && consent.scopes == ["identity"] && consent.pupil == pupil.pupil.rawValue)
        try await withHub(hub) { port in _ = try await school.sync(port: port) }
        #expect(try hub.store.values("pupil", pupil.pupil)?["given_name"] == .string("Åsa"))

        let withdrawn = try await withNodeListener(school) { port in
            let response = try await api.staffRequest(
                port,
                .POST,
                "/api/v1/consents/\(consent.id)/withdraw",
                token: token
            )
            #expect(response.status == .ok)
            return try JSONDecoder().decode(StaffAPI.Consent.self, from: response.body)
        }
        #expect(withdrawn.status == "withdrawn")
        let listed = try await withNodeListener(school) { port in
            let response = try await api.staffRequest(
                port,
                .GET,
                "/api/v1/pupils/\(pupil.pupil)/consents",
                token: token
            )
            #expect(response.status == .ok)
            return try JSONDecoder().decode([StaffAPI.Consent].self, from: response.body)
        }
        #expect(listed == [withdrawn])
        try await withHub(hub) { port in _ = try await school.sync(port: port) }
        #expect(try hub.store.values("pupil", pupil.pupil)?["given_name"] == nil)

        let staff = try school.store.auditEntries(pupil: pupil.pupil).map(\.entry).filter {
            $0.peer == "staff:Kurator Lena Sjögren"
        }
        #expect(staff.map(\.kind) == [.staffWrite, .staffWrite, .staffRead])
        #expect(
            staff.last?.detail == "consents of \(pupil.pupil): 1"
                && staff.last?.fields.contains("consent.status") == true
        )
    }

    @Test func aBadConsentRequestGetsAProblemAndRecordsNothing() async throws {
        let pupil = try TestPupil(at: school)
        let token = try school.store.addStaff(name: "Anna Lind").text
        let sequence = try school.store.lastSequence()
        func grant(_ members: String) -> String {
            #"{"pupil": "\#(pupil.pupil)", "scopes": ["identity"], "givenBy": ["\#(pupil.guardian)"], "#
                + #""pupilView": "Ja", \#(members)}"#
        }
        let cases: [(String, String, HTTPResponseStatus, String)] = [
            ("/api/v1/consents", grant(#""method": "email""#), .badRequest, Problem.Codes.malformedRequest),
            (
                "/api/v1/consents", grant(#""method": "written", "validUntil": "snart""#), .badRequest,
                "malformedRequest"
            ),
            (
                "/api/v1/consents", #"{"pupil": "Åsa", "scopes": [], "givenBy": [], "method": "oral"}"#, .badRequest,
                "malformedRequest"
            ),
            (
                "/api/v1/consents", grant(#""method": "written", "scopes": ["shoe_size"]"#), .badRequest,
                "malformedRequest"
            ),
            (
                "/api/v1/consents",
                #"{"pupil": "\#(pupil.pupil)", "scopes": ["shoe_size"], "givenBy": ["\#(pupil.guardian)"], "method": "oral", "pupilView": "Ja"}"#,
                .unprocessableEntity, "invalidValue"
            ),
            (
                "/api/v1/consents",
                #"{"pupil": "\#(pupil.pupil)", "scopes": ["identity"], "givenBy": ["\#(RecordID.random())"], "method": "oral", "pupilView": "Ja"}"#,
                .unprocessableEntity, "invalidValue"
            ),
            ("/api/v1/consents/\(RecordID.random())/withdraw", "", .notFound, "notFound"),
            (
                "/api/v1/consents/\(RecordID.random())/answers", #"{"guardian": "x", "consents": true}"#, .badRequest,
                "malformedRequest"
            ),
        ]
        try await withNodeListener(school) { port in
            for (path, body, status, code) in cases {
                let response = try await api.staffRequest(port, .POST, path, token: token, body: body)
                let problem = try JSONDecoder().decode(Problem.self, from: response.body)
                #expect(response.status == status && problem.code == code, "\(path) \(body): \(problem)")
            }
        }
        #expect(try school.store.lastSequence() == sequence)
        #expect(try school.store.consentSummaries(pupil: pupil.pupil).isEmpty)
    }
}
