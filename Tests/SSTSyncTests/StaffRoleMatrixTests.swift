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
import SSTWeb
import Testing

/// The role matrix (Protocol/staff-api.md, Roles) as generated tests over real HTTPS: every role × every staff API
/// endpoint and page × a record of the account's own pupil and of another, at a school node; and the stadsdel
/// scoping of hub accounts. The expectations are written out here, apart from the store's rules.
@Suite(.timeLimit(.minutes(10)))
struct StaffRoleMatrixTests {
    let district: TestDistrict
    let school: TestNode

    init() throws {
        WebPages.register()
        district = try TestDistrict()
        school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
    }

    /// Every entity a school node holds of its pupils, with a field its staff may write and a value for it.
    static let schoolEntities: [(entity: String, field: String, value: String)] = [
        ("pupil", "grade", "7"), ("guardian", "phone", "\"08-123 45\""), ("consent", "purpose", "\"stöd\""),
        ("absence", "excused_minutes", "0"), ("school_assessment", "summary", "\"Bedömning\""),
        ("health_note", "text", "\"Anteckning\""), ("case", "concern", "\"Oro\""),
        ("intervention", "description", "\"Samtal\""), ("meeting", "notes", "\"Möte\""),
        ("concern_report", "concern", "\"Frånvaro\""),
    ]

    /// What each role reads, written out (not taken from the store's rules).
    static func expectedRead(_ role: StaffRole, _ entity: String, own: Bool) -> Bool {
        switch role {
        case .elevhalsa: true
        case .sst: entity != "health_note"
        case .mentor: own && ["pupil", "absence"].contains(entity)
        case .social: false
        }
    }

    /// What each role writes through `PATCH`: never a consent's fields (consents follow the consent rules), never
    /// anything as a mentor.
    static func expectedWrite(_ role: StaffRole, _ entity: String, own: Bool) -> Bool {
        entity != "consent" && role != .mentor && expectedRead(role, entity, own: own)
    }

    @Test func everyRoleTimesEveryEndpointAndPageTimesOwnAndOtherRecord() async throws {
        let own = try MatrixPupil(at: school, className: "8B", personnummer: "20130101-0003")
        let other = try MatrixPupil(at: school, className: "9C", personnummer: "20130102-0002")
        let tokens: [(StaffRole, StaffToken)] = [
            (.elevhalsa, try school.store.addStaff(name: "Elevhälsa Eva", role: .elevhalsa)),
            (.sst, try school.store.addStaff(name: "Kurator Kim", role: .sst)),
            (.mentor, try school.store.addStaff(name: "Mentor Maj", role: .mentor, classes: ["8B"])),
        ]
        try await withNodeListenerAndPage(school) { port in
            for (role, token) in tokens {
                let browser = try await PageSession.signIn(port: port, ca: school.tls.ca, token: token)
                for (pupil, isOwn) in [(own, true), (other, false)] {
                    let label = "\(role) \(isOwn ? "own" : "other")"
                    for (entity, field, value) in Self.schoolEntities {
                        let id = try #require(pupil.records[entity], "\(entity)")
                        let path = "/api/v1/records/\(entity)/\(id)"
                        let read = try await api(port, .GET, path, token)
                        #expect(
                            read == (Self.expectedRead(role, entity, own: isOwn) ? .ok : .forbidden),
                            "GET \(label) \(entity)"
                        )
                        let write = try await api(
                            port,
                            .PATCH,
                            path,
                            token,
                            body: #"{"fields": {"\#(field)": \#(value)}}"#
                        )
                        #expect(
                            write == (Self.expectedWrite(role, entity, own: isOwn) ? .ok : .forbidden),
                            "PATCH \(label) \(entity)"
                        )
                    }
                    let mayReadFile = Self.expectedRead(role, "pupil", own: isOwn)
                    let file = try await api(port, .GET, "/api/v1/pupils/\(pupil.pupil)", token)
                    #expect(file == (mayReadFile ? .ok : .forbidden), "file \(label)")
                    let consents = try await api(port, .GET, "/api/v1/pupils/\(pupil.pupil)/consents", token)
                    #expect(
                        consents == (Self.expectedRead(role, "consent", own: isOwn) ? .ok : .forbidden),
                        "consents \(label)"
                    )
                    let consent =
                        #"{"pupil": "\#(pupil.pupil)", "scopes": ["identity"], "givenBy": ["\#(pupil.guardian)"], "method": "written", "pupilView": "ok"}"#
                    let granted = try await api(port, .POST, "/api/v1/consents", token, body: consent)
                    #expect(
                        granted == (Self.expectedWrite(role, "case", own: isOwn) ? .created : .forbidden),
                        "grant \(label)"
                    )

