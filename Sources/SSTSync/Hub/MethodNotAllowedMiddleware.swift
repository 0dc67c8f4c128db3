import HTTPTypes
import Hummingbird

/// Answers a request for a path the router serves, in a method it does not serve there, with a 405
/// `methodNotAllowed` problem and an `Allow` header naming the methods it does serve (RFC 9110 §15.5.6),
/// instead of the router's 404.
///
/// Hummingbird's `RouterResponder` sends both "no such path" and "no such method at this path" to the router's
/// not-found responder, which its router-level middleware wraps. Add this middleware with
/// ``addAfterEveryRoute(to:)`` once every route is on the router: middleware added to a Hummingbird router applies
/// to the routes added after it and to the not-found responder, so it then sees only requests that matched no
/// route, and it knows every route (`Router.routes`).
public struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Every route's path, with the methods served there.
    let routes: [(path: RouterPath, methods: [HTTPRequest.Method])]

    /// The middleware for these routes (`Router.routes`).
    public init(routes: [Router<Context>.RouteDescription]) {
        var byPath: [(path: RouterPath, methods: [HTTPRequest.Method])] = []
        for route in routes {
            if let index = byPath.firstIndex(where: { $0.path == route.path }) {
                byPath[index].methods.append(route.method)
            } else {
                byPath.append((route.path, [route.method]))
            }
        }
        self.routes = byPath
    }

    /// Adds the middleware to `router`, which must hold every route already (routes added afterwards are not
    /// in its `Allow` header).
    public static func addAfterEveryRoute(to router: Router<Context>) {
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let allowed = allowedMethods(path: request.uri.path), !allowed.contains(request.method) else {
                throw error
            }
            let allow = allowed.map(\.rawValue).joined(separator: ", ")
            var response = Problem(
                status: 405,
                code: Problem.Codes.methodNotAllowed,
                title: "Method not allowed",
                detail: "\(request.uri.path) takes \(allow), not \(request.method.rawValue)",
                remedy: "Send \(allow) (see Protocol/openapi.yaml)."
            ).httpResponse()
            response.headers[.allow] = allow
            return response
        }
    }

    /// The methods served at `path`, in the order they were added, or nil when no route matches it. Of the routes
    /// whose every component matches, the router takes the one with literal components earliest (a literal is
    /// tried before a capture); so does this.
    func allowedMethods(path: String) -> [HTTPRequest.Method]? {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        let matches = routes.filter { route in
            route.path.components.count == components.count
                && zip(route.path.components, components).allSatisfy { element, component in element ~= component }
        }
        // 1 for each component a route names literally, 0 for a capture or wildcard: the greater, the more specific.
        func literals(_ path: RouterPath) -> [Int] {
            zip(path.components, components).map { element, component in element == component ? 1 : 0 }
        }
        return matches.max { lhs, rhs in literals(lhs.path).lexicographicallyPrecedes(literals(rhs.path)) }?.methods
    }
}

extension Problem.Codes {
    /// A method the path does not take; the `Allow` header names those it takes.
    public static let methodNotAllowed = "methodNotAllowed"
}
