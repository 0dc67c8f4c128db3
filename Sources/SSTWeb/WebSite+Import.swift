import Foundation
import Hummingbird
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync

/// The absence upload form at a school node: the attendance system's CSV, imported through the store with the
/// member's token (each record written is the member's `staff_write`), with the row-by-row report.
extension WebSite {
    func addImportPages(to pages: RouterGroup<SyncRequestContext>) {
        pages.get("absence-import") { request, _ in
            try await signedIn(request) { session in importPage(report: nil, error: nil, session: session) }
        }
        pages.post("absence-import") { request, _ in
            let body = try await request.body.collect(upTo: Self.maxFormBytes)
            let parts = MultipartForm(
                contentType: request.headers[.contentType] ?? "",
                body: Data(body.readableBytesView)
            )
            return try await signedIn(request) { session in
                guard let csrf = parts?.text("csrf"), WebSessions.equalSecrets(csrf, session.csrf) else {
                    return Self.csrfRefused(session)
                }
                guard let file = parts?.data("file"), !file.isEmpty else {
                    return importPage(report: nil, error: "Välj en CSV-fil att läsa in.", session: session)
                }
                let parsed: AbsenceCSV.Parsed
                do {
                    parsed = try AbsenceCSV.parse(file)
                } catch let error as AbsenceCSV.HeaderError {
                    let swedish = WebMessages.importProblem(error.message)
                    return importPage(
                        report: nil,
                        error: "Filen lästes inte in. \(swedish ?? "Rubrikraden förstods inte.") Ingenting ändrades.",
                        detail: swedish == nil ? error.message : nil,
                        session: session
                    )
                }
                let token = session.token
                let report = try await offload {
                    try store.importAbsence(parsed.rows, problems: parsed.problems, presenting: token)
                }
                return importPage(report: report, error: nil, session: session)
            }
        }
    }

    func importPage(
        report: AbsenceImportReport?,
        error: String?,
        detail: String? = nil,
        session: WebSession
    ) -> Response {
        var result: HTML = ""
        if let error {
            let detailHTML: HTML = detail.map { "<p lang=\"en\">\($0)</p>" } ?? ""
            result = "<div class=\"alert\" role=\"alert\"><p>\(error)</p>\(detailHTML)</div>"
        } else if let report {
            let rows: [HTML] = report.problems.map { problem -> HTML in
                if let swedish = WebMessages.importProblem(problem.message) {
                    return "<tr><td>\(problem.line)</td><td>\(swedish)</td></tr>"
                }
                return "<tr><td>\(problem.line)</td><td lang=\"en\">\(problem.message)</td></tr>"
            }
            let problems: HTML =
                rows.isEmpty
                ? ""
                : """
                <table><caption>Rader som inte lästes in</caption>
                <thead><tr><th scope="col">Rad</th><th scope="col">Varför</th></tr></thead><tbody>\(rows)</tbody></table>
                """
            result = """
                <p class="notice" role="status">\(report.written) rad(er) inlästa, \(report.unchanged) oförändrade, \
                \(report.problems.count) inte inlästa.</p>
                \(problems)
                """
        }
        let body: HTML = """
            <h1>Läs in frånvaro</h1>
            \(result)
            <p>En CSV-fil från närvarosystemet: en rubrikrad med personnummer; datum (eller från och till); schemalagd \
            tid; giltig frånvaro; ogiltig frånvaro – i minuter. Semikolon eller komma, UTF-8 eller Windows-1252. \
            Samma fil två gånger ändrar ingenting.</p>
            <form method="post" action="\(WebPages.root)/absence-import" enctype="multipart/form-data">
              <input type="hidden" name="csrf" value="\(session.csrf)">
              <label for="file">CSV-fil</label>
              <input type="file" id="file" name="file" accept=".csv,text/csv" required>
              <p><button type="submit">Läs in</button></p>
            </form>
            """
        let status: HTTPResponse.Status = error == nil ? .ok : .unprocessableContent
        return Self.page(title: "Läs in frånvaro", session: session, banner: "", body: body, status: status)
    }
}

/// A `multipart/form-data` body: each part's name with its bytes.
struct MultipartForm {
    private var parts: [String: Data] = [:]

    init?(contentType: String, body: Data) {
        guard contentType.lowercased().hasPrefix("multipart/form-data"),
            let range = contentType.range(of: "boundary=")
        else { return nil }
        var boundary = String(contentType[range.upperBound...])
        if let end = boundary.firstIndex(of: ";") { boundary = String(boundary[..<end]) }
        boundary = boundary.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        guard !boundary.isEmpty else { return nil }
        let delimiter = Data("--\(boundary)".utf8)
        let headerEnd = Data("\r\n\r\n".utf8)
        var searchStart = body.startIndex
        var starts: [Data.Index] = []
        while let found = body.range(of: delimiter, in: searchStart..<body.endIndex) {
            starts.append(found.upperBound)
            searchStart = found.upperBound
        }
        for (index, start) in starts.enumerated() where index + 1 < starts.count {
            let end = starts[index + 1] - delimiter.count
            guard let headers = body.range(of: headerEnd, in: start..<end) else { continue }
            let head = String(decoding: body[start..<headers.lowerBound], as: UTF8.self)
            guard let nameRange = head.range(of: "name=\"") else { continue }
            let name = String(head[nameRange.upperBound...].prefix { $0 != "\"" })
            var content = body[headers.upperBound..<end]
            if content.suffix(2) == Data("\r\n".utf8) { content = content.dropLast(2) }
            parts[name] = Data(content)
        }
    }

    func data(_ name: String) -> Data? { parts[name] }

    func text(_ name: String) -> String? { parts[name].map { String(decoding: $0, as: UTF8.self) } }
}
