import Foundation
import Hummingbird
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync

/// Consents on the pupil's file: their status and what each lets cross, and the forms that record, answer and
/// withdraw them by the consent rules (the store's, as through the API).
extension WebSite {
    func consentsSection(_ records: FileRecords, pupil: RecordID, session: WebSession, isSchool: Bool) -> HTML {
        let today = CivilDate(millisecondsSinceEpoch: UInt64(Date().timeIntervalSince1970 * 1000))
        let guardians = records.all(EntityName.guardian)
        let names = Dictionary(
            guardians.map { guardian in
                (
                    guardian.id.rawValue,
                    [guardian.string(FieldName.givenName), guardian.string(FieldName.familyName)].compactMap { $0 }
                        .joined(separator: " ")
                )
            },
            uniquingKeysWith: { first, _ in first }
        )
        let consents: [HTML] = records.all(EntityName.consent).map { consent in
            let scopes = consent.list(FieldName.scopes)
            let state = ConsentState(
                id: consent.id,
                pupil: pupil,
                scopes: Set(scopes),
                status: consent.string(FieldName.status) ?? "pending",
                validFrom: consent.string(FieldName.validFrom).flatMap(CivilDate.init),
                validUntil: consent.string(FieldName.validUntil).flatMap(CivilDate.init)
            )
            let status = state.effectiveStatus(on: today)
            let crossing: [HTML] = scopes.map { scope in
                "<li><strong>\(Labels.scope(scope))</strong>: \(crossingFields(scope))</li>"
            }
            let given = consent.list(FieldName.givenBy).map { names[$0] ?? $0 }.joined(separator: ", ")
            let refused = consent.list(FieldName.refusedBy).map { names[$0] ?? $0 }.joined(separator: ", ")
            var forms: HTML = ""
            if isSchool, status == "pending" || status == "active" || status == "refused" {
                forms = answerForm(consent.id, guardians: guardians, pupil: pupil, session: session)
            }
            if isSchool, status != "withdrawn" {
                forms =
                    forms
                        + """
                        <form method="post" action="\(WebPages.root)/consents/\(consent.id.rawValue)/withdraw">
                          <input type="hidden" name="csrf" value="\(session.csrf)">
                          <input type="hidden" name="pupil" value="\(pupil.rawValue)">
                          <button type="submit" class="secondary">Återkalla samtycket</button>
                        </form>
                        """
            }
            return """
                <section class="consent" aria-label="Samtycke">
                <p><span class="status-\(status)">\(Labels.statuses[status] ?? status)</span> \
                · gäller \(consent.string(FieldName.validFrom) ?? "?") – \(consent.string(FieldName.validUntil) ?? "?") \
                · \(consent.string(FieldName.method) == "oral" ? "muntligt" : "skriftligt")\
                \(consent.string(FieldName.purpose).map { " · syfte: \($0)" } ?? "")</p>
                <p>Ja: \(given.isEmpty ? "–" : given). Nej: \(refused.isEmpty ? "–" : refused).\
                \(consent.string(FieldName.pupilView).map { " Elevens syn: \($0)" } ?? "")</p>
                <p>Låter detta gå till socialtjänsten:</p>
                <ul>\(crossing)</ul>
                \(forms)
                </section>
                """
        }
        let list: HTML = consents.isEmpty ? "<p>Inga samtycken.</p>" : "\(consents)"
        return """
            <h2>Samtycken</h2>
            \(list)
            \(isSchool ? recordConsentForm(pupil: pupil, guardians: guardians, names: names, session: session) : "")
            """
    }

    /// The fields a consent in `scope` lets cross to social services, by entity, from the node's policy.
    func crossingFields(_ scope: String) -> String {
        var byEntity: [String: [String]] = [:]
        for (entity, fields) in store.policy.rules {
            for (field, rule) in fields where rule.toSocial.contains(.consent(scope: scope)) {
                byEntity[entity, default: []].append(field)
            }
        }
        guard !byEntity.isEmpty else { return "inga uppgifter enligt policyn" }
        return byEntity.keys.sorted().map { entity in
            "\(Labels.entity(entity)) (\(byEntity[entity]!.sorted().joined(separator: ", ")))"
        }.joined(separator: "; ")
    }

