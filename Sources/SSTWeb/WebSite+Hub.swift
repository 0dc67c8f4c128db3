import Foundation
import Hummingbird
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync

/// Reports of concern with social services' feedback to the reporter (at the hub and the school), and the
/// district's follow-up with SVG charts (at the hub).
extension WebSite {
    func addHubPages(to pages: RouterGroup<SyncRequestContext>) {
        pages.get("reports") { request, _ in
            try await signedIn(request) { session in
                let token = session.token
                let reports = try await offload { try store.readConcernReports(presenting: token) }
                let done = FormData(request.uri.query ?? "")["done"] == "feedback"
                return reportsPage(reports, feedbackSaved: done, session: session)
            }
        }
        pages.post("reports/:id/feedback") { request, context in
            try await posted(request) { session, form in
                guard let report = RecordID(context.parameters.get("id") ?? "") else { return notAPupil(session) }
                guard let answer = form[FieldName.investigationOpened], ["yes", "no"].contains(answer) else {
                    return badForm("Välj om en utredning inleddes.", pupil: nil, session: session)
                }
                let formatter = ISO8601DateFormatter()
                formatter.formatOptions = [.withInternetDateTime]
                let values: [String: Value] = [
                    FieldName.investigationOpened: .boolean(answer == "yes"),
                    FieldName.receivedAt: .string(formatter.string(from: Date())),
                ]
                let token = session.token
                _ = try await offload {
                    try store.writeRecord(
                        entity: EntityName.concernReport,
                        record: report,
                        values: values,
                        presenting: token
                    )
                }
                return Self.redirect("\(WebPages.root)/reports?done=feedback")
            }
        }
        pages.get("follow-up") { request, _ in
            try await signedIn(request) { session in
                let report = try await offload { try store.followUpReport() }
                return followUpPage(report, session: session)
            }
        }
    }

    func reportsPage(_ reports: [ConcernReportRead], feedbackSaved: Bool, session: WebSession) -> Response {
        let atHub = (try? store.identity().side) == .social
        let rows: [HTML] = reports.map { report in
            let feedback: String =
                switch report.investigationOpened {
                case true?: "utredning inledd"
                case false?: "ingen utredning inledd"
                case nil: report.receivedAt == nil ? "inte mottagen än" : "mottagen, inget beslut än"
                }
            let form: HTML =
                atHub
                ? """
                <form method="post" action="\(WebPages.root)/reports/\(report.id.rawValue)/feedback">
                  <input type="hidden" name="csrf" value="\(session.csrf)">
                  <fieldset><legend>Återkoppling till anmälaren</legend>
                  <input type="radio" id="opened-\(report.id.rawValue)" name="\(FieldName.investigationOpened)" value="yes" required>
                  <label class="inline" for="opened-\(report.id.rawValue)">utredning inledd</label>
                  <input type="radio" id="not-opened-\(report.id.rawValue)" name="\(FieldName.investigationOpened)" value="no">
                  <label class="inline" for="not-opened-\(report.id.rawValue)">ingen utredning</label>
                  <button type="submit">Spara återkopplingen</button></fieldset>
                </form>
                """
                : ""
            let name: HTML =
                report.pupil.map { pupil in
                    "<a href=\"\(WebPages.root)/pupils/\(pupil.rawValue)\">\(report.pupilName ?? pupil.rawValue)</a>"
                } ?? "–"
            return """
                <tr><td>\(name)</td><td>\(report.concern ?? "–")</td>\
                <td>\(report.reportedBy ?? "–")<br><span class="muted">\(report.reportedAt ?? "")</span></td>\
                <td>\(feedback)\(form)</td></tr>
                """
        }
        let notice: HTML = feedbackSaved ? "<p class=\"notice\" role=\"status\">Återkopplingen är sparad.</p>" : ""
        let table: HTML =
            reports.isEmpty
            ? "<p>Inga orosanmälningar.</p>"
            : """
            <table><thead><tr><th scope="col">Elev</th><th scope="col">Oro</th><th scope="col">Anmäld av</th>\
            <th scope="col">Återkoppling</th></tr></thead><tbody>\(rows)</tbody></table>
            """
        let body: HTML = """
            <h1>Orosanmälningar</h1>
            \(notice)
            <p>Anmälningar om oro för elever, och socialtjänstens återkoppling till anmälaren: om en utredning \
            inleddes.</p>
            \(table)
            """
        return Self.page(title: "Orosanmälningar", session: session, banner: (try? banner()) ?? "", body: body)
    }

    func followUpPage(_ report: FollowUpReport, session: WebSession) -> Response {
        let sections: [HTML] = report.stadsdelar.enumerated().map { index, stadsdel in
            """
            <section aria-labelledby="stadsdel-\(index)">
            <h2 id="stadsdel-\(index)">\(stadsdel.name)</h2>
            <p>\(stadsdel.schools) skol\(stadsdel.schools == 1 ? "a" : "or") · elever med ärende: \
            \(stadsdel.pupilsWithCase.description) · orosanmälningar: \(stadsdel.reportsOfConcern.description) · \
            utredningar inledda: \(stadsdel.investigationsOpened.description)</p>
            \(FollowUpChart.bars(title: "Ärenden per fas", stadsdel.casesByPhase.map { item in
                (Phase.Step(rawValue: item.label)?.swedishLabel ?? item.label, item.count)
            }))
            \(FollowUpChart.bars(title: "Ärenden per kategori", stadsdel.casesByCategory.map { item in
                (Labels.categories[item.label] ?? item.label, item.count)
            }))
            \(FollowUpChart.bars(title: "Insatser per slag", stadsdel.interventionsByKind.map { item in
                (Labels.interventionKinds[item.label] ?? item.label, item.count)
            }))
            </section>
            """
        }
        let body: HTML = """
            <h1>Uppföljning per stadsdel</h1>
            <p>Antal, aldrig personer. Tal under \(report.threshold) visas som ”<\(report.threshold)” och kan inte \
            räknas fram ur summor (”..”), som i sst report.</p>
            \(sections)
            """
        return Self.page(title: "Uppföljning", session: session, banner: "", body: body)
    }
}

/// Horizontal bar charts of the follow-up: a suppressed count is drawn as no bar, with its text (`<5`, `..`).
enum FollowUpChart {
    static func bars(title: String, _ items: [(String, ShownCount)]) -> HTML {
        guard !items.isEmpty else { return "" }
        let largest = max(1, items.compactMap { if case .count(let n) = $0.1 { n } else { nil } }.max() ?? 1)
        let (labelWidth, barWidth, rowHeight) = (190, 260, 22)
        let height = items.count * rowHeight + 8
        let rows: [HTML] = items.enumerated().map { index, item in
            let y = 4 + index * rowHeight
            let width: Int = if case .count(let n) = item.1 { n * barWidth / largest } else { 0 }
            return """
                <text x="\(labelWidth - 6)" y="\(y + 15)" text-anchor="end">\(item.0)</text>\
                <rect x="\(labelWidth)" y="\(y + 3)" width="\(width)" height="\(rowHeight - 6)" fill="#0b5394"/>\
                <text x="\(labelWidth + width + 6)" y="\(y + 15)">\(item.1.description)</text>
                """
        }
        return """
            <figure>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(labelWidth + barWidth + 50)" height="\(height)" \
            role="img" aria-label="\(title): \(items.map { "\($0.0) \($0.1.description)" }.joined(separator: ", "))">
            \(rows)
            </svg>
            <figcaption>\(title)</figcaption>
            </figure>
            """
    }
}
