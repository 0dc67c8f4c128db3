import Foundation
import NIOHTTP1
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync
import SSTWeb
import Testing

/// Bad input to every form of the page (issue 20): each answer is a clear Swedish message (no English text shown,
/// no `lang="en"`), with a 4xx status, and nothing is changed (the node's change log does not move).
@Suite(.timeLimit(.minutes(10)))
struct WebFormInputTests {
    let district: TestDistrict
    let school: TestNode

    init() throws {
        WebPages.register()
        district = try TestDistrict()
        school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
    }

    /// One bad submission: where, what, the status and a part of the Swedish message expected.
    struct Case: Sendable {
        let label: String
        let path: String
        let form: [String: String]
        let status: HTTPResponseStatus
        let swedish: String
    }

    /// Posts each case and checks the answer and that the change log did not move.
    func expectRefused(_ cases: [Case], _ browser: WebBrowser) async throws {
        for item in cases {
            let before = try school.store.lastSequence()
            let answer = try await browser.post(item.path, item.form, csrf: .session)
            #expect(answer.status == item.status, "\(item.label): \(answer.status)")
            #expect(answer.text.contains(item.swedish), "\(item.label): \(Self.alert(answer.text))")
            #expect(!answer.text.contains("lang=\"en\""), "\(item.label): English shown")
            #expect(try school.store.lastSequence() == before, "\(item.label): something changed")
        }
    }

    /// The page's alert, for a failure's message.
    static func alert(_ text: String) -> String {
        guard let start = text.range(of: "role=\"alert\"") else { return String(text.prefix(300)) }
        return String(text[start.upperBound...].prefix(400))
    }

    @Test func theConsentFormsSayWhatIsWrongInSwedishAndRecordNothing() async throws {
        let pupil = try TestPupil(at: school)
        let noCustody = RecordID.random()
        try school.store.set(
            entity: "pupil",
            record: noCustody,
            assignments: [("given_name", "Cecilia"), ("personnummer", "20130102-0002")]
        )
        let noAge = try TestPupil(at: school, givenName: "Dan", personnummer: "20130102-0002")
        try school.store.set(entity: "pupil", record: noAge.pupil, values: ["personnummer": .null])
        try pupil.grantConsent(at: school, scopes: ["identity"])
        let withdrawn = try #require(try school.store.consentSummaries(pupil: pupil.pupil).first?.id)
        try school.store.withdrawConsent(id: withdrawn)
        let stranger = RecordID.random()
        let token = try school.store.addStaff(name: "Anna Lind")
        let record = "/staff/pupils/\(pupil.pupil)/consents"
        let good: [String: String] = [
            "scope": "sst_case", "guardian-\(pupil.guardian)": "yes", "method": "written", "pupil_view": "vill ha stöd",
        ]
        func with(_ changes: [String: String?]) -> [String: String] {
            var form = good
            for (name, value) in changes { form[name] = value }
            return form
        }
        let cases: [Case] = [
            Case(
                label: "no scope",
                path: record,
                form: with(["scope": nil]),
                status: .unprocessableEntity,
                swedish: "Välj minst ett område"
            ),
            Case(
                label: "unknown scope",
                path: record,
                form: with(["scope": "allt"]),
                status: .unprocessableEntity,
                swedish: "”allt” är inget område som ett samtycke kan gälla"
            ),
            Case(
                label: "no method",
                path: record,
                form: with(["method": nil]),
                status: .unprocessableEntity,
                swedish: "skriftligt eller muntligt"
            ),
            Case(
                label: "bad date",
                path: record,
                form: with(["valid_until": "31/12"]),
                status: .unprocessableEntity,
                swedish: "”31/12” är inget datum"
            ),
            Case(
                label: "ends before it begins",
                path: record,
                form: with(["valid_until": "2020-01-01"]),
                status: .unprocessableEntity,
                swedish: "Samtycket skulle sluta (2020-01-01) innan det börjar"
            ),
            Case(
                label: "no child's view",
                path: record,
                form: with(["pupil_view": nil]),
                status: .unprocessableEntity,
                swedish: "år: från 12 år skrivs elevens syn in med samtycket"
            ),
            Case(
                label: "not a guardian",
                path: record,
                form: with(["guardian-\(pupil.guardian)": nil, "guardian-\(stranger)": "yes"]),
                status: .unprocessableEntity,
                swedish: "\(stranger) är inte vårdnadshavare för eleven"
            ),
            Case(
                label: "no custody",
                path: "/staff/pupils/\(noCustody)/consents",
                form: ["scope": "identity", "method": "written"],
                status: .unprocessableEntity,
                swedish: "Eleven har ingen vårdnadshavare med vårdnad registrerad"
            ),
            Case(
                label: "age unknown",
                path: "/staff/pupils/\(noAge.pupil)/consents",
                form: ["scope": "identity", "method": "written", "guardian-\(noAge.guardian)": "yes"],
                status: .unprocessableEntity,
                swedish: "Elevens ålder är okänd"
            ),
            Case(
                label: "answer without a choice",
                path: "/staff/consents/\(withdrawn)/answers",
                form: ["pupil": pupil.pupil.rawValue],
                status: .unprocessableEntity,
                swedish: "Välj vårdnadshavare och svar"
            ),
            Case(
                label: "answer to a withdrawn consent",
                path: "/staff/consents/\(withdrawn)/answers",
                form: ["pupil": pupil.pupil.rawValue, "guardian": pupil.guardian.rawValue, "consents": "yes"],
                status: .unprocessableEntity,
                swedish: "Samtycket är återkallat och gäller aldrig igen"
            ),
            Case(
                label: "answer to no consent",
                path: "/staff/consents/\(stranger)/answers",
                form: ["pupil": pupil.pupil.rawValue, "guardian": pupil.guardian.rawValue, "consents": "yes"],
                status: .notFound,
                swedish: "Samtycket \(stranger) finns inte på den här noden"
            ),
            Case(
                label: "withdraw no consent",
                path: "/staff/consents/\(stranger)/withdraw",
                form: ["pupil": pupil.pupil.rawValue],
                status: .notFound,
                swedish: "Samtycket \(stranger) finns inte på den här noden"
            ),
            Case(
                label: "withdraw without a pupil",
                path: "/staff/consents/\(withdrawn)/withdraw",
                form: [:],
                status: .notFound,
                swedish: "Adressen pekar inte ut någon elev"
            ),
        ]
        try await withWebPage(school) { browser in
            _ = try await browser.signIn(token)
            try await expectRefused(cases, browser)
        }
        #expect(try school.store.consentSummaries(pupil: pupil.pupil).map(\.status) == ["withdrawn"])
    }