                    let page = try await browser.get("/staff/pupils/\(pupil.pupil)")
                    #expect(page.status == (mayReadFile ? .ok : .forbidden), "page \(label)")
                    #expect(
                        page.text.contains("Flytta fasen") == Self.expectedRead(role, "case", own: isOwn),
                        "case on page \(label)"
                    )
                    #expect(
                        page.text.contains("Samtycken") == Self.expectedRead(role, "consent", own: isOwn),
                        "consents on page \(label)"
                    )
                    #expect(page.text.contains("Frånvaro per månad") == mayReadFile, "absence on page \(label)")
                    let shared = try await browser.get("/staff/pupils/\(pupil.pupil)/shared")
                    #expect(
                        shared.status == (Self.expectedRead(role, "consent", own: isOwn) ? .ok : .forbidden),
                        "shared \(label)"
                    )
                }
                let search = try await browser.get("/staff/pupils?q=Berg")
                #expect(search.text.contains(own.pupil.rawValue), "search \(role) own")
                #expect(search.text.contains(other.pupil.rawValue) == (role != .mentor), "search \(role) other")
                try await browser.close()
            }
        }
    }

    @Test func aHubAccountBoundToAStadsdelSeesTheRecordsOfItsStadsdelOnly() async throws {
        let kungsholmen = try TestNode(
            "karlberg-1",
            school: "Karlbergs skola",
            stadsdel: "Kungsholmen",
            district: district
        )
        let south = try TestPupil(at: school, consent: ["identity", "sst_case"])
        let southCase = try south.openCase(at: school)
        let north = try TestPupil(
            at: kungsholmen,
            givenName: "Bo",
            familyName: "Berg",
            personnummer: "20130102-0002",
            consent: ["identity", "sst_case"]
        )
        let northCase = try north.openCase(at: kungsholmen)
        let hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
        try await withHub(hub) { port in
            _ = try await school.sync(port: port)
            _ = try await kungsholmen.sync(port: port)
        }
        let accounts: [(String?, StaffToken)] = [
            ("Södermalm", try hub.store.addStaff(name: "Siv Söder", stadsdel: "Södermalm")),
            ("Kungsholmen", try hub.store.addStaff(name: "Kurt Kungs", stadsdel: "Kungsholmen")),
            (nil, try hub.store.addStaff(name: "Ulla Utan")),
        ]
        #expect(throws: StoreError.self) { try hub.store.addStaff(name: "Mentor", role: .mentor, classes: ["8B"]) }
        #expect(throws: StoreError.self) { try school.store.addStaff(name: "Siv", stadsdel: "Södermalm") }
        let records: [(stadsdel: String, entity: String, id: RecordID)] = [
            ("Södermalm", "case", southCase), ("Södermalm", "pupil", south.pupil),
            ("Kungsholmen", "case", northCase), ("Kungsholmen", "pupil", north.pupil),
        ]
        try await withHub(hub) { port in
            for (bound, token) in accounts {
                for record in records {
                    let sees = bound == nil || bound == record.stadsdel
                    let label = "\(bound ?? "unbound") \(record.entity) of \(record.stadsdel)"
                    let read = try await api(
                        port,
                        .GET,
                        "/api/v1/records/\(record.entity)/\(record.id)",
                        token,
                        ca: hub.tls.ca
                    )
                    #expect(read == (sees ? .ok : .forbidden), "\(label)")
                    if record.entity == "case" {
                        let write = try await api(
                            port,
                            .PATCH,
                            "/api/v1/records/case/\(record.id)",
                            token,
                            body: #"{"fields": {"plan": "Gemensam plan"}}"#,
                            ca: hub.tls.ca
                        )
                        #expect(write == (sees ? .ok : .forbidden), "write \(label)")
                    } else {
                        let file = try await api(port, .GET, "/api/v1/pupils/\(record.id)", token, ca: hub.tls.ca)
                        #expect(file == (sees ? .ok : .forbidden), "file \(label)")
                    }
                }
            }
        }
    }

    // MARK: Helpers

    func withNodeListenerAndPage(_ node: TestNode, _ body: @Sendable (Int) async throws -> Void) async throws {
        try await withNodeListener(node, body)
    }

    func api(
        _ port: Int,
        _ method: HTTPMethod,
        _ path: String,
        _ token: StaffToken,
        body: String? = nil,
        ca: String? = nil
    ) async throws -> HTTPResponseStatus {
        let tls = try withoutClientCertificate(trusting: ca ?? school.tls.ca)
        return try await withRawClient(tls: tls) { client in
            var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)\(path)")
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(token.text)")
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
            }
            let response = try await client.execute(request, timeout: .seconds(60))
            _ = try await response.body.collect(upTo: 1 << 20)
            return response.status
        }
    }
}

