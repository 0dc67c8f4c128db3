import Foundation
import Hummingbird
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync

/// Moving a case's phase (forward only; a closed case is reopened) and resolving conflicts with both values side
/// by side.
extension WebSite {
    func addCasePages(to pages: RouterGroup<SyncRequestContext>) {
        pages.post("cases/:id/phase") { request, context in
            try await posted(request) { session, form in
                let pupil = form["pupil"].flatMap(RecordID.init)
                guard let caseID = RecordID(context.parameters.get("id") ?? "") else { return notAPupil(session) }
                let token = session.token
                let current = try await offload {
                    try store.readRecord(entity: EntityName.case, record: caseID, presenting: token)
                }
                guard let current else {
                    return Self.errorPage(
                        title: "Finns inte här",
                        message: "Ärendet \(caseID.rawValue) finns inte på den här noden. Ingenting ändrades.",
                        detail: nil,
                        session: session,
                        status: .notFound
                    )
                }
                let phase: Phase? = if case .phase(let phase)? = current[FieldName.phase]?.value { phase } else { nil }
                let next: Phase
                switch form["step"] {
                case "reopen":
                    guard let phase, phase.step == .closed else {
                        return badForm("Bara ett avslutat ärende kan återöppnas.", pupil: pupil, session: session)
                    }
                    next = phase.reopened()
                case let text?:
                    guard let step = Phase.Step(rawValue: text) else {
                        return badForm("”\(text)” är ingen fas i SST-processen.", pupil: pupil, session: session)
                    }
                    next = Phase(generation: phase?.generation ?? 1, step: step)
                    if let phase, next <= phase {
                        return badForm(
                            "Fasen kan bara flyttas framåt (den är \(phase.step.swedishLabel)); ett avslutat ärende "
                                + "återöppnas.",
                            pupil: pupil,
                            session: session
                        )
                    }
                case nil:
                    return badForm("Välj en fas.", pupil: pupil, session: session)
                }
                _ = try await offload {
                    try store.writeRecord(
                        entity: EntityName.case,
                        record: caseID,
                        values: [FieldName.phase: .phase(next)],
                        presenting: token
                    )
                }
                guard let pupil else { return Self.redirect("\(WebPages.root)/pupils") }
                return Self.redirect("\(WebPages.root)/pupils/\(pupil.rawValue)?done=phase")
            }
        }
        pages.get("conflicts") { request, _ in
            try await signedIn(request) { session in
                let token = session.token
                let conflicts = try await offload { try store.staffConflicts(presenting: token) }
                let done = request.uri.queryParameters["done"] == "resolved"
                return conflictsPage(conflicts, resolved: done, session: session)
            }
        }
        pages.post("conflicts/resolve") { request, _ in
            try await posted(request) { session, form in
                guard let entity = form["entity"], let record = form["id"].flatMap(RecordID.init),
                    let field = form["field"]
                else {
                    return badForm("Formuläret saknar vilken konflikt det gäller.", pupil: nil, session: session)
                }
                let value: String
                switch form["choice"] {
                case "own":
                    guard let own = form.raw("own"), !own.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
                    else {
                        return badForm(
                            "Skriv det sammanslagna värdet, eller välj ett av värdena.",
                            pupil: nil,
                            session: session
                        )
                    }
                    value = own
                case let chosen? where chosen.hasPrefix("value-"):
                    guard let index = Int(chosen.dropFirst("value-".count)),
                        let candidate = form.raw("candidate-\(index)")
                    else { return badForm("Välj ett av värdena.", pupil: nil, session: session) }
                    value = candidate
                default:
                    return badForm("Välj ett av värdena, eller skriv ett sammanslaget.", pupil: nil, session: session)
                }
                let token = session.token
                _ = try await offload {
                    try store.resolveConflict(
                        entity: entity,
                        record: record,
                        field: field,
                        value: .string(value),
                        presenting: token
                    )
                }
                return Self.redirect("\(WebPages.root)/conflicts?done=resolved")
            }
        }
    }

    func conflictsPage(_ conflicts: [Conflict], resolved: Bool, session: WebSession) -> Response {
        let items: [HTML] = conflicts.enumerated().map { index, conflict in
            let values = [conflict.current] + conflict.others
            let columns: [HTML] = values.enumerated().map { position, state in
                let text = FileRecord.text(state.value)
                let id = "c\(index)-v\(position)"
                return """
                    <div><input type="hidden" name="candidate-\(position)" value="\(text)">
                    <input type="radio" id="\(id)" name="choice" value="value-\(position)"\(position == 0 ? " required" : "")>
                    <label class="inline" for="\(id)">\(position == 0 ? "Visas nu" : "Samtidigt värde") \
                    <span class="muted">(från \(state.stamp.node.rawValue))</span></label>
                    <p>\(text)</p></div>
                    """
            }
            return """
                <section aria-labelledby="conflict-\(index)">
                <h2 id="conflict-\(index)">\(Labels.entity(conflict.entity)) – \(conflict.field)</h2>
                <form method="post" action="\(WebPages.root)/conflicts/resolve">
                  <input type="hidden" name="csrf" value="\(session.csrf)">
                  <input type="hidden" name="entity" value="\(conflict.entity)">
                  <input type="hidden" name="id" value="\(conflict.record.rawValue)">
                  <input type="hidden" name="field" value="\(conflict.field)">
                  <fieldset><legend>Välj värdet som ska gälla</legend>
                  <div class="side">\(columns)</div>
                  <input type="radio" id="c\(index)-own" name="choice" value="own">
                  <label class="inline" for="c\(index)-own">Eget, sammanslaget värde:</label>
                  <label for="c\(index)-own-text" class="muted">Sammanslaget värde</label>
                  <textarea id="c\(index)-own-text" name="own"></textarea>
                  </fieldset>
                  <button type="submit">Lös konflikten</button>
                </form>
                </section>
                """
        }
        let notice: HTML = resolved ? "<p class=\"notice\" role=\"status\">Konflikten är löst.</p>" : ""
        let body: HTML = """
            <h1>Konflikter</h1>
            \(notice)
            <p>Två personer ändrade samma text på olika noder innan de synkroniserades. Båda värdena finns kvar tills \
            någon väljer; valet följer med nästa synkronisering.</p>
            \(items.isEmpty ? HTML("<p>Inga konflikter.</p>") : HTML("\(items)"))
            """
        return Self.page(title: "Konflikter", session: session, banner: (try? banner()) ?? "", body: body)
    }
}
