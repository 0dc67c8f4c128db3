import Foundation
import Hummingbird
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore

/// The staff API's consent routes (`Protocol/staff-api.md`): a pupil's consents with today's status (a logged
/// read), and recording, answering and withdrawing a consent at a school node, by the consent rules, each logged
/// as the staff member's write.
enum StaffConsentRoutes {
    static func add(to api: RouterGroup<SyncRequestContext>, store: Store) {
        api.get("pupils/:id/consents") { _, context in
            let (token, pupil) = (try StaffRoutes.token(context), try StaffRoutes.recordID(context, "id"))
            let summaries = try await Blocking.run { try store.readConsents(pupil: pupil, presenting: token) }
            return try SyncRoutes.json(summaries.map(StaffAPI.Consent.init))
        }
        let consents = api.group("consents")
        consents.post { request, context in
            let token = try StaffRoutes.token(context)
            let grant = try StaffRoutes.decode(StaffAPI.ConsentGrant.self, try await StaffRoutes.body(request))
            let consentRequest = try consentRequest(grant)
            let summary = try await Blocking.run { try store.grantConsent(consentRequest, presenting: token) }
            return try SyncRoutes.json(StaffAPI.Consent(summary), status: .created)
        }
        consents.post(":id/answers") { request, context in
            let token = try StaffRoutes.token(context)
            let id = try StaffRoutes.recordID(context, "id")
            let answer = try StaffRoutes.decode(StaffAPI.ConsentAnswer.self, try await StaffRoutes.body(request))
            let guardian = try recordID(answer.guardian, "guardian")
            let summary = try await Blocking.run {
                try store.answerConsent(id: id, guardian: guardian, consents: answer.consents, presenting: token)
            }
            return try SyncRoutes.json(StaffAPI.Consent(summary))
        }
        consents.post(":id/withdraw") { _, context in
            let token = try StaffRoutes.token(context)
            let id = try StaffRoutes.recordID(context, "id")
            let summary = try await Blocking.run { try store.withdrawConsent(id: id, presenting: token) }
            return try SyncRoutes.json(StaffAPI.Consent(summary))
        }
    }

    /// The store's request for a grant body, or a 400 problem naming the member that is wrong.
    static func consentRequest(_ grant: StaffAPI.ConsentGrant) throws(Problem) -> ConsentRequest {
        guard ["written", "oral"].contains(grant.method) else {
            throw Problem.malformed("method must be \"written\" or \"oral\", not \"\(grant.method)\"")
        }
        return ConsentRequest(
            pupil: try recordID(grant.pupil, "pupil"),
            scopes: grant.scopes,
            purpose: grant.purpose,
            answers: ConsentAnswers(
                givenBy: try grant.givenBy.map { id throws(Problem) in try recordID(id, "givenBy") },
                refusedBy: try (grant.refusedBy ?? []).map { id throws(Problem) in try recordID(id, "refusedBy") },
                pupilView: grant.pupilView,
                pupilConsent: grant.pupilConsent
            ),
            method: grant.method,
            validFrom: try date(grant.validFrom, "validFrom"),
            validUntil: try date(grant.validUntil, "validUntil"),
            documentRef: grant.documentRef
        )
    }

    private static func recordID(_ text: String, _ member: String) throws(Problem) -> RecordID {
        guard let id = RecordID(text) else {
            throw Problem.malformed("\(member): \"\(text)\" is not a record id (a lower-case UUID)")
        }
        return id
    }

    private static func date(_ text: String?, _ member: String) throws(Problem) -> CivilDate? {
        guard let text else { return nil }
        guard let date = CivilDate(text) else {
            throw Problem.malformed("\(member): \"\(text)\" is not a date YYYY-MM-DD")
        }
        return date
    }
}
