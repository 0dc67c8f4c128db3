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

/// Absence from an attendance system's CSV (issue 20, item 6): both separators, both encodings, Swedish and
/// English headers; a bad header imports nothing, a bad row is reported and the others imported, a re-import
/// changes nothing; and the page's upload form.
@Suite(.timeLimit(.minutes(10)))
struct AbsenceImportTests {
    let district: TestDistrict
    let school: TestNode

    init() throws {
        WebPages.register()
        district = try TestDistrict()
        school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
    }

    static let swedish = """
        Personnummer;Från;Till;Schemalagd tid (min);Giltig frånvaro;Ogiltig frånvaro
        20130101-0003;2026-09-01;2026-09-30;6000;600;1200
        201301010003;2026-10-01;2026-10-31;6000;0;300
        """

    static let english = """
        personal identity number,date,scheduled minutes,excused minutes,unexcused minutes
        20130101-0003,2026-09-01,400,0,40
        20130101-0003,2026-09-02,400,60,0
        """

    static func encoded(_ text: String, _ encoding: String.Encoding) throws -> Data {
        try #require(text.replacingOccurrences(of: "\n", with: "\r\n").data(using: encoding))
    }

    @Test(arguments: [
        (swedish, String.Encoding.utf8), (swedish, .windowsCP1252), (english, .utf8), (english, .windowsCP1252),
    ])
    func bothSeparatorsBothEncodingsAndAReImportChangesNothing(_ text: String, _ encoding: String.Encoding) throws {
        let pupil = try TestPupil(at: school)
        let parsed = try AbsenceCSV.parse(try Self.encoded(text, encoding))
        #expect(parsed.rows.count == 2 && parsed.problems.isEmpty)
        let report = try school.store.importAbsence(parsed.rows, problems: parsed.problems)
        #expect(report.written == 2 && report.unchanged == 0 && report.problems.isEmpty)
        let held = try school.store.readPupilFile(pupil: pupil.pupil, presenting: school.store.addStaff(name: "Anna"))
        let absence = held?.records.filter { $0.entity == "absence" } ?? []
        #expect(absence.count == 2)
        #expect(absence.allSatisfy { $0.fields["pupil_id"]?.value == .string(pupil.pupil.rawValue) })

        let sequence = try school.store.lastSequence()
        let again = try school.store.importAbsence(parsed.rows, problems: parsed.problems)
        #expect(again.written == 0 && again.unchanged == 2)
        #expect(try school.store.lastSequence() == sequence, "a re-import writes no change")
    }

    @Test func aMalformedHeaderImportsNothingAndABadRowIsReportedWhileTheOthersAreImported() throws {
        try TestPupil(at: school)
        for header in [
            "Namn;Från;Till;Schemalagd tid;Giltig frånvaro;Ogiltig frånvaro",  // no personnummer
            "Personnummer;Schemalagd tid;Giltig frånvaro;Ogiltig frånvaro",  // no date
            "Personnummer;Datum;Datum;Schemalagd tid;Giltig frånvaro;Ogiltig frånvaro",  // twice
            "",
        ] {
            let data = Data((header + "\n20130101-0003;2026-09-01;2026-09-30;6000;600;1200\n").utf8)
            #expect(throws: AbsenceCSV.HeaderError.self, "\(header)") { try AbsenceCSV.parse(data) }
        }
        let mixed = """
            Personnummer;Datum;Schemalagd tid;Giltig frånvaro;Ogiltig frånvaro
            20130101-0003;2026-09-01;400;0;40
            20130101-0004;2026-09-02;400;0;40
            20130101-0003;2026-13-01;400;0;40
            20130101-0003;2026-09-03;400;300;300
            20130101-0003;2026-09-04;fyra;0;0
            20110303-0001;2026-09-05;400;0;0
            """
        let parsed = try AbsenceCSV.parse(Data(mixed.utf8))
        #expect(parsed.rows.count == 2)
        #expect(parsed.problems.map(\.line) == [3, 4, 5, 6])
        let report = try school.store.importAbsence(parsed.rows, problems: parsed.problems)
        #expect(report.written == 1)
        #expect(report.problems.map(\.line) == [3, 4, 5, 6, 7])
        #expect(report.problems.last?.message.contains("no pupil with personnummer 20110303-0001") == true)
        #expect(report.problems.first?.message.contains("not a personnummer") == true)
    }

    @Test func theUploadFormImportsWithTheMembersTokenAndRefusesAFormWithoutItsCSRFToken() async throws {
        let pupil = try TestPupil(at: school)
        let token = try school.store.addStaff(name: "Anna Lind")
        let mentor = try school.store.addStaff(name: "Maj Mentor", role: .mentor, classes: ["8B"])
        let file = try Self.encoded(Self.swedish, .windowsCP1252)
        let tls = try withoutClientCertificate(trusting: school.tls.ca)
        try await withNodeListener(school) { port in
            for (member, expected) in [(mentor, HTTPResponseStatus.forbidden), (token, .ok)] {
                let page = try await PageSession.signIn(port: port, ca: school.tls.ca, token: member)
                let csrf = try #require(page.browser.csrf)
                let sequence = try school.store.lastSequence()
                let forged = try await upload(port, tls, cookies: page.browser.cookies, csrf: nil, file: file)
                #expect(forged.status == .forbidden)
                #expect(try school.store.lastSequence() == sequence, "a form without its CSRF token changes nothing")
                let bad = try await upload(
                    port,
                    tls,
                    cookies: page.browser.cookies,
                    csrf: csrf,
                    file: Data("Namn;Datum\nÅsa;2026-09-01\n".utf8)
                )
                #expect(bad.status == .unprocessableEntity && bad.text.contains("Ingenting ändrades"))
                let sent = try await upload(port, tls, cookies: page.browser.cookies, csrf: csrf, file: file)
                #expect(sent.status == expected)
                if expected == .ok { #expect(sent.text.contains("2 rad(er) inlästa, 0 oförändrade, 0 inte inlästa")) }
                try await page.close()
            }
        }
        let writes = try school.store.auditEntries(pupil: pupil.pupil).map(\.entry).filter { $0.kind == .staffWrite }
        #expect(writes.count == 2 && writes.allSatisfy { $0.peer == "staff:Anna Lind" })
    }

    func upload(
        _ port: Int,
        _ tls: TLSConfiguration,
        cookies: [String: String],
        csrf: String?,
        file: Data
    ) async throws -> (status: HTTPResponseStatus, text: String) {
        let boundary = "sst-test-\(UUID().uuidString)"
        var body = Data()
        if let csrf {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n\(csrf)\r\n".utf8)
        }
        body += Data(
            ("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"franvaro.csv\"\r\n"
                + "Content-Type: text/csv\r\n\r\n").utf8
        )
        body += file + Data("\r\n--\(boundary)--\r\n".utf8)
        return try await withRawClient(tls: tls) { client in
            var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)/staff/absence-import")
            request.method = .POST
            request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
            request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await client.execute(request, timeout: .seconds(60))
            return (response.status, String(buffer: try await response.body.collect(upTo: 1 << 20)))
        }
    }
}
