import Foundation
import NIOHTTP1
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync
import SSTWeb
import Testing

/// Bad input to the sign-in form, the search and the absence upload form: a clear Swedish message (no English
/// shown), a 4xx status or a row-by-row report, and nothing changed.
@Suite(.timeLimit(.minutes(10)))
struct WebUploadInputTests {
    let district: TestDistrict
    let school: TestNode

    init() throws {
        WebPages.register()
        district = try TestDistrict()
        school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
    }

    @Test func signInSearchAndTheAbsenceUploadSayWhatIsWrongInSwedishAndChangeNothing() async throws {
        let pupil = try TestPupil(at: school)
        let token = try school.store.addStaff(name: "Anna Lind")
        try await withWebPage(school) { browser in
            _ = try await browser.get("/staff/sign-in")
            let notAToken = try await browser.post("/staff/sign-in", ["token": "lösenord"], csrf: .signIn)
            #expect(notAToken.status == .unprocessableEntity && notAToken.text.contains("Det är ingen personalnyckel"))
            let noCSRF = try await browser.post("/staff/sign-in", ["token": token.text], csrf: nil)
            #expect(noCSRF.status == .forbidden && noCSRF.text.contains("ingen giltig säkerhetskod"))
            #expect(browser.cookies["__Host-sst-session"] == nil)

            _ = try await browser.signIn(token)
            let short = try await browser.get("/staff/pupils?q=%C3%96")
            #expect(short.status == .unprocessableEntity && short.text.contains("minst 2 tecken"))

            let before = try school.store.lastSequence()
            let empty = try await browser.upload("/staff/absence-import", file: Data())
            #expect(empty.status == .unprocessableEntity && empty.text.contains("Välj en CSV-fil"))
            let header = try await browser.upload(
                "/staff/absence-import",
                file: Data("Namn;Datum\nÅsa;2026-09-01\n".utf8)
            )
            #expect(header.status == .unprocessableEntity)
            #expect(
                header.text.contains("Rubrikraden ”Namn;Datum” saknar personnummer"),
                "\(WebFormInputTests.alert(header.text))"
            )
            let rows = """
                personnummer;datum;schemalagd tid;giltig frånvaro;ogiltig frånvaro
                20130101-0004;2026-09-01;400;0;0
                20130101-0003;1 sept;400;0;0
                20130101-0003;2026-09-02;400;300;300
                20130101-0003;2026-09-03;400;-5;0
                20130102-0002;2026-09-04;400;0;0
                """
            let report = try await browser.upload("/staff/absence-import", file: Data(rows.utf8))
            #expect(report.status == .ok && report.text.contains("0 rad(er) inlästa, 0 oförändrade, 5 inte inlästa"))
            for swedish in [
                "”20130101-0004” är inget personnummer", "”1 sept” är inget datum",
                "Fler minuter frånvaro (600) än schemalagd tid (400)",
                "Giltig frånvaro ”-5” är inget helt antal minuter",
                "Ingen elev med personnummer 20130102-0002 finns på den här skolan",
            ] {
                #expect(report.text.contains(swedish), "\(swedish)")
            }
            #expect(!report.text.contains("lang=\"en\"") && !header.text.contains("lang=\"en\""))
            #expect(try school.store.lastSequence() == before)
        }
        _ = pupil
    }
}
