import Foundation
import Hummingbird
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync

/// The pupil's file: identity, guardians, consents, absence, the case with its phase, interventions, meetings.
extension WebSite {
    func filePage(pupil: RecordID, notice: String, session: WebSession) async throws -> Response {
        let token = session.token
        let file = try await offload { try store.readPupilFile(pupil: pupil, presenting: token) }
        guard let file else {
            return Self.errorPage(
                title: "Finns inte här",
                message: "Den här noden har inga uppgifter om eleven.",
                detail: nil,
                session: session,
                status: .notFound
            )
        }
        let records = FileRecords(file.records)
        let identity = records.first(EntityName.pupil)
        let name = [identity?.string(FieldName.givenName), identity?.string(FieldName.familyName)].compactMap { $0 }
            .joined(separator: " ")
        let isSchool = (try? store.identity().side) == .school
        let noticeHTML: HTML = notice.isEmpty ? "" : "<p class=\"notice\" role=\"status\">\(notice)</p>"
        let withheld: HTML =
            file.withheldHealthRecords > 0
            ? "<p class=\"muted\">\(file.withheldHealthRecords) elevhälsoanteckning(ar) visas bara för elevhälsans personal.</p>"
            : ""
        let body: HTML
        if session.role == .mentor {
            body = """
                <h1>\(name.isEmpty ? "Elev" : name)</h1>
                <p class="muted">Som mentor ser du elevens identitet och frånvaro, inte ärenden eller samtycken.</p>
                \(Self.identitySection(identity))
                \(Self.absenceSection(records.all(EntityName.absence)))
                """
        } else {
            body = """
                <h1>\(name.isEmpty ? "Elev" : name)</h1>
                \(noticeHTML)
                \(Self.identitySection(identity))
                \(Self.guardiansSection(records.all(EntityName.guardian)))
                \(consentsSection(records, pupil: pupil, session: session, isSchool: isSchool))
                \(Self.absenceSection(records.all(EntityName.absence)))
                \(casesSection(records, session: session))
                \(Self.otherSection(records))
                \(withheld)
                <h2>Vad har delats</h2>
                <p><a href="\(WebPages.root)/pupils/\(pupil.rawValue)/shared">Vad har delats om eleven</a> \
                – vad som lämnat noden till socialtjänsten, när och med vilken grund.</p>
                """
        }
        return Self.page(title: name.isEmpty ? "Elev" : name, session: session, banner: try banner(), body: body)
    }

    static func identitySection(_ pupil: FileRecord?) -> HTML {
        guard let pupil else { return "<h2>Identitet</h2><p>Eleven själv finns inte på den här noden.</p>" }
        let protected: HTML =
            pupil.bool(FieldName.protectedIdentity) == true
            ? "<p class=\"alert\" role=\"note\"><span class=\"protected\">Skyddade personuppgifter.</span> Lämna "
                + "inte ut elevens namn, adress eller skola.</p>"
            : ""
        let rows: [(String, String?)] = [
            ("Förnamn", pupil.string(FieldName.givenName)), ("Efternamn", pupil.string(FieldName.familyName)),
            ("Personnummer", pupil.string(FieldName.personnummer)),
            ("Årskurs", pupil.integer(FieldName.grade).map(String.init)),
            ("Klass", pupil.string(FieldName.className)), ("Skola", pupil.string(FieldName.school)),
            ("Stadsdel", pupil.string(FieldName.stadsdel)),
        ]
        return """
            <h2>Identitet</h2>
            \(protected)
            <table><tbody>\(rows.map { row -> HTML in "<tr><th scope=\"row\">\(row.0)</th><td>\(row.1 ?? "–")</td></tr>" })</tbody></table>
            """
    }

