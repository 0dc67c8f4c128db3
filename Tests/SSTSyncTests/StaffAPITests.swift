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
import Testing

/// The staff API over HTTPS on loopback: school staff at a school node's listener, social workers at the hub's,
/// each request with a bearer token, each read and write in the node's audit trail.
@Suite(.timeLimit(.minutes(10)))
struct StaffAPITests {
    let district: TestDistrict
    let school: TestNode

    init() throws {
        district = try TestDistrict()
        school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
    }

    @Test func schoolStaffReadAndWriteARecordAndEveryAccessIsAudited() async throws {
        let pupil = try TestPupil(at: school, consent: ["identity"])
        let token = try school.store.addStaff(name: "Anna Lind")
        let path = "/api/v1/records/pupil/\(pupil.pupil)"
        try await withNodeListener(school) { port in
            let read = try await staffRequest(port, .GET, path, token: token.text)
            #expect(read.status == .ok)
            let record = try JSONDecoder().decode(StaffAPI.Record.self, from: read.body)
            #expect(record.entity == "pupil" && record.id == pupil.pupil.rawValue)
            #expect(
                record.fields["grade"]?.value == .integer(7) && record.fields["given_name"]?.value == .string("Åsa")
            )

            let write = try await staffRequest(
                port,
                .PATCH,
                path,
                token: token.text,
                body: #"{"fields": {"grade": 8, "class_name": "8B", "family_name": null}}"#
            )
            #expect(write.status == .ok)
            let written = try JSONDecoder().decode(StaffAPI.Written.self, from: write.body)
            #expect(written.fields.sorted() == ["class_name", "family_name", "grade"])
            let values = try school.store.values("pupil", pupil.pupil)
            #expect(values?["grade"] == .integer(8) && values?["class_name"] == .string("8B"))
            #expect(values?["family_name"] == .null)
            #expect(
                try school.store.record(entity: "pupil", record: pupil.pupil)?["grade"]?.stamp.description
                    == written.stamp
            )
        }
        try await withNodeListener(school) { port in
            let response = try await staffRequest(port, .GET, "/api/v1/pupils/\(pupil.pupil)", token: token.text)
            #expect(response.status == .ok)
            let file = try JSONDecoder().decode(StaffAPI.PupilFile.self, from: response.body)
            #expect(file.pupil == pupil.pupil.rawValue)
            #expect(file.records.map(\.entity) == ["consent", "guardian", "pupil"])
            #expect(file.records.last?.fields["class_name"]?.value == .string("8B"))
            let unknown = try await staffRequest(port, .GET, "/api/v1/pupils/\(RecordID.random())", token: token.text)
            #expect(unknown.status == .notFound)
        }
        try await withNodeListener(school) { port in
            let guardian = "/api/v1/records/guardian/\(pupil.guardian)"
            let deleted = try await staffRequest(port, .DELETE, guardian, token: token.text)
            #expect(deleted.status == .ok)
            #expect(try JSONDecoder().decode(StaffAPI.Written.self, from: deleted.body).fields == ["_deleted"])
            let read = try await staffRequest(port, .GET, guardian, token: token.text)
            let record = try JSONDecoder().decode(StaffAPI.Record.self, from: read.body)
            #expect(record.fields["_deleted"]?.value == .boolean(true))
            let unknown = try await staffRequest(
                port,
                .DELETE,
                "/api/v1/records/guardian/\(RecordID.random())",
                token: token.text
            )
            #expect(unknown.status == .notFound)
        }
        let staffEntries = try school.store.auditEntries(pupil: pupil.pupil).map(\.entry).filter {
            $0.peer == "staff:Anna Lind"
        }
        #expect(staffEntries.map(\.kind) == [.staffRead, .staffWrite, .staffRead, .staffWrite, .staffRead])
        #expect(staffEntries[1].fields == ["pupil.class_name", "pupil.family_name", "pupil.grade"])

        // What staff write is the node's own change like any other: the next sync takes it to the hub.
        let hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
        try await withHub(hub) { port in _ = try await school.sync(port: port) }
        #expect(try hub.store.values("pupil", pupil.pupil)?["class_name"] == .string("8B"))
    }

    @Test func staffFindAPupilByASearchInTheQueryString() async throws {
        let pupil = try TestPupil(at: school)  // Åsa Öberg
        try TestPupil(at: school, givenName: "Bo", familyName: "Berg", personnummer: "20110303-0001")
        let token = try school.store.addStaff(name: "Anna Lind").text
        try await withNodeListener(school) { port in
            let found = try await staffRequest(port, .GET, "/api/v1/pupils?q=%C3%B6b", token: token)  // "öb"
            #expect(found.status == .ok)
            let search = try JSONDecoder().decode(StaffAPI.PupilSearch.self, from: found.body)
            #expect(search.matches.map(\.id) == [pupil.pupil.rawValue] && !search.truncated)
            #expect(search.matches.first?.givenName == "Åsa" && search.matches.first?.personnummer == "20130101-0003")
            let both = try await staffRequest(port, .GET, "/api/v1/pupils?q=20&limit=1", token: token)
            #expect(try JSONDecoder().decode(StaffAPI.PupilSearch.self, from: both.body).truncated)
            for (path, status) in [
                ("/api/v1/pupils", HTTPResponseStatus.badRequest), ("/api/v1/pupils?q=%C3%96", .unprocessableEntity),
                ("/api/v1/pupils?q=berg&limit=many", .badRequest),
                ("/api/v1/pupils?q=berg&limit=500", .unprocessableEntity),
            ] {
                let response = try await staffRequest(port, .GET, path, token: token)
                #expect(response.status == status, "\(path)")
                #expect(try !JSONDecoder().decode(Problem.self, from: response.body).remedy.isEmpty)
            }
        }
    }

    @Test func staffListAConflictAndResolveIt() async throws {
        let pupil = try TestPupil(at: school)
        let caseID = try pupil.openCase(at: school, plan: "Plan från Ekbacken 1")
        // A second node of the same school wrote the plan concurrently.
        let other = try Store.inMemory(
            identity: NodeIdentity(node: NodeID("ekbacken-2")!, role: .school, school: "Ekbackens skola"),
            physicalClock: school.clock
        )
        try other.set(entity: "case", record: caseID, values: ["plan": .string("Plan från Ekbacken 2")])
        try school.store.apply(try other.exportChanges(since: 0))
        let token = try school.store.addStaff(name: "Anna Lind").text
        try await withNodeListener(school) { port in
            let listed = try await staffRequest(port, .GET, "/api/v1/conflicts", token: token)
            let conflicts = try JSONDecoder().decode([StaffAPI.Conflict].self, from: listed.body)
            #expect(conflicts.count == 1 && conflicts.first?.id == caseID.rawValue && conflicts.first?.field == "plan")
            #expect(conflicts.first?.others.count == 1)
            let body = #"{"entity": "case", "id": "\#(caseID)", "field": "plan", "value": "Gemensam plan"}"#
            let resolved = try await staffRequest(port, .POST, "/api/v1/conflicts/resolve", token: token, body: body)
            #expect(resolved.status == .ok)
            let again = try await staffRequest(port, .POST, "/api/v1/conflicts/resolve", token: token, body: body)
            #expect(again.status == .conflict)
            #expect(try JSONDecoder().decode(Problem.self, from: again.body).code == "noConflict")
            let empty = try await staffRequest(port, .GET, "/api/v1/conflicts", token: token)
            #expect(try JSONDecoder().decode([StaffAPI.Conflict].self, from: empty.body).isEmpty)
        }
        #expect(try school.store.values("case", caseID)?["plan"] == .string("Gemensam plan"))
        let staff = try school.store.auditEntries(pupil: pupil.pupil).map(\.entry).filter {
            $0.peer == "staff:Anna Lind"
        }
        #expect(staff.map(\.kind) == [.staffRead, .staffWrite])
    }

    @Test func withoutAValidTokenEveryRequestIsA401AndNothingIsReadOrWritten() async throws {
        let pupil = try TestPupil(at: school)
        let revoked = try school.store.addStaff(name: "Bo Berg")
        try school.store.revokeStaff(name: "Bo Berg")
        let (audit, sequence) = (try school.store.auditEntries().count, try school.store.lastSequence())
        let path = "/api/v1/records/pupil/\(pupil.pupil)"
        let headers: [String?] = [
            nil, "Basic YW5uYTpsaW5k", "Bearer", "Bearer not-a-token", "Bearer \(StaffToken.random().text)",
            "Bearer \(revoked.text)",
        ]
        try await withNodeListener(school) { port in
            for header in headers {
                for method in [HTTPMethod.GET, .PATCH] {
                    let response = try await staffRequest(
                        port,
                        method,
                        path,
                        authorization: header,
                        body: method == .PATCH ? #"{"fields": {"grade": 9}}"# : nil
                    )
                    #expect(response.status == .unauthorized, "\(method) with \(header ?? "no header")")
                    #expect(response.headers.first(name: "www-authenticate")?.hasPrefix("Bearer") == true)
                    let problem = try JSONDecoder().decode(Problem.self, from: response.body)
                    #expect(
                        problem.code == Problem.Codes.staffTokenRequired && problem.remedy.contains("sst staff add")
                    )
                    #expect(!String(decoding: response.body, as: UTF8.self).contains("Åsa"))
                }
            }
        }
        #expect(try school.store.lastSequence() == sequence)
        // Only the revoked token names someone: its two attempts are in the audit trail, nothing else is.
        let added = try school.store.auditEntries().dropFirst(audit).map(\.entry)
        #expect(added.count == 2 && added.allSatisfy { $0.kind == .refused && $0.peer == "staff:Bo Berg" })
    }

    @Test func aBadRequestGetsAProblemSayingWhatToDoAndChangesNothing() async throws {
        let pupil = try TestPupil(at: school)
        let token = try school.store.addStaff(name: "Anna Lind").text
        let sequence = try school.store.lastSequence()
        let record = "/api/v1/records/pupil/\(pupil.pupil)"
        let cases: [(HTTPMethod, String, String?, HTTPResponseStatus, String)] = [
            (.GET, "/api/v1/records/pupil/Åsa", nil, .badRequest, Problem.Codes.malformedRequest),
            (.GET, "/api/v1/records/pupil/\(RecordID.random())", nil, .notFound, Problem.Codes.notFound),
            (.GET, "/api/v1/records/elev/\(pupil.pupil)", nil, .unprocessableEntity, "unknownEntity"),
            (.PATCH, record, #"{"fields": {"grade": "sju"}}"#, .unprocessableEntity, "invalidValue"),
            (.PATCH, record, #"{"fields": {"shoe_size": 38}}"#, .unprocessableEntity, "unknownField"),
            (.PATCH, record, #"{"fields": {"grade": 8, "grade": 9}}"#, .badRequest, Problem.Codes.malformedRequest),
            (.PATCH, record, #"{"grade": 8}"#, .badRequest, Problem.Codes.malformedRequest),
            (.PATCH, record, "grade=8", .badRequest, Problem.Codes.malformedRequest),
            (.PATCH, record, #"{"fields": {}}"#, .unprocessableEntity, "invalidValue"),
            (
                .PATCH, "/api/v1/records/social_support/\(RecordID.random())",
                #"{"fields": {"has_ongoing_support": true}}"#, .forbidden, "notOwner"
            ),
            (
                .PATCH, record, String(repeating: " ", count: StaffAPI.maxBodyBytes + 1), .payloadTooLarge,
                "bodyTooLarge"
            ),
        ]
        try await withNodeListener(school) { port in
            for (method, path, body, status, code) in cases {
                let response = try await staffRequest(port, method, path, token: token, body: body)
                let problem = try JSONDecoder().decode(Problem.self, from: response.body)
                #expect(response.status == status, "\(method) \(path) \(body?.prefix(40) ?? "")")
                #expect(problem.code == code, "\(method) \(path) \(body?.prefix(40) ?? "")")
                #expect(!problem.remedy.isEmpty)
            }
        }
        #expect(try school.store.lastSequence() == sequence)
        #expect(try school.store.auditEntries().allSatisfy { $0.entry.kind != .staffWrite })
    }

    @Test func theHubServesSocialWorkersAndATokenOpensNoSyncEndpointNorACertificateTheStaffAPI() async throws {
        let hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
        let token = try hub.store.addStaff(name: "Cecilia Socialsekreterare")
        let support = RecordID.random()
        let pupil = RecordID.random()
        try await withHub(hub) { port in
            let write = try await staffRequest(
                port,
                .PATCH,
                "/api/v1/records/social_support/\(support)",
                token: token.text,
                body: #"{"fields": {"pupil_id": "\#(pupil)", "has_ongoing_support": true}}"#
            )
            #expect(write.status == .ok)
            // A school-owned field is the school's to write, also at the hub.
            let refused = try await staffRequest(
                port,
                .PATCH,
                "/api/v1/records/pupil/\(pupil)",
                token: token.text,
                body: #"{"fields": {"grade": 8}}"#
            )
            #expect(refused.status == .forbidden)
            // The staff token is no key to the sync endpoints…
            let pull = try await staffRequest(port, .GET, "/v2/pull?since=0", token: token.text)
            #expect(pull.status == .forbidden)
            #expect(try JSONDecoder().decode(Problem.self, from: pull.body).code == Problem.Codes.certificateRequired)
            // …and a node's certificate is none to the staff API.
            let withCertificate = try await withRawClient(tls: try school.tls.clientConfiguration()) { client in
                try await client.execute(
                    HTTPClientRequest(url: "https://127.0.0.1:\(port)/api/v1/records/social_support/\(support)"),
                    timeout: .seconds(60)
                )
            }
            #expect(withCertificate.status == .unauthorized)
        }
        #expect(try hub.store.values("social_support", support)?["has_ongoing_support"] == .boolean(true))
        let entries = try hub.store.auditEntries().map(\.entry).filter { $0.kind == .staffWrite }
        #expect(entries.count == 1 && entries[0].peer == "staff:Cecilia Socialsekreterare" && entries[0].pupil == pupil)
    }

    /// A staff API request over HTTPS to `127.0.0.1:port`, trusting the district CA and presenting no certificate.
    func staffRequest(
        _ port: Int,
        _ method: HTTPMethod,
        _ path: String,
        token: String? = nil,
        authorization: String? = nil,
        body: String? = nil
    ) async throws -> (status: HTTPResponseStatus, headers: HTTPHeaders, body: Data) {
        let tls = try withoutClientCertificate(trusting: school.tls.ca)
        return try await withRawClient(tls: tls) { client in
            var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)\(path)")
            request.method = method
            if let header = authorization ?? token.map({ "Bearer \($0)" }) {
                request.headers.add(name: "Authorization", value: header)
            }
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
            }
            let response = try await client.execute(request, timeout: .seconds(60))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            return (response.status, response.headers, Data(bytes.readableBytesView))
        }
    }
}
