import Foundation
import Hummingbird
import SSTPrivacy
import SSTServices
import SSTStore

/// Lets a staff API request through only with `Authorization: Bearer <token>` naming a staff member whose
/// token is valid on this node (`sst staff add`); anything else is a 401 problem (a revoked token's also in
/// the audit trail). The store checks the token
/// again in the transaction that reads or writes, so a token revoked meanwhile is refused there.
struct StaffTokenMiddleware: RouterMiddleware {
    typealias Context = SyncRequestContext
    let store: Store

    func handle(
        _ request: Request,
        context: SyncRequestContext,
        next: (Request, SyncRequestContext) async throws -> Response
    ) async throws -> Response {
        let token = try Self.bearerToken(request.headers[.authorization])
        let store = self.store
        guard try await Blocking.run({ try store.staffMember(presenting: token) }) != nil else {
            let problem = Problem.staffToken("the staff token is not valid on this node (unknown or revoked)")
            // A revoked token names its holder: audited. A token never given names no one: logged only.
            await RefusalAuditMiddleware.audit(
                problem,
                of: request,
                by: .staff(token),
                store: store,
                logger: context.logger
            )
            throw problem
        }
        var context = context
        context.staffToken = token
        return try await next(request, context)
    }

    /// The token of an `Authorization: Bearer …` header, or a 401 problem saying what is wrong with it.
    static func bearerToken(_ header: String?) throws(Problem) -> StaffToken {
        guard let header else {
            throw Problem.staffToken("the staff API needs an Authorization header with the staff member's token")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Problem.staffToken("the Authorization header must be \"Bearer <token>\"")
        }
        guard let token = StaffToken(String(parts[1]).trimmingCharacters(in: .whitespaces)) else {
            throw Problem.staffToken("the bearer token is not a staff token (sst_ and 43 characters)")
        }
        return token
    }
}

extension Problem {
    /// A 401 for a staff API request without a valid token.
    static func staffToken(_ detail: String) -> Problem {
        Problem(
            status: 401,
            code: Codes.staffTokenRequired,
            title: "Not authorized",
            detail: detail,
            remedy: "Send \"Authorization: Bearer <token>\" with the token the node's administrator gave you "
                + "(`sst staff add`); a revoked token stays refused: ask for a new one."
        )
    }
}