    func answerForm(_ consent: RecordID, guardians: [FileRecord], pupil: RecordID, session: WebSession) -> HTML {
        guard !guardians.isEmpty else { return "" }
        let options: [HTML] = guardians.map { guardian in
            let name = [guardian.string(FieldName.givenName), guardian.string(FieldName.familyName)].compactMap { $0 }
                .joined(separator: " ")
            return "<option value=\"\(guardian.id.rawValue)\">\(name)</option>"
        }
        let id = consent.rawValue
        return """
            <form method="post" action="\(WebPages.root)/consents/\(id)/answers">
              <input type="hidden" name="csrf" value="\(session.csrf)">
              <input type="hidden" name="pupil" value="\(pupil.rawValue)">
              <fieldset><legend>Registrera en vårdnadshavares svar</legend>
              <label for="answer-guardian-\(id)">Vårdnadshavare</label>
              <select id="answer-guardian-\(id)" name="guardian">\(options)</select>
              <p><input type="radio" id="answer-yes-\(id)" name="consents" value="yes" required>
              <label class="inline" for="answer-yes-\(id)">samtycker</label>
              <input type="radio" id="answer-no-\(id)" name="consents" value="no">
              <label class="inline" for="answer-no-\(id)">samtycker inte</label></p>
              <button type="submit">Registrera svaret</button>
              </fieldset>
            </form>
            """
    }

    func recordConsentForm(
        pupil: RecordID,
        guardians: [FileRecord],
        names: [String: String],
        session: WebSession
    ) -> HTML {
        let scopeBoxes: [HTML] = store.policy.scopes.map { scope in
            """
            <input type="checkbox" id="scope-\(scope)" name="scope" value="\(scope)">
            <label class="inline" for="scope-\(scope)">\(Labels.scope(scope))</label>
            """
        }
        let guardianChoices: [HTML] = guardians.map { guardian in
            let id = guardian.id.rawValue
            let custody = guardian.bool(FieldName.hasCustody) == true ? "" : " (utan vårdnad)"
            return """
                <label for="guardian-\(id)">\(names[id] ?? id)\(custody)</label>
                <select id="guardian-\(id)" name="guardian-\(id)">
                  <option value="">inte tillfrågad</option><option value="yes">samtycker</option>
                  <option value="no">samtycker inte</option>
                </select>
                """
        }
        return """
            <form method="post" action="\(WebPages.root)/pupils/\(pupil.rawValue)/consents">
              <input type="hidden" name="csrf" value="\(session.csrf)">
              <details><summary>Registrera ett nytt samtycke</summary>
              <fieldset><legend>Vad samtycket gäller</legend>\(scopeBoxes)</fieldset>
              <fieldset><legend>Vårdnadshavarnas svar</legend>\(guardianChoices)</fieldset>
              <fieldset><legend>Hur samtycket gavs</legend>
              <input type="radio" id="method-written" name="\(FieldName.method)" value="written" checked>
              <label class="inline" for="method-written">skriftligt</label>
              <input type="radio" id="method-oral" name="\(FieldName.method)" value="oral">
              <label class="inline" for="method-oral">muntligt</label></fieldset>
              <label for="pupil-view">Elevens syn (krävs från 12 år)</label>
              <textarea id="pupil-view" name="\(FieldName.pupilView)"></textarea>
              <p><input type="checkbox" id="pupil-consent" name="\(FieldName.pupilConsent)" value="yes">
              <label class="inline" for="pupil-consent">Eleven samtycker själv (från 15 år)</label></p>
              <label for="\(FieldName.purpose)">Syfte</label>
              <input type="text" id="\(FieldName.purpose)" name="\(FieldName.purpose)" size="50">
              <label for="valid-until">Gäller till och med (tomt: tolv månader)</label>
              <input type="date" id="valid-until" name="\(FieldName.validUntil)">
              <p><button type="submit">Registrera samtycket</button></p>
              </details>
            </form>
            """
    }