/// A pupil with one record of every entity a school node holds.
struct MatrixPupil {
    let pupil: RecordID
    let guardian: RecordID
    var records: [String: RecordID]

    init(at node: TestNode, className: String, personnummer: String) throws {
        let base = try TestPupil(at: node, familyName: "Berg", personnummer: personnummer)
        pupil = base.pupil
        guardian = base.guardian
        try node.store.set(entity: "pupil", record: pupil, values: ["class_name": .string(className)])
        try base.grantConsent(at: node, scopes: ["identity"])
        let consent = try #require(try node.store.consentSummaries(pupil: pupil).first?.id)
        let caseID = try base.openCase(at: node)
        records = ["pupil": pupil, "guardian": guardian, "consent": consent, "case": caseID]
        let made: [(String, [String: Value])] = [
            ("absence", ["period_start": .string("2026-09-01"), "scheduled_minutes": .integer(600)]),
            ("school_assessment", ["summary": .string("Trivs i klassen")]),
            ("health_note", ["text": .string("Samtal med skolsköterskan")]),
            ("intervention", ["kind": .string("motivational_talks")]),
            ("meeting", ["notes": .string("Uppstartsmöte")]),
            ("concern_report", ["concern": .string("Lång frånvaro"), "reported_by": .string("Rektor")]),
        ]
        for (entity, values) in made {
            let id = RecordID.random()
            var all = values
            all[entity == "intervention" || entity == "meeting" ? "case_id" : "pupil_id"] = .string(
                (entity == "intervention" || entity == "meeting" ? caseID : pupil).rawValue
            )
            try node.store.set(entity: entity, record: id, values: all)
            records[entity] = id
        }
    }
}

/// A signed-in page session for the matrix: cookies and the CSRF token kept.
struct PageSession {
    let browser: WebBrowser

    static func signIn(port: Int, ca: String, token: StaffToken) async throws -> PageSession {
        let tls = try withoutClientCertificate(trusting: ca)
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, timeout: .init(connect: .seconds(2)))
        configuration.httpVersion = .http1Only
        configuration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let browser = WebBrowser(client: client, port: port)
        _ = try await browser.signIn(token)
        return PageSession(browser: browser)
    }

    func get(_ path: String) async throws -> WebBrowser.Answer { try await browser.get(path) }

    func close() async throws { try await browser.client.shutdown() }
}
