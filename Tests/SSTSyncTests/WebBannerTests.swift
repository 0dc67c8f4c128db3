import Foundation
import NIOHTTP1
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync
import SSTWeb
import Testing

/// The sync banner at a school node says what is true in each state of `sync-state.json`: no hub set up, no
/// result yet (the first attempt runs about 30 s after the node starts), the hub not reached, a sync that failed
/// otherwise, and the hub answering.
@Suite(.timeLimit(.minutes(10)))
struct WebBannerTests {
    let district: TestDistrict
    let school: TestNode

    init() throws {
        WebPages.register()
        district = try TestDistrict()
        school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
    }

    /// The banner of the search page, with its class.
    func banner(_ browser: WebBrowser) async throws -> String {
        let page = try await browser.get("/staff/pupils")
        guard let start = page.text.range(of: "<div class=\"banner"),
            let end = page.text[start.upperBound...].range(of: "</div>")
        else { return "" }
        return String(page.text[start.lowerBound..<end.upperBound])
    }

    @Test func theBannerSaysWhatIsKnownBeforeTheFirstSyncAndAfter() async throws {
        let token = try school.store.addStaff(name: "Anna Lind")
        let directory = school.dataDirectory
        let stateFile = SyncStateFile(directory: directory)
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        try await withWebPage(school, dataDirectory: directory) { browser in
            _ = try await browser.signIn(token)
            let unset = try await banner(browser)
            #expect(unset.contains("Ingen hubb är inställd"), "\(unset)")

            try SyncSettings(hubURL: "https://127.0.0.1:9", tls: school.tls).save(directory: directory)
            let first = try await banner(browser)
            #expect(first.contains("Ingen synkronisering ännu") && first.contains("Aldrig synkroniserad"), "\(first)")
            #expect(!first.contains("offline") && !first.contains("nås inte"), "no claim before a result: \(first)")

            let unreached = SyncFailure(.unreachable, "connection refused", remedy: "")
            var state = SyncState().recording(.failure(unreached), at: now, now: now)
            try stateFile.save(state)
            let unreachable = try await banner(browser)
            #expect(unreachable.contains("offline") && unreachable.contains("Hubben nås inte"), "\(unreachable)")

            state = SyncState().recording(
                .failure(SyncFailure(.hubChanged, "another hub", remedy: "")),
                at: now,
                now: now
            )
            try stateFile.save(state)
            let refused = try await banner(browser)
            #expect(refused.contains("Senaste synkroniseringen misslyckades") && !refused.contains("nås inte"))

            state.lastSuccess = now + 1
            try stateFile.save(state)
            let answered = try await banner(browser)
            #expect(answered.contains("Hubben svarade vid senaste försöket") && !answered.contains("offline"))
            #expect(answered.contains("Senast synkroniserad"))
        }
    }
}
