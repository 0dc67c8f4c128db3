import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync
import SSTWeb
import Testing

/// The stadsdel scoping at the hub as a generated test (issue 20): every staff API endpoint and page of the hub
/// that shows or changes a record × an account bound to Södermalm, one bound to Kungsholmen and an unbound one ×
/// a record of each stadsdel. A bound account sees and changes its stadsdel's records only; the unbound account
/// every record. Conflict resolution is among them, through the API and the page: a resolution the scoping
/// refuses leaves the conflict in place.
@Suite(.timeLimit(.minutes(10)))
struct StadsdelScopingTests {
    let district: TestDistrict

    init() throws {
        WebPages.register()
        district = try TestDistrict()
    }

    /// What one stadsdel holds at the hub: a pupil with a case and a report of concern from its school, and
    /// social services' investigations of the pupil, each with a conflict on its notes, one per probe that
    /// resolves one.
    struct Stadsdel: Sendable {
        let name: String
        let pupil: TestPupil
        let familyName: String
        let caseID: RecordID
        let report: RecordID
        let investigation: RecordID
        /// Investigations with a conflict, by the account's name and `api` or `page`.
        let conflicts: [String: RecordID]
    }

    /// The hub's accounts: bound to a stadsdel, or (nil) to none.
    static let accounts: [(name: String, stadsdel: String?)] = [
        ("Siv Söder", "Södermalm"), ("Kurt Kungs", "Kungsholmen"), ("Ulla Utan", nil),
    ]

    @Test func everyHubEndpointAndPageTimesEveryAccountTimesOwnAndOtherStadsdel() async throws {
        let hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
        var stadsdelar: [Stadsdel] = []
        for (index, (name, school, familyName)) in [
            ("Södermalm", "Ekbackens skola", "Öberg"), ("Kungsholmen", "Karlbergs skola", "Berg"),
        ].enumerated() {
            let node = try TestNode(
                "skola-\(index + 1)",
                school: school,
                stadsdel: name,
                district: district
            )
            let pupil = try TestPupil(
                at: node,
                familyName: familyName,
                personnummer: index == 0 ? "20130101-0003" : "20130102-0002",
                consent: ["identity", "sst_case"]
            )
            let caseID = try pupil.openCase(at: node)
            let report = try pupil.reportConcern(at: node, concern: "Oro i \(name).")
            try await withHub(hub) { port in _ = try await node.sync(port: port) }
            let investigation = RecordID.random()
            try hub.store.set(
                entity: "social_investigation",
                record: investigation,
                values: ["pupil_id": .string(pupil.pupil.rawValue), "notes": .string("Utredning i \(name).")]
            )
            var conflicts: [String: RecordID] = [:]
            for account in Self.accounts {
                for way in ["api", "page"] {
                    conflicts["\(account.name) \(way)"] = try Self.conflict(at: hub, pupil: pupil.pupil)
                }
            }
            stadsdelar.append(
                Stadsdel(
                    name: name,
                    pupil: pupil,
                    familyName: familyName,
                    caseID: caseID,
                    report: report,
                    investigation: investigation,
                    conflicts: conflicts
                )
            )
        }
        var tokens: [String: StaffToken] = [:]
        for account in Self.accounts {
            tokens[account.name] = try hub.store.addStaff(name: account.name, stadsdel: account.stadsdel)
        }
        let all = stadsdelar
        let allTokens = tokens
        try await withHub(hub) { port in
            for account in Self.accounts {
                let token = try #require(allTokens[account.name])
                let page = try await PageSession.signIn(port: port, ca: hub.tls.ca, token: token)
                let api = HubAPI(port: port, ca: hub.tls.ca, token: token)
                for target in all {
                    let sees = account.stadsdel == nil || account.stadsdel == target.name
                    let label = "\(account.name) × \(target.name)"
                    let observed = try await Self.probe(target, account: account.name, api: api, page: page, hub: hub)
                    for (probe, saw) in observed {
                        #expect(saw == sees, "\(probe): \(label) \(saw ? "saw or changed" : "was refused")")
                    }
                    #expect(observed.count == 16, "every probe ran")
                }
                try await page.close()
            }
        }
    }

