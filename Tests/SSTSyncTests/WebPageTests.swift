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

/// The staff web page over real HTTPS on loopback, at a school node's listener: sign-in with the staff token, the
/// session cookie, CSRF on every form, the security headers, and every read and write in the audit trail as
/// through the staff API.
@Suite(.timeLimit(.minutes(10)))
struct WebPageTests {
    let district: TestDistrict
    let school: TestNode

    init() throws {
        WebPages.register()
        district = try TestDistrict()
        school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
    }

    @Test func signInGivesAStrictSessionCookieAndSignOutEndsItOnTheServer() async throws {
        let pupil = try TestPupil(at: school)
        let token = try school.store.addStaff(name: "Anna Lind")
        try await withPage { browser in
            let signIn = try await browser.get("/staff/sign-in")
            #expect(signIn.status == .ok)
            #expect(signIn.text.contains("<html lang=\"sv\">"))
            let csp = signIn.headers["Content-Security-Policy"].first ?? ""
            #expect(csp.contains("default-src 'none'") && !csp.contains("unsafe-inline") && !csp.contains("script-src"))
            #expect(!signIn.text.contains("<script"))

            // Without the sign-in form's CSRF token: refused, no session.
            let forged = try await browser.post("/staff/sign-in", ["token": token.text], csrf: nil)
            #expect(forged.status == .forbidden && browser.cookies["__Host-sst-session"] == nil)
            // A token this node never gave: refused.
            let unknown = try await browser.post("/staff/sign-in", ["token": StaffToken.random().text], csrf: .signIn)
            #expect(unknown.status == .unauthorized && browser.cookies["__Host-sst-session"] == nil)

            let signedIn = try await browser.signIn(token)
            #expect(signedIn.status == .seeOther)
            let cookie = try #require(
                signedIn.headers["Set-Cookie"].first { $0.hasPrefix("__Host-sst-session=") }
            )
            for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age=28800"] {
                #expect(cookie.contains(attribute), "\(attribute) in \(cookie)")
            }
            let file = try await browser.get("/staff/pupils/\(pupil.pupil)")
            #expect(file.status == .ok && file.text.contains("Åsa Öberg"))