    func addConsentForms(to pages: RouterGroup<SyncRequestContext>) {
        pages.post("pupils/:id/consents") { request, context in
            try await posted(request) { session, form in
                guard let pupil = RecordID(context.parameters.get("id") ?? "") else { return notAPupil(session) }
                var givenBy: [RecordID] = []
                var refusedBy: [RecordID] = []
                for (name, values) in form.values where name.hasPrefix("guardian-") {
                    guard let guardian = RecordID(String(name.dropFirst("guardian-".count))) else { continue }
                    switch values.first {
                    case "yes": givenBy.append(guardian)
                    case "no": refusedBy.append(guardian)
                    default: break
                    }
                }
                let scopes = form.all("scope")
                guard !scopes.isEmpty else {
                    return badForm("Välj minst ett område som samtycket gäller.", pupil: pupil, session: session)
                }
                guard let method = form[FieldName.method], ["written", "oral"].contains(method) else {
                    return badForm("Välj om samtycket gavs skriftligt eller muntligt.", pupil: pupil, session: session)
                }
                var validUntil: CivilDate?
                if let text = form[FieldName.validUntil] {
                    guard let date = CivilDate(text) else {
                        return badForm(
                            "”\(text)” är inget datum; skriv ÅÅÅÅ-MM-DD eller lämna fältet tomt.",
                            pupil: pupil,
                            session: session
                        )
                    }
                    validUntil = date
                }
                let request = ConsentRequest(
                    pupil: pupil,
                    scopes: scopes,
                    purpose: form[FieldName.purpose],
                    answers: ConsentAnswers(
                        givenBy: givenBy.sorted(),
                        refusedBy: refusedBy.sorted(),
                        pupilView: form[FieldName.pupilView],
                        pupilConsent: form[FieldName.pupilConsent] == "yes" ? true : nil
                    ),
                    method: method,
                    validUntil: validUntil
                )
                let token = session.token
                _ = try await offload { try store.grantConsent(request, presenting: token) }
                return Self.redirect("\(WebPages.root)/pupils/\(pupil.rawValue)?done=consent")
            }
        }
        pages.post("consents/:id/answers") { request, context in
            try await posted(request) { session, form in
                guard let consent = RecordID(context.parameters.get("id") ?? ""),
                    let pupil = form["pupil"].flatMap(RecordID.init)
                else { return notAPupil(session) }
                guard let guardian = form["guardian"].flatMap(RecordID.init),
                    let answer = form["consents"], ["yes", "no"].contains(answer)
                else {
                    return badForm("Välj vårdnadshavare och svar.", pupil: pupil, session: session)
                }
                let token = session.token
                _ = try await offload {
                    try store.answerConsent(
                        id: consent,
                        guardian: guardian,
                        consents: answer == "yes",
                        presenting: token
                    )
                }
                return Self.redirect("\(WebPages.root)/pupils/\(pupil.rawValue)?done=answer")
            }
        }
        pages.post("consents/:id/withdraw") { request, context in
            try await posted(request) { session, form in
                guard let consent = RecordID(context.parameters.get("id") ?? ""),
                    let pupil = form["pupil"].flatMap(RecordID.init)
                else { return notAPupil(session) }
                let token = session.token
                _ = try await offload { try store.withdrawConsent(id: consent, presenting: token) }
                return Self.redirect("\(WebPages.root)/pupils/\(pupil.rawValue)?done=withdrawn")
            }
        }
    }

    /// A form that could not be sent as it was: what to fix, and a way back; nothing was changed.
    func badForm(_ message: String, pupil: RecordID?, session: WebSession) -> Response {
        let back: HTML =
            pupil.map { "<p><a href=\"\(WebPages.root)/pupils/\($0.rawValue)\">Tillbaka till elevakten</a></p>" } ?? ""
        let body: HTML = """
            <h1>Formuläret behöver rättas</h1>
            <div class="alert" role="alert"><p>\(message)</p><p>Ingenting ändrades.</p></div>
            \(back)
            """
        return Self.page(
            title: "Rätta formuläret",
            session: session,
            banner: "",
            body: body,
            status: .unprocessableContent
        )
    }
}