    static func guardiansSection(_ guardians: [FileRecord]) -> HTML {
        guard !guardians.isEmpty else { return "<h2>Vårdnadshavare</h2><p>Inga vårdnadshavare registrerade.</p>" }
        let rows: [HTML] = guardians.map { guardian in
            let name = [guardian.string(FieldName.givenName), guardian.string(FieldName.familyName)].compactMap { $0 }
                .joined(separator: " ")
            return """
                <tr><td>\(name)</td><td>\(guardian.bool(FieldName.hasCustody) == true ? "ja" : "nej")</td>\
                <td>\(guardian.string(FieldName.phone) ?? "")</td><td>\(guardian.string(FieldName.email) ?? "")</td></tr>
                """
        }
        return """
            <h2>Vårdnadshavare</h2>
            <table><thead><tr><th scope="col">Namn</th><th scope="col">Vårdnad</th><th scope="col">Telefon</th>\
            <th scope="col">E-post</th></tr></thead><tbody>\(rows)</tbody></table>
            """
    }

    static func absenceSection(_ absence: [FileRecord]) -> HTML {
        var months: [String: AbsenceChart.Month] = [:]
        for record in absence {
            guard let start = record.string(FieldName.periodStart), start.count >= 7 else { continue }
            let key = String(start.prefix(7))
            var month = months[key] ?? AbsenceChart.Month(label: key, scheduled: 0, excused: 0, unexcused: 0)
            month.scheduled += record.integer(FieldName.scheduledMinutes) ?? 0
            month.excused += record.integer(FieldName.excusedMinutes) ?? 0
            month.unexcused += record.integer(FieldName.unexcusedMinutes) ?? 0
            months[key] = month
        }
        let sorted = months.keys.sorted().map { months[$0]! }
        guard !sorted.isEmpty else { return "<h2>Frånvaro</h2><p>Ingen frånvaro registrerad.</p>" }
        return "<h2>Frånvaro</h2>" + AbsenceChart.svg(sorted) + AbsenceChart.table(sorted)
    }

    func casesSection(_ records: FileRecords, session: WebSession) -> HTML {
        let cases = records.all(EntityName.case)
        guard !cases.isEmpty else { return "<h2>Ärende</h2><p>Inget SST-ärende.</p>" }
        let sections: [HTML] = cases.map { record in
            let phase: Phase? =
                if case .phase(let phase)? = record.fields[FieldName.phase]?.value { phase } else { nil }
            let steps: [HTML] = Phase.Step.allCases.map { step in
                let current = phase?.step == step
                return current
                    ? "<li class=\"current\" aria-current=\"step\">\(step.swedishLabel)</li>"
                    : "<li>\(step.swedishLabel)</li>"
            }
            let interventions = records.all(EntityName.intervention).filter {
                $0.string(FieldName.caseID) == record.id.rawValue
            }
            let meetings = records.all(EntityName.meeting).filter { $0.string(FieldName.caseID) == record.id.rawValue }
            let interventionRows: [HTML] = interventions.map { item in
                """
                <li>\(item.string(FieldName.kind).map { Labels.interventionKinds[$0] ?? $0 } ?? "insats"): \(item.string(FieldName.description) ?? "") \
                <span class="muted">\(item.string(FieldName.starts) ?? "")–\(item.string(FieldName.ends) ?? "") \
                \(item.string(FieldName.responsible) ?? "")</span></li>
                """
            }
            let meetingRows: [HTML] = meetings.map { item in
                let held =
                    item.integer(FieldName.heldAt).map { Self.time(UInt64(max(0, $0))) } ?? item.string(
                        FieldName.heldAt
                    ) ?? ""
                return
                    "<li>\(held): \(item.string(FieldName.notes) ?? "") <span class=\"muted\">\(item.list(FieldName.participants).joined(separator: ", "))</span></li>"
            }
            return """
                <section aria-labelledby="case-\(record.id.rawValue)">
                <h3 id="case-\(record.id.rawValue)">Ärende (\(record.string(FieldName.category).map { Labels.categories[$0] ?? $0 } ?? "–"))\
                \(phase.map { " – omgång \($0.generation)" } ?? "")</h3>
                <ol class="phases" aria-label="Fas i SST-processen">\(steps)</ol>
                <p><strong>Oro:</strong> \(record.string(FieldName.concern) ?? "–")</p>
                <p><strong>Plan:</strong> \(record.string(FieldName.plan) ?? "–")</p>
                \(phaseForm(record.id, phase: phase, pupil: records.pupil, session: session))
                <h4>Insatser</h4>
                \(interventionRows.isEmpty ? HTML("<p>Inga insatser.</p>") : HTML("<ul>\(interventionRows)</ul>"))
                <h4>Möten</h4>
                \(meetingRows.isEmpty ? HTML("<p>Inga möten.</p>") : HTML("<ul>\(meetingRows)</ul>"))
                </section>
                """
        }
        return "<h2>Ärende</h2>\(sections)"
    }