            let stolen = try #require(browser.cookies["__Host-sst-session"])
            let signedOut = try await browser.post("/staff/sign-out", [:], csrf: .session)
            #expect(signedOut.status == .seeOther)
            // The old cookie, sent again, reads nothing: the session is gone on the server.
            browser.cookies["__Host-sst-session"] = stolen
            let after = try await browser.get("/staff/pupils/\(pupil.pupil)")
            #expect(after.status == .seeOther && after.headers["Location"].first == "/staff/sign-in?reason=expired")
            #expect(!after.text.contains("Åsa"))
        }
        // One read of the file, before sign-out; none after.
        let reads = try school.store.auditEntries(pupil: pupil.pupil).map(\.entry).filter { $0.kind == .staffRead }
        #expect(reads.count == 1 && reads.first?.peer == "staff:Anna Lind")
    }

    @Test func aPupilTypedDecomposedIsFoundAndTheFileShowsWhatTheNodeHolds() async throws {
        let pupil = try TestPupil(at: school)
        let caseID = try pupil.openCase(at: school)
        try school.store.set(
            entity: "absence",
            record: RecordID.random(),
            assignments: [
                ("pupil_id", pupil.pupil.rawValue), ("period_start", "2026-09-01"), ("period_end", "2026-09-30"),
                ("scheduled_minutes", "6000"), ("excused_minutes", "600"), ("unexcused_minutes", "1200"),
            ]
        )
        let token = try school.store.addStaff(name: "Anna Lind")
        try await withPage { browser in
            _ = try await browser.signIn(token)
            // "Åsa Öberg" typed with combining marks, as some keyboards and systems send it.
            let decomposed = "A\u{30A}sa O\u{308}berg"
            let found = try await browser.get("/staff/pupils?q=\(browser.encode(decomposed))")
            #expect(found.status == .ok && found.text.contains("/staff/pupils/\(pupil.pupil)"))
            let short = try await browser.get("/staff/pupils?q=%C3%96")
            #expect(short.status == .unprocessableEntity && short.text.contains("minst 2 tecken"))

            let file = try await browser.get("/staff/pupils/\(pupil.pupil)")
            #expect(file.status == .ok)
            for expected in [
                "20130101-0003", "Örjan Öberg", "<svg", "Frånvaro per månad", "2026-09", "aktualiserad",
                "aria-current=\"step\"", "Motiverande samtal", "Flytta fasen", "Registrera ett nytt samtycke",
            ] {
                #expect(file.text.contains(expected), "\(expected)")
            }
            #expect(file.text.contains("id=\"case-\(caseID)\""))
            #expect(!file.text.contains("style="))
            #expect(!file.text.contains("&lt;"), "no markup escaped as text")
        }
        let entries = try school.store.auditEntries(pupil: pupil.pupil).map(\.entry).filter {
            $0.peer == "staff:Anna Lind"
        }
        #expect(entries.map(\.detail).contains { $0.hasPrefix("pupil search \"A\u{30A}sa O\u{308}berg\"") })
        #expect(entries.map(\.detail).contains { $0.hasPrefix("pupil file of \(pupil.pupil)") })
    }

    @Test func aConsentRecordedThroughTheFormIsTheStaffMembersWriteAndAFormWithoutCSRFChangesNothing() async throws {
        let pupil = try TestPupil(at: school)
        let token = try school.store.addStaff(name: "Anna Lind")
        try await withPage { browser in
            _ = try await browser.signIn(token)
            let form: [String: String] = [
                "scope": "sst_case", "guardian-\(pupil.guardian)": "yes", "method": "written",
                "pupil_view": "vill ha stöd",
            ]
            let forged = try await browser.post("/staff/pupils/\(pupil.pupil)/consents", form, csrf: nil)
            #expect(forged.status == .forbidden && forged.text.contains("ingenting ändrades"))
            let wrong = try await browser.post("/staff/pupils/\(pupil.pupil)/consents", form, csrf: .value("x"))
            #expect(wrong.status == .forbidden)
            #expect(try school.store.consentSummaries(pupil: pupil.pupil).isEmpty)

            // The consent rules refuse it (no child's view at 13): a message, nothing recorded.
            var withoutView = form
            withoutView["pupil_view"] = nil
            let refused = try await browser.post("/staff/pupils/\(pupil.pupil)/consents", withoutView, csrf: .session)
            #expect(refused.status == .unprocessableEntity && refused.text.contains("Ingenting ändrades"))
            #expect(try school.store.consentSummaries(pupil: pupil.pupil).isEmpty)
            let noScope = try await browser.post(
                "/staff/pupils/\(pupil.pupil)/consents",
                form.filter { $0.key != "scope" },
                csrf: .session
            )
            #expect(noScope.status == .unprocessableEntity)

            let recorded = try await browser.post("/staff/pupils/\(pupil.pupil)/consents", form, csrf: .session)
            #expect(recorded.status == .seeOther)
            let consent = try #require(try school.store.consentSummaries(pupil: pupil.pupil).first)
            #expect(consent.status == "active" && consent.scopes == ["sst_case"])
            let file = try await browser.get("/staff/pupils/\(pupil.pupil)?done=consent")
            #expect(file.text.contains("Samtycket är registrerat") && file.text.contains("status-active"))
            #expect(file.text.contains("Ärende (") || file.text.contains("case"))

            let withdrawn = try await browser.post(
                "/staff/consents/\(consent.id)/withdraw",
                ["pupil": pupil.pupil.rawValue],
                csrf: .session
            )
            #expect(withdrawn.status == .seeOther)
            #expect(try school.store.consentSummaries(pupil: pupil.pupil).first?.status == "withdrawn")
        }
        let writes = try school.store.auditEntries(pupil: pupil.pupil).map(\.entry).filter {
            $0.kind == .staffWrite
        }
        #expect(writes.count == 2 && writes.allSatisfy { $0.peer == "staff:Anna Lind" })
        #expect(
            try school.store.record(
                entity: "consent",
                record: #require(
                    writes.first.flatMap {
                        RecordID(String($0.detail.split(separator: " ")[1]))
                    }
                )
            )?["recorded_by"]?.value == .string("Anna Lind")
        )
    }

    @Test func theCasePhaseMovesForwardOnlyAndAClosedCaseIsReopened() async throws {
        let pupil = try TestPupil(at: school)
        let caseID = try pupil.openCase(at: school)
        let token = try school.store.addStaff(name: "Anna Lind")
        @Sendable func phase() throws -> Value? { try school.store.values("case", caseID)?["phase"] }
        try await withPage { browser in
            _ = try await browser.signIn(token)
            let path = "/staff/cases/\(caseID)/phase"
            let pupilField = ["pupil": pupil.pupil.rawValue]
            let forward = try await browser.post(path, pupilField.merging(["step": "planning"]) { $1 }, csrf: .session)
            #expect(forward.status == .seeOther)
            #expect(try phase() == .phase(Phase(generation: 1, step: .planning)))
            for step in ["noticed", "planning", "sideways"] {
                let refused = try await browser.post(path, pupilField.merging(["step": step]) { $1 }, csrf: .session)
                #expect(refused.status == .unprocessableEntity, "\(step)")
            }
            #expect(try phase() == .phase(Phase(generation: 1, step: .planning)))
            let early = try await browser.post(path, pupilField.merging(["step": "reopen"]) { $1 }, csrf: .session)
            #expect(early.status == .unprocessableEntity)
            _ = try await browser.post(path, pupilField.merging(["step": "closed"]) { $1 }, csrf: .session)
            let file = try await browser.get("/staff/pupils/\(pupil.pupil)")
            #expect(file.text.contains("Återöppna ärendet"))
            let reopened = try await browser.post(path, pupilField.merging(["step": "reopen"]) { $1 }, csrf: .session)
            #expect(reopened.status == .seeOther)
            #expect(try phase() == .phase(Phase(generation: 2, step: .opened)))
        }
    }

    @Test func aConflictIsShownSideBySideAndResolved() async throws {
        let pupil = try TestPupil(at: school)
        let caseID = try pupil.openCase(at: school, plan: "Plan från Ekbacken 1")
        let other = try Store.inMemory(
            identity: NodeIdentity(node: NodeID("ekbacken-2")!, role: .school, school: "Ekbackens skola"),
            physicalClock: school.clock
        )
        try other.set(entity: "case", record: caseID, values: ["plan": .string("Plan från Ekbacken 2")])
        try school.store.apply(try other.exportChanges(since: 0))
        let token = try school.store.addStaff(name: "Anna Lind")
        try await withPage { browser in
            _ = try await browser.signIn(token)
            let page = try await browser.get("/staff/conflicts")
            #expect(page.text.contains("Plan från Ekbacken 1") && page.text.contains("Plan från Ekbacken 2"))
            #expect(!page.text.contains("&lt;") && page.text.contains("<input type=\"radio\""))
            let fields = [
                "entity": "case", "id": caseID.rawValue, "field": "plan", "choice": "own", "own": "Gemensam plan",
            ]
            let nothing = try await browser.post(
                "/staff/conflicts/resolve",
                fields.merging(["own": " "]) { $1 },
                csrf: .session
            )
            #expect(nothing.status == .unprocessableEntity)
            #expect(try school.store.conflicts().count == 1)
            let resolved = try await browser.post("/staff/conflicts/resolve", fields, csrf: .session)
            #expect(resolved.status == .seeOther)
            #expect(try school.store.conflicts().isEmpty)
            #expect(try school.store.values("case", caseID)?["plan"] == .string("Gemensam plan"))
            let again = try await browser.post("/staff/conflicts/resolve", fields, csrf: .session)
            #expect(again.status == .conflict)
        }
    }

    @Test func whatHasBeenSharedListsTheCrossingsAndTheBannerTellsTheSyncState() async throws {
        let pupil = try TestPupil(at: school, consent: ["identity", "sst_case"])
        _ = try pupil.openCase(at: school)
        let hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
        try await withHub(hub) { port in _ = try await school.sync(port: port) }
        let token = try school.store.addStaff(name: "Anna Lind")
        try await withPage(dataDirectory: school.dataDirectory) { browser in
            _ = try await browser.signIn(token)
            let shared = try await browser.get("/staff/pupils/\(pupil.pupil)/shared")
            #expect(shared.status == .ok)
            #expect(shared.text.contains("till socialtjänsten") && shared.text.contains("samtycke (SST-ärendet)"))
            #expect(shared.text.contains("hub-1"))
            let search = try await browser.get("/staff/pupils")
            #expect(search.text.contains("id=\"sync-banner\"") && search.text.contains("Senast synkroniserad"))
        }
        let read = try school.store.auditEntries(pupil: pupil.pupil).map(\.entry).last { $0.kind == .staffRead }
        #expect(read?.detail.hasPrefix("disclosures of \(pupil.pupil): ") == true)
    }

    @Test func namesWrittenByStaffAreStoredNFCNormalised() async throws {
        let pupil = try TestPupil(at: school)
        let token = try school.store.addStaff(name: "Anna Lind")
        try school.store.writeRecord(
            entity: "pupil",
            record: pupil.pupil,
            values: ["given_name": .string("A\u{30A}sa")],
            presenting: token
        )
        guard case .string(let stored)? = try school.store.values("pupil", pupil.pupil)?["given_name"] else {
            Issue.record("no given name")
            return
        }
        #expect(Array(stored.unicodeScalars) == Array("\u{C5}sa".unicodeScalars))
    }

    func withPage(
        dataDirectory: String? = nil,
        _ body: @Sendable (WebBrowser) async throws -> Void
    ) async throws {
        try await withWebPage(school, dataDirectory: dataDirectory, body)
    }
}
