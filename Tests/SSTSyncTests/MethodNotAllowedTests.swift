import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import SSTSync

/// A path the router serves, in a method it does not serve there, is a 405 `methodNotAllowed` problem with an
/// `Allow` header; a path it does not serve stays a 404 (issue 24).
@Suite struct MethodNotAllowedTests {
    private static func router() -> Router<SyncRequestContext> {
        let router = Router(context: SyncRequestContext.self)
        router.add(middleware: ProblemMiddleware(metrics: HubMetrics()))
        router.get("records/:entity/:id") { _, _ in "read" }
        router.patch("records/:entity/:id") { _, _ in "written" }
        router.get("records/pupil/search") { _, _ in "found" }
        router.post("consents/:id/withdraw") { _, _ in "withdrawn" }
        router.get("health") { _, _ -> String in throw HTTPError(.notFound) }  // a handler's own 404
        MethodNotAllowedMiddleware.addAfterEveryRoute(to: router)
        return router
    }

    @Test func aMethodThePathDoesNotTakeIs405WithAllow() async throws {
        try await Application(router: Self.router()).test(.router) { client in
            for (method, path, allow) in [
                (HTTPRequest.Method.delete, "/records/case/x", "GET, PATCH"),
                (.trace, "/records/pupil/search", "GET"),  // the literal route, as the router would take it
                (.get, "/consents/x/withdraw", "POST"),
                (.options, "/health", "GET"),
            ] {
                try await client.execute(uri: path, method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                    #expect(response.headers[.allow] == allow, "\(method) \(path)")
                    #expect(response.headers[.contentType] == SyncProtocol.problemMediaType)
                    let problem = try JSONDecoder().decode(Problem.self, from: Data(response.body.readableBytesView))
                    #expect(problem.code == "methodNotAllowed" && problem.statusCode == 405)
                    #expect(problem.detail.contains(allow), "\(problem)")
                }
            }
        }
    }

    @Test func anUnknownPathStays404AndServedMethodsAreServed() async throws {
        try await Application(router: Self.router()).test(.router) { client in
            for (method, path) in [
                (HTTPRequest.Method.get, "/records/pupil"), (.get, "/nothing"), (.get, "/records/a/b/c"),
                (.get, "/health"),  // the handler's own 404 is not turned into a 405
            ] {
                try await client.execute(uri: path, method: method) { response in
                    #expect(response.status == .notFound, "\(method) \(path)")
                    #expect(response.headers[.allow] == nil)
                }
            }
            try await client.execute(uri: "/records/case/x", method: .patch) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "written")
            }
        }
    }
}
