import Foundation
import Hummingbird
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync

/// Finding a pupil, the pupil's file, and what has been shared about the pupil.
extension WebSite {
    func addPupilPages(to pages: RouterGroup<SyncRequestContext>) {
        pages.get("pupils") { request, _ in
            try await signedIn(request) { session in
                let query =
                    // As a form sends it: "+" is a space (which the router's query parameters leave as is).
                    FormData(request.uri.query ?? "")["q"] ?? ""
                return try await searchPage(query: query, session: session)
            }
        }
        pages.get("pupils/:id") { request, context in
            try await signedIn(request) { session in
                guard let pupil = RecordID(context.parameters.get("id") ?? "") else { return notAPupil(session) }
                let notice = request.uri.queryParameters["done"].map { Self.notices[String($0)] ?? "" } ?? ""
                return try await filePage(pupil: pupil, notice: notice, session: session)
            }
        }
        pages.get("pupils/:id/shared") { request, context in
            try await signedIn(request) { session in
                guard let pupil = RecordID(context.parameters.get("id") ?? "") else { return notAPupil(session) }
                let token = session.token
                let entries = try await offload { try store.readDisclosures(pupil: pupil, presenting: token) }
                return sharedPage(pupil: pupil, entries: entries, session: session)
            }
        }
    }

    static let notices = [
        "consent": "Samtycket är registrerat.", "answer": "Svaret är registrerat.",
        "withdrawn": "Samtycket är återkallat. Det som delats med stöd av det gallras hos socialtjänsten.",
        "phase": "Ärendets fas är ändrad.", "resolved": "Konflikten är löst.",
    ]

    func notAPupil(_ session: WebSession) -> Response {
        Self.errorPage(
            title: "Finns inte här",
            message: "Adressen pekar inte ut någon elev (ett id är ett UUID med små bokstäver).",
            detail: nil,
            session: session,
            status: .notFound
        )
    }

    // MARK: Search

    func searchPage(query: String, session: WebSession) async throws -> Response {
        var results: HTML = ""
        var status = HTTPResponse.Status.ok
        if !query.isEmpty {
            let token = session.token
            do {
                let found = try await offload { try store.searchPupils(matching: query, presenting: token) }
                results = Self.searchResults(found, query: query)
            } catch let error as StoreError where error.code == .invalidValue {
                status = .unprocessableContent
                results = """
                    <div class="alert" role="alert"><p>Sökningen behöver minst 2 tecken: en del av ett namn, \
                    början av ett personnummer eller en klass (8B).</p></div>
                    """
            }
        }
        let body: HTML = """
            <h1>Sök elev</h1>
            <form method="get" action="\(WebPages.root)/pupils" role="search">
              <label for="q">Namn, personnummer eller klass</label>
              <input type="search" id="q" name="q" value="\(query)" required minlength="2" size="40">
              <button type="submit">Sök</button>
            </form>
            \(results)
            """
        return Self.page(title: "Sök elev", session: session, banner: try banner(), body: body, status: status)
    }

    static func searchResults(_ found: PupilSearch, query: String) -> HTML {
        guard !found.matches.isEmpty else {
            return "<p role=\"status\">Ingen elev hittades för ”\(query)”.</p>"
        }
        let rows: [HTML] = found.matches.map { match in
            let name = [match.givenName, match.familyName].compactMap { $0 }.joined(separator: " ")
            let protected: HTML =
                match.protectedIdentity ? " <span class=\"protected\">Skyddade personuppgifter</span>" : ""
            return """
                <tr><td><a href="\(WebPages.root)/pupils/\(match.pupil.rawValue)">\(name.isEmpty ? "(namn saknas)" : name)</a>\
                \(protected)</td>
                <td>\(match.personnummer ?? "")</td><td>\(match.className ?? "")</td><td>\(match.school ?? "")</td></tr>
                """
        }
        let more: HTML =
            found.truncated ? "<p>Fler elever matchade; skriv mer för att begränsa sökningen.</p>" : ""
        return """
            <h2 id="results">Träffar</h2>
            <table aria-labelledby="results">
            <thead><tr><th scope="col">Namn</th><th scope="col">Personnummer</th><th scope="col">Klass</th>\
            <th scope="col">Skola</th></tr></thead>
            <tbody>\(rows)</tbody>
            </table>
            \(more)
            """
    }

    // MARK: The sync banner