    @Test func thePhaseAndConflictFormsSayWhatIsWrongInSwedishAndChangeNothing() async throws {
        let pupil = try TestPupil(at: school)
        let caseID = try pupil.openCase(at: school)
        try school.store.set(
            entity: "case",
            record: caseID,
            values: ["phase": .phase(Phase(generation: 1, step: .planning))]
        )
        let token = try school.store.addStaff(name: "Anna Lind")
        let phase = "/staff/cases/\(caseID)/phase"
        let resolve = "/staff/conflicts/resolve"
        let target = ["entity": "case", "id": caseID.rawValue, "field": "plan"]
        let p = ["pupil": pupil.pupil.rawValue]
        let cases: [Case] = [
            Case(label: "no step", path: phase, form: p, status: .unprocessableEntity, swedish: "Välj en fas"),
            Case(
                label: "unknown step",
                path: phase,
                form: p.merging(["step": "sideways"]) { $1 },
                status: .unprocessableEntity,
                swedish: "”sideways” är ingen fas i SST-processen"
            ),
            Case(
                label: "backwards",
                path: phase,
                form: p.merging(["step": "noticed"]) { $1 },
                status: .unprocessableEntity,
                swedish: "Fasen kan bara flyttas framåt"
            ),
            Case(
                label: "reopen an open case",
                path: phase,
                form: p.merging(["step": "reopen"]) { $1 },
                status: .unprocessableEntity,
                swedish: "Bara ett avslutat ärende kan återöppnas"
            ),
            Case(
                label: "no such case",
                path: "/staff/cases/\(RecordID.random())/phase",
                form: p.merging(["step": "closed"]) { $1 },
                status: .notFound,
                swedish: "finns inte på den här noden"
            ),
            Case(
                label: "resolve without a target",
                path: resolve,
                form: ["choice": "own", "own": "x"],
                status: .unprocessableEntity,
                swedish: "Formuläret saknar vilken konflikt det gäller"
            ),
            Case(
                label: "resolve with an empty value",
                path: resolve,
                form: target.merging(["choice": "own", "own": "  "]) { $1 },
                status: .unprocessableEntity,
                swedish: "Skriv det sammanslagna värdet"
            ),
            Case(
                label: "resolve without a choice",
                path: resolve,
                form: target,
                status: .unprocessableEntity,
                swedish: "Välj ett av värdena, eller skriv ett sammanslaget"
            ),
            Case(
                label: "resolve what is no conflict",
                path: resolve,
                form: target.merging(["choice": "own", "own": "Ny plan"]) { $1 },
                status: .conflict,
                swedish: "Fältet ”plan” i ärende \(caseID) har ingen konflikt att lösa"
            ),
            Case(
                label: "resolve an unknown entity",
                path: resolve,
                form: target.merging(["entity": "elefant", "choice": "own", "own": "x"]) { $1 },
                status: .unprocessableEntity,
                swedish: "Det finns ingen sorts uppgift som heter ”elefant”"
            ),
            Case(
                label: "resolve an unknown field",
                path: resolve,
                form: target.merging(["field": "snabel", "choice": "own", "own": "x"]) { $1 },
                status: .unprocessableEntity,
                swedish: "Ärende har inget fält som heter ”snabel”"
            ),
        ]
        try await withWebPage(school) { browser in
            _ = try await browser.signIn(token)
            try await expectRefused(cases, browser)
        }
        #expect(try school.store.values("case", caseID)?["phase"] == .phase(Phase(generation: 1, step: .planning)))
    }
}
