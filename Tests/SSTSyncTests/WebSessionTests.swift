import Foundation
import NIOHTTP1
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync
import Testing

@testable import SSTWeb

/// The page's sessions: sign-in, sign-out and refused sign-ins in the audit trail (never the token's text); a
/// session that ends (sign-out, idle or absolute limit, restart, revoked token) says so on the sign-in page.
@Suite(.timeLimit(.minutes(10)))
struct WebSessionTests {
    let district: TestDistrict
    let school: TestNode

    init() throws {
        WebPages.register()
        district = try TestDistrict()
        school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
    }

    /// The `staff_session` entries of the node's audit trail, in order.
    func sessionEntries() throws -> [AuditEntry] {
        try school.store.auditEntries().map(\.entry).filter { $0.kind == .staffSession }
    }

    @Test func signInSignOutAndRefusedSignInsAreAuditedWithoutTheToken() async throws {
        let token = try school.store.addStaff(name: "Anna Lind")
        let revoked = try school.store.addStaff(name: "Bo Berg")
        try school.store.revokeStaff(name: "Bo Berg")
        let stranger = StaffToken.random()
        try await withWebPage(school) { browser in
            _ = try await browser.get("/staff/sign-in")
            let unknown = try await browser.post("/staff/sign-in", ["token": stranger.text], csrf: .signIn)
            #expect(unknown.status == .unauthorized)
            let refused = try await browser.post("/staff/sign-in", ["token": revoked.text], csrf: .signIn)
            #expect(refused.status == .unauthorized)
            // Not a token at all: refused before the store, nothing to audit.
            let junk = try await browser.post("/staff/sign-in", ["token": "lösenord"], csrf: .signIn)
            #expect(junk.status == .unprocessableEntity && junk.text.contains("ingen personalnyckel"))
            _ = try await browser.signIn(token)
            let out = try await browser.post("/staff/sign-out", [:], csrf: .session)
            #expect(out.headers["Location"].first == "/staff/sign-in?reason=signed-out")
            let page = try await browser.get("/staff/sign-in?reason=signed-out")
            #expect(page.text.contains("Du är utloggad"))
        }
        let entries = try sessionEntries()
        #expect(entries.map(\.peer) == [nil, "staff:Bo Berg", "staff:Anna Lind", "staff:Anna Lind"])
        #expect(
            entries.map(\.detail) == [
                "sign-in refused: a token this node never gave", "sign-in refused: the token was revoked",
                "signed in to the staff web page (role sst)", "signed out of the staff web page",
            ]
        )
        let trail = try school.store.auditEntries().map(\.entry.text).joined(separator: "\n")
        for secret in [token, revoked, stranger] {
            #expect(!trail.contains(secret.text) && !trail.contains(secret.digest), "no token text in the trail")
        }
    }

    @Test func aRestartEndsTheSessionAndTheSignInPageSaysSo() async throws {
        let pupil = try TestPupil(at: school)
        let token = try school.store.addStaff(name: "Anna Lind")
        let cookie = LockedBox<String?>(nil)
        try await withWebPage(school) { browser in
            _ = try await browser.signIn(token)
            cookie.value = browser.cookies["__Host-sst-session"]
        }
        // A new listener (the node restarted): its sessions are empty, so the old cookie is unknown.
        try await withWebPage(school) { browser in
            browser.cookies["__Host-sst-session"] = try #require(cookie.value)
            let file = try await browser.get("/staff/pupils/\(pupil.pupil)")
            #expect(file.status == .seeOther && file.headers["Location"].first == "/staff/sign-in?reason=expired")
            #expect(browser.cookies["__Host-sst-session"] == nil, "the stale cookie is removed")
            let signIn = try await browser.get("/staff/sign-in?reason=expired")
            #expect(signIn.text.contains("Din session har upphört") && signIn.text.contains("startades om"))
            // A form posted with the stale cookie changes nothing and says the same.
            let before = try school.store.lastSequence()
            browser.cookies["__Host-sst-session"] = cookie.value
            let posted = try await browser.post(
                "/staff/cases/\(RecordID.random())/phase",
                ["step": "planning"],
                csrf: .value("x")
            )
            #expect(posted.headers["Location"].first == "/staff/sign-in?reason=expired")
            #expect(try school.store.lastSequence() == before)
            // The stale cookie sent to the sign-in page itself: the same word.
            browser.cookies["__Host-sst-session"] = cookie.value
            let direct = try await browser.get("/staff/sign-in")
            #expect(direct.text.contains("Din session har upphört"))
            // Without any cookie: the sign-in page, and no word about an ended session.
            let fresh = try await browser.get("/staff/sign-in")
            #expect(fresh.status == .ok && !fresh.text.contains("Din session har upphört"))
        }
    }

    @Test func aTokenRevokedWhileSignedInEndsTheSessionAudited() async throws {
        let pupil = try TestPupil(at: school)
        let token = try school.store.addStaff(name: "Anna Lind")
        try await withWebPage(school) { browser in
            _ = try await browser.signIn(token)
            try school.store.revokeStaff(name: "Anna Lind")
            let file = try await browser.get("/staff/pupils/\(pupil.pupil)")
            #expect(file.headers["Location"].first == "/staff/sign-in?reason=revoked")
            let page = try await browser.get("/staff/sign-in?reason=revoked")
            #expect(page.text.contains("återkallats"))
        }
        #expect(try sessionEntries().last?.detail == "session ended: the token was found revoked")
        #expect(try sessionEntries().last?.peer == "staff:Anna Lind")
    }

    @Test func aSessionExpiresAfterItsIdleLimitAndItsAbsoluteLimit() throws {
        let sessions = WebSessions()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let token = StaffToken.random()
        let idle = sessions.start(token: token, memberName: "Anna", role: .sst, now: start)
        #expect(sessions.session(cookie: idle.id, now: start + WebSessions.idleLimit - 1) != nil)
        #expect(sessions.session(cookie: idle.id, now: start + 2 * WebSessions.idleLimit - 2) != nil, "touched")
        #expect(sessions.session(cookie: idle.id, now: start + 3 * WebSessions.idleLimit) == nil, "idle")
        #expect(sessions.session(cookie: idle.id, now: start) == nil, "gone for good")

        // Used every 20 minutes: still ended at the absolute limit.
        let busy = sessions.start(token: token, memberName: "Anna", role: .sst, now: start)
        var now = start
        while now.timeIntervalSince(start) + 20 * 60 <= WebSessions.absoluteLimit {
            now += 20 * 60
            #expect(sessions.session(cookie: busy.id, now: now) != nil, "\(now.timeIntervalSince(start))")
        }
        #expect(sessions.session(cookie: busy.id, now: start + WebSessions.absoluteLimit + 1) == nil, "absolute")
        #expect(WebSessions.idleLimit == 30 * 60 && WebSessions.absoluteLimit == 8 * 60 * 60)
        #expect(sessions.session(cookie: "", now: start) == nil && sessions.session(cookie: nil, now: start) == nil)
    }
}

/// A value shared between a test's closures.
final class LockedBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