    /// At a school node: the last sync with the hub, the changes waiting, and whether the hub answered at the last
    /// attempt (from `sync-state.json`, as `sst status`). Nothing at the hub.
    func banner() throws -> HTML {
        guard let dataDirectory, (try? store.identity().role) == .school else { return "" }
        let status: SyncStatus
        do {
            status = try SyncStatus(
                dataDirectory: dataDirectory,
                store: store,
                now: UInt64(Date().timeIntervalSince1970 * 1000)
            )
        } catch {
            return "<div class=\"banner offline\" role=\"status\">Synkroniseringens läge kan inte läsas.</div>"
        }
        let state = status.state
        let last = state.lastSuccess.map { "Senast synkroniserad \(Self.time($0))" } ?? "Aldrig synkroniserad"
        let waiting = "\(status.pending) ändring\(status.pending == 1 ? "" : "ar") väntar på att skickas"
        let failed = state.lastError.flatMap { error in (state.lastSuccess ?? 0) > error.at ? nil : error }
        // Before the first attempt has a result (about 30 s after the node starts) nothing is known: say so.
        let (hub, look): (String, String) =
            if status.settings == nil {
                ("Ingen hubb är inställd", " offline")
            } else if let failed, Self.unreachableCodes.contains(failed.code) {
                (
                    "Hubben nås inte (senaste försök \(Self.time(failed.at))). Arbetet sparas här och skickas när "
                        + "förbindelsen är tillbaka",
                    " offline"
                )
            } else if let failed {
                (
                    "Senaste synkroniseringen misslyckades (\(Self.time(failed.at))); sst status visar varför. "
                        + "Arbetet sparas här",
                    " offline"
                )
            } else if state.lastSuccess != nil {
                ("Hubben svarade vid senaste försöket", "")
            } else {
                ("Ingen synkronisering ännu. Noden försöker nå hubben strax efter start", " waiting")
            }
        return """
            <div class="banner\(look)" role="status" id="sync-banner">\
            <strong>\(hub).</strong> \(last). \(waiting).</div>
            """
    }

    /// The failures that mean the hub did not answer (as opposed to answering with a refusal).
    static let unreachableCodes: Set<String> = ["unreachable"]

    /// A time for people: `2026-12-06 14:05` in Swedish time.
    static func time(_ milliseconds: UInt64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "sv_SE")
        formatter.timeZone = TimeZone(identifier: "Europe/Stockholm") ?? .gmt
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000))
    }

    // MARK: What has been shared

    func sharedPage(pupil: RecordID, entries: [AuditEntry], session: WebSession) -> Response {
        let rows: [HTML] = entries.map { entry in
            let to = entry.direction == .toSchool ? "till skolan" : "till socialtjänsten"
            return """
                <tr><td>\(Self.time(entry.atMilliseconds))</td><td>\(to)</td><td>\(entry.peer ?? "")</td>\
                <td>\(Labels.basis(entry.basis))</td><td>\(entry.fields.joined(separator: ", "))</td></tr>
                """
        }
        let table: HTML =
            entries.isEmpty
            ? "<p>Ingenting om eleven har lämnat den här noden.</p>"
            : """
            <table aria-describedby="shared-help">
            <thead><tr><th scope="col">När</th><th scope="col">Vart</th><th scope="col">Mottagare</th>\
            <th scope="col">Grund</th><th scope="col">Uppgifter</th></tr></thead>
            <tbody>\(rows)</tbody>
            </table>
            """
        let body: HTML = """
            <p><a href="\(WebPages.root)/pupils/\(pupil.rawValue)">Tillbaka till elevakten</a></p>
            <h1>Vad har delats om eleven</h1>
            <p id="shared-help">Varje gång uppgifter om eleven lämnade den här noden över gränsen mellan skola och \
            socialtjänst, enligt loggen: när, vart, med vilken grund (samtycke, lagstadgad skyldighet eller \
            administration) och vilka uppgifter. Vårdnadshavare har rätt att få veta detta.</p>
            \(table)
            """
        return Self.page(title: "Vad har delats", session: session, banner: "", body: body)
    }
}

/// Swedish labels for the schema's names.
enum Labels {
    static let entities = [
        EntityName.pupil: "Elev", EntityName.guardian: "Vårdnadshavare", EntityName.consent: "Samtycke",
        EntityName.absence: "Frånvaro", EntityName.schoolAssessment: "Skolans bedömning",
        EntityName.healthNote: "Elevhälsoanteckning", EntityName.case: "Ärende", EntityName.intervention: "Insats",
        EntityName.meeting: "Möte", EntityName.socialInvestigation: "Utredning (socialtjänsten)",
        EntityName.socialSupport: "Stöd från socialtjänsten", EntityName.concernReport: "Orosanmälan",
        EntityName.purgeReceipt: "Gallringskvitto",
    ]

    static let scopes = [
        "identity": "identitet", "absence": "frånvaro", "school_assessment": "skolans bedömning",
        "sst_case": "SST-ärendet", "social_support_flag": "att stöd pågår hos socialtjänsten",
    ]

    static let statuses = [
        "pending": "väntar på svar", "active": "gäller", "refused": "nekat", "withdrawn": "återkallat",
        "expired": "har gått ut",
    ]

    static let categories = ["absence": "frånvaro", "behaviour": "beteende"]

    static let interventionKinds = [
        "motivational_talks": "motiverande samtal", "parenting_support": "föräldrastöd",
        "school_adaptations": "anpassningar i skolan", "relationship_activities": "relationsskapande aktiviteter",
        "study_support": "studiestöd", "other": "annat",
    ]

    static func entity(_ name: String) -> String { entities[name] ?? name }

    static func scope(_ name: String) -> String { scopes[name] ?? name }

    static func basis(_ text: String?) -> String {
        guard let text, let basis = Basis(text: text.split(separator: " ").first.map(String.init) ?? text) else {
            return text ?? ""
        }
        switch basis {
        case .consent(let name): return "samtycke (\(Self.scope(name)))"
        case .legalDuty: return "lagstadgad skyldighet (orosanmälan)"
        case .administrative: return "administration"
        }
    }
}