    func phaseForm(_ caseID: RecordID, phase: Phase?, pupil: RecordID?, session: WebSession) -> HTML {
        let pupilField: HTML =
            pupil.map { "<input type=\"hidden\" name=\"pupil\" value=\"\($0.rawValue)\">" } ?? ""
        if let phase, phase.step == .closed {
            return """
                <form method="post" action="\(WebPages.root)/cases/\(caseID.rawValue)/phase">
                  <input type="hidden" name="csrf" value="\(session.csrf)">\(pupilField)
                  <input type="hidden" name="step" value="reopen">
                  <button type="submit">Återöppna ärendet</button>
                </form>
                """
        }
        let later = Phase.Step.allCases.filter { step in phase.map { step > $0.step } ?? true }
        let options: [HTML] = later.map { "<option value=\"\($0.rawValue)\">\($0.swedishLabel)</option>" }
        return """
            <form method="post" action="\(WebPages.root)/cases/\(caseID.rawValue)/phase">
              <input type="hidden" name="csrf" value="\(session.csrf)">\(pupilField)
              <label for="step-\(caseID.rawValue)">Flytta fram till fas</label>
              <select id="step-\(caseID.rawValue)" name="step">\(options)</select>
              <button type="submit">Flytta fasen</button>
            </form>
            """
    }

    static func otherSection(_ records: FileRecords) -> HTML {
        let shown: Set<String> = [
            EntityName.pupil, EntityName.guardian, EntityName.consent, EntityName.absence, EntityName.case,
            EntityName.intervention, EntityName.meeting,
        ]
        let others = records.records.filter { !shown.contains($0.entity) }
        guard !others.isEmpty else { return "" }
        let items: [HTML] = others.map { record in
            let fields = record.fields.keys.sorted().filter { !$0.hasPrefix("_") && $0 != FieldName.pupilID }.map {
                name in
                "\(name): \(FileRecord.text(record.fields[name]?.value))"
            }
            return "<li><strong>\(Labels.entity(record.entity))</strong>: \(fields.joined(separator: "; "))</li>"
        }
        return "<h2>Övrigt</h2><ul>\(items)</ul>"
    }
}

/// A pupil's file's records, by entity.
struct FileRecords {
    let records: [FileRecord]

    init(_ reads: [RecordRead]) {
        records = reads.map(FileRecord.init).filter { !$0.isDeleted }
    }

    func first(_ entity: String) -> FileRecord? { records.first { $0.entity == entity } }

    func all(_ entity: String) -> [FileRecord] { records.filter { $0.entity == entity } }

    var pupil: RecordID? { first(EntityName.pupil)?.id }
}

/// One record of a pupil's file, with typed access to its fields.
struct FileRecord {
    let entity: String
    let id: RecordID
    let fields: [String: FieldState]

    init(_ read: RecordRead) {
        entity = read.entity
        id = read.record
        fields = read.fields
    }

    var isDeleted: Bool { bool("_deleted") == true || bool("_purged") == true }

    func string(_ name: String) -> String? {
        if case .string(let text)? = fields[name]?.value { return text }
        return nil
    }

    func integer(_ name: String) -> Int64? {
        if case .integer(let number)? = fields[name]?.value { return number }
        return nil
    }

    func bool(_ name: String) -> Bool? {
        if case .boolean(let flag)? = fields[name]?.value { return flag }
        return nil
    }

    func list(_ name: String) -> [String] {
        if case .list(let items)? = fields[name]?.value { return items }
        return []
    }

    static func text(_ value: Value?) -> String {
        switch value {
        case .string(let text): text
        case .integer(let number): String(number)
        case .boolean(let flag): flag ? "ja" : "nej"
        case .list(let items): items.joined(separator: ", ")
        case .phase(let phase): phase.step.swedishLabel
        case .null, nil: "–"
        }
    }
}
