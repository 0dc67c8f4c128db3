import Hummingbird
import Logging
import NIOCore
import SSTPrivacy
import SSTStore

/// Turns every error into an `application/problem+json` response and counts each answer in the metrics,
/// so that a bad request never gets a bare status or takes the server down.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: HubMetrics

    public init(metrics: HubMetrics) {
        self.metrics = metrics
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = Self.problem(for: error, logger: context.logger).httpResponse()
        }
        metrics.request(
            endpoint: Self.endpoint(request.uri.path),
            status: response.status.code,
            duration: ContinuousClock.now - start
        )
        return response
    }

    /// The problem an error answers with.
    static func problem(for error: any Error, logger: Logger) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as StoreError:
            let problem = Problem(error)
            if problem.statusCode >= 500 { logger.error("request failed", metadata: ["error": "\(error)"]) }
            return problem
        case let error as ConsentError:  // The consent rules refused the request (e.g. a validity that ends first).
            return Problem(StoreError(.invalidValue, error.message, remedy: error.remedy))
        case is NIOTooManyBytesError:
            return .bodyTooLarge(limit: nil)
        case let error as HTTPError:
            if error.status == .notFound {
                return Problem(
                    status: 404,
                    code: Problem.Codes.notFound,
                    title: "Not found",
                    detail: "there is no such endpoint",
                    remedy: "See Protocol/openapi.yaml for the endpoints."
                )
            }
            return Problem(
                status: error.status.code,
                code: error.status.code < 500 ? Problem.Codes.malformedRequest : Problem.Codes.internalError,
                title: error.status.reasonPhrase,
                detail: error.body ?? error.status.reasonPhrase,
                remedy: "See Protocol/openapi.yaml for what the endpoint takes."
            )
        case let error as any HTTPResponseError:
            return Problem(
                status: error.status.code,
                code: error.status.code < 500 ? Problem.Codes.malformedRequest : Problem.Codes.internalError,
                title: error.status.reasonPhrase,
                detail: "\(error)",
                remedy: "See Protocol/openapi.yaml for what the endpoint takes."
            )
        default:
            logger.error("request failed", metadata: ["error": "\(error)"])
            return Problem(
                status: 500,
                code: Problem.Codes.internalError,
                title: "The server failed",
                detail: "the server could not complete the request; nothing was applied",
                remedy: "Retry later; if it persists, the server's log says why."
            )
        }
    }

    /// The metrics label of a path: the known endpoints by name, everything else as `other`.
    static func endpoint(_ path: String) -> String {
        switch path {
        case SyncProtocol.handshakePath, SyncProtocol.pushPath, SyncProtocol.pullPath, SyncProtocol.healthPath,
            SyncProtocol.metricsPath:
            return path
        case _ where path.hasPrefix(StaffAPI.recordsPath + "/"):
            return StaffAPI.recordsPath
        case _ where path == StaffAPI.pupilsPath || path.hasPrefix(StaffAPI.pupilsPath + "/"):
            return StaffAPI.pupilsPath
        case _ where path == StaffAPI.consentsPath || path.hasPrefix(StaffAPI.consentsPath + "/"):
            return StaffAPI.consentsPath
        case _ where path == StaffAPI.conflictsPath || path.hasPrefix(StaffAPI.conflictsPath + "/"):
            return StaffAPI.conflictsPath
        default:
            return "other"
        }
    }
}

extension Problem {
    /// A 413 for a request body over the limit; `decompressed`: a gzip body that decompresses to more.
    static func bodyTooLarge(limit: Int?, decompressed: Bool = false) -> Problem {
        Problem(
            status: 413,
            code: Codes.bodyTooLarge,
            title: "Request body too large",
            detail: (decompressed
                ? "the gzip request body decompresses to more than the hub accepts"
                : "the request body is larger than the hub accepts")
                + (limit.map { " (\($0) bytes)" } ?? "") + ". Nothing was applied",
            remedy: "Push smaller batches (`--batch-size`); the handshake announces the limit (maxBodyBytes)."
        )
    }
}