    /// Each endpoint and page, with whether the account saw (or changed) the record of `target`.
    static func probe(
        _ target: Stadsdel,
        account: String,
        api: HubAPI,
        page: PageSession,
        hub: TestNode
    ) async throws -> [(String, Bool)] {
        let pupil = target.pupil.pupil
        var seen: [(String, Bool)] = []
        func status(_ name: String, _ status: HTTPResponseStatus, ok: HTTPResponseStatus = .ok) {
            #expect(status == ok || status == .forbidden, "\(name): \(status)")
            seen.append((name, status == ok))
        }
        // The staff API.
        status("GET case", try await api.call(.GET, "records/case/\(target.caseID)").status)
        status(
            "GET investigation",
            try await api.call(.GET, "records/social_investigation/\(target.investigation)").status
        )
        status(
            "PATCH investigation",
            try await api.call(
                .PATCH,
                "records/social_investigation/\(target.investigation)",
                #"{"fields": {"notes": "Ny anteckning"}}"#
            ).status
        )
        status("GET concern report", try await api.call(.GET, "records/concern_report/\(target.report)").status)
        status("GET pupil's file", try await api.call(.GET, "pupils/\(pupil)").status)
        status("GET pupil's consents", try await api.call(.GET, "pupils/\(pupil)/consents").status)
        let search = try await api.call(.GET, "pupils?q=\(page.browser.encode(target.familyName))")
        seen.append(("API search", search.text.contains(pupil.rawValue)))
        let apiConflict = try #require(target.conflicts["\(account) api"])
        let listed = try await api.call(.GET, "conflicts")
        seen.append(("API conflicts", listed.text.contains(apiConflict.rawValue)))
        let resolution =
            #"{"entity": "social_investigation", "id": "\#(apiConflict)", "field": "notes", "value": "Gemensam"}"#
        let resolved = try await api.call(.POST, "conflicts/resolve", resolution)
        status("API resolve", resolved.status)
        #expect(try hub.store.conflicts().contains { $0.record == apiConflict } == (resolved.status != .ok))

        // The page.
        let file = try await page.get("/staff/pupils/\(pupil)")
        status("page: pupil's file", file.status)
        if file.status == .forbidden {
            #expect(
                file.text.contains("Uppgiften hör till en annan stadsdel än \(account)")
                    && !file.text.contains("lang=\"en\"")
            )
        }
        status("page: what has been shared", try await page.get("/staff/pupils/\(pupil)/shared").status)
        let found = try await page.get("/staff/pupils?q=\(page.browser.encode(target.familyName))")
        seen.append(("page: search", found.text.contains(pupil.rawValue)))
        let pageConflict = try #require(target.conflicts["\(account) page"])
        let conflicts = try await page.get("/staff/conflicts")
        seen.append(("page: conflicts", conflicts.text.contains(pageConflict.rawValue)))
        let chosen = try await page.browser.post(
            "/staff/conflicts/resolve",
            [
                "entity": "social_investigation", "id": pageConflict.rawValue, "field": "notes", "choice": "own",
                "own": "Gemensam",
            ],
            csrf: .session
        )
        status("page: resolve", chosen.status, ok: .seeOther)
        #expect(try hub.store.conflicts().contains { $0.record == pageConflict } == (chosen.status != .seeOther))
        let reports = try await page.get("/staff/reports")
        seen.append(("page: reports", reports.text.contains("Oro i \(target.name).")))
        let feedback = try await page.browser.post(
            "/staff/reports/\(target.report)/feedback",
            ["investigation_opened": "yes"],
            csrf: .session
        )
        status("page: feedback", feedback.status, ok: .seeOther)
        return seen
    }

    /// A new investigation of `pupil` at the hub whose notes two hub-side writers set concurrently: the hub, and a
    /// second hub-side node whose change set the hub then applies.
    static func conflict(at hub: TestNode, pupil: RecordID) throws -> RecordID {
        let id = RecordID.random()
        try hub.store.set(
            entity: "social_investigation",
            record: id,
            values: ["pupil_id": .string(pupil.rawValue), "notes": .string("Anteckning från hubben")]
        )
        let other = try Store.inMemory(
            identity: NodeIdentity(node: NodeID("hub-2")!, role: .hub, stadsdel: "Södermalm"),
            physicalClock: hub.clock
        )
        try other.set(entity: "social_investigation", record: id, values: ["notes": .string("Anteckning från hub-2")])
        try hub.store.apply(try other.exportChanges(since: 0))
        #expect(try hub.store.conflicts().contains { $0.record == id })
        return id
    }
}

/// The hub's staff API with one member's token.
struct HubAPI: Sendable {
    let port: Int
    let ca: String
    let token: StaffToken

    func call(
        _ method: HTTPMethod,
        _ path: String,
        _ body: String? = nil
    ) async throws -> (status: HTTPResponseStatus, text: String) {
        let tls = try withoutClientCertificate(trusting: ca)
        return try await withRawClient(tls: tls) { client in
            var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)/api/v1/\(path)")
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(token.text)")
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
            }
            let response = try await client.execute(request, timeout: .seconds(60))
            return (response.status, String(buffer: try await response.body.collect(upTo: 1 << 20)))
        }
    }
}
