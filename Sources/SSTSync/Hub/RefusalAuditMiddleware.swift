import Hummingbird
import Logging
import SSTStore

/// Puts every request refused after its sender was identified into the audit trail (`refused`): who by
/// certificate or staff token, the method and path, the problem's code and detail; so that an attack by a
/// holder of a valid certificate or token is visible in `sst audit list --kind refused`.
///
/// Sits behind ``ClientCertificateMiddleware`` or ``StaffTokenMiddleware``, which audit their own refusals of
/// a revoked certificate or token. A change set the store refused is audited by the store already
/// (``Problem/audited``); a 404 is not a refusal (the staff API logs a read of a missing record as a read).
struct RefusalAuditMiddleware: RouterMiddleware {
    typealias Context = SyncRequestContext
    let store: Store

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = ProblemMiddleware<Context>.problem(for: error, logger: context.logger)
            guard (400..<500).contains(problem.statusCode), problem.statusCode != 404, !problem.audited,
                let requester = context.peer.map({ Requester.node($0.node) }) ?? context.staffToken.map(Requester.staff)
            else { throw error }
            await Self.audit(problem, of: request, by: requester, store: store, logger: context.logger)
            throw problem
        }
    }

    /// Appends the refusal's entry; a failure to write it is logged, and the refusal answered all the same.
    static func audit(
        _ problem: Problem,
        of request: Request,
        by requester: Requester,
        store: Store,
        logger: Logger
    )
        async
    {
        let what = "\(request.method) \(request.uri.path)"
        do {
            _ = try await Blocking.run {
                try store.auditRefusedRequest(by: requester, request: what, code: problem.code, detail: problem.detail)
            }
        } catch {
            logger.error("cannot audit a refused request", metadata: ["request": "\(what)", "error": "\(error)"])
        }
    }
}
