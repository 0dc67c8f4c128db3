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

/// The hub's pages over real HTTPS: reports of concern with the feedback to the reporter, for a bound account its
/// stadsdel's only, and the district follow-up with small counts suppressed.
@Suite(.timeLimit(.minutes(10)))
struct WebHubPageTests {
    let district: TestDistrict
    let school: TestNode

    init() throws {
        WebPages.register()
        district = try TestDistrict()
        school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
    }

    @Test func atTheHubABoundAccountSeesItsStadsdelsReportsGivesFeedbackAndTheFollowUpIsSuppressed() async throws {
        let kungsholmen = try TestNode(
            "karlberg-1",
            school: "Karlbergs skola",
            stadsdel: "Kungsholmen",
            district: district
        )
        let south = try TestPupil(at: school)
        let southReport = try south.reportConcern(at: school)
        let north = try TestPupil(at: kungsholmen, givenName: "Bo", familyName: "Berg", personnummer: "20130102-0002")
        let northReport = try north.reportConcern(at: kungsholmen, concern: "Oro för Bo.")
        let hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
        try await withHub(hub) { port in
            _ = try await school.sync(port: port)
            _ = try await kungsholmen.sync(port: port)
        }
        let token = try hub.store.addStaff(name: "Siv Söder", stadsdel: "Södermalm")
        try await withHub(hub) { port in
            let browser = try await PageSession.signIn(port: port, ca: hub.tls.ca, token: token)
            let reports = try await browser.get("/staff/reports")
            #expect(reports.status == .ok)
            #expect(reports.text.contains("Lång frånvaro sedan augusti.") && !reports.text.contains("Oro för Bo."))
            #expect(reports.text.contains("inte mottagen än"))
            let missing = try await browser.browser.post("/staff/reports/\(southReport)/feedback", [:], csrf: .session)
            #expect(missing.status == .unprocessableEntity && missing.text.contains("Välj om en utredning inleddes"))
            let other = try await browser.browser.post(
                "/staff/reports/\(northReport)/feedback",
                ["investigation_opened": "yes"],
                csrf: .session
            )
            #expect(other.status == .forbidden, "another stadsdel's report")
            let saved = try await browser.browser.post(
                "/staff/reports/\(southReport)/feedback",
                ["investigation_opened": "yes"],
                csrf: .session
            )
            #expect(saved.status == .seeOther)
            let after = try await browser.get("/staff/reports?done=feedback")
            #expect(after.text.contains("utredning inledd") && after.text.contains("Återkopplingen är sparad"))

            let followUp = try await browser.get("/staff/follow-up")
            #expect(followUp.status == .ok && followUp.text.contains("<svg") && followUp.text.contains("Kungsholmen"))
            #expect(
                followUp.text.contains("&lt;5</text>") && !followUp.text.contains(">1</text>"),
                "small counts suppressed"
            )
            try await browser.close()
        }
        #expect(try hub.store.values("concern_report", southReport)?["investigation_opened"] == .boolean(true))
        #expect(try hub.store.values("concern_report", northReport)?["investigation_opened"] == nil)
        let reads = try hub.store.auditEntries(pupil: south.pupil).map(\.entry).filter { $0.peer == "staff:Siv Söder" }
        #expect(reads.contains { $0.detail == "concern report \(southReport)" })
        #expect(reads.contains { $0.kind == .staffWrite })
    }
}
