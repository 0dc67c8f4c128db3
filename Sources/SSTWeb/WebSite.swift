import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync

/// The staff web page: server-rendered HTML under `/staff` on a school node's or the hub's HTTPS listener, beside
/// the staff API. Sign-in with the staff token gives a session cookie; every read and write goes through the same
/// store functions as the API, with the member's token, and so into the audit trail in the same way.
public enum WebPages {
    /// Makes every node and hub listener made from now on in this process serve the page
    /// (``StaffPages/register(_:)``). `sst node serve` and `sst hub serve` call it before they start.
    public static func register() {
        StaffPages.register { router, store, dataDirectory in
            WebSite(store: store, dataDirectory: dataDirectory).add(to: router)
        }
    }

    /// The path under which the page is served.
    public static let root = "/staff"
}

/// The page's routes for one listener, with that listener's sessions.
struct WebSite: Sendable {
    let store: Store
    /// The school node's data directory (for the sync banner); nil at the hub.
    let dataDirectory: String?
    let sessions = WebSessions()

    /// The largest form body the page takes (an absence file included): 4 MiB.
    static let maxFormBytes = 4 << 20

    func add(to router: Router<SyncRequestContext>) {
        router.get("/") { _, _ in Self.redirect(WebPages.root) }
        let pages = router.group(RouterPath(String(WebPages.root.dropFirst()))).add(middleware: WebHeadersMiddleware())
        pages.get("style.css") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/css; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: StyleSheet.css)))
        }
        pages.get { request, _ in
            guard sessions.session(cookie: request.cookies[WebSessions.cookieName]?.value) != nil else {
                return Self.redirect("\(WebPages.root)/sign-in")
            }
            return Self.redirect("\(WebPages.root)/pupils")
        }
        addSignIn(to: pages)
        addPupilPages(to: pages)
        addConsentForms(to: pages)
        addCasePages(to: pages)
        addHubPages(to: pages)
        addImportPages(to: pages)
    }

    // MARK: Sessions around every page and form

    /// Runs `body` for a signed-in member; without a live session the answer is the sign-in page (nothing is
    /// read). A store error becomes a page that says what was wrong (nothing was changed); a token revoked since
    /// sign-in ends the session.
    func signedIn(
        _ request: Request,
        _ body: @escaping @Sendable (WebSession) async throws -> Response
    ) async throws -> Response {
        let cookie = request.cookies[WebSessions.cookieName]?.value
        guard let session = sessions.session(cookie: cookie) else {
            // A cookie the node does not know: the session expired or the node restarted; the page says so.
            return cookie?.isEmpty == false ? Self.toSignIn(.expired) : Self.redirect("\(WebPages.root)/sign-in")
        }
        do {
            return try await body(session)
        } catch let error as StoreError {
            return try await refusal(error, session: session)
        }
    }

    /// As ``signedIn(_:_:)`` for a form post: the form must carry the session's CSRF token, else nothing is done.
    func posted(
        _ request: Request,
        _ body: @escaping @Sendable (WebSession, FormData) async throws -> Response
    ) async throws -> Response {
        let form = try await Self.form(request)
        return try await signedIn(request) { session in
            guard let csrf = form["csrf"], WebSessions.equalSecrets(csrf, session.csrf) else {
                return Self.csrfRefused(session)
            }
            return try await body(session, form)
        }
    }

    static func csrfRefused(_ session: WebSession) -> Response {
        errorPage(
            title: "Formuläret skickades inte",
            message: "Formuläret saknade sin säkerhetskod (CSRF), så ingenting ändrades. Gå tillbaka, ladda om "
                + "sidan och försök igen.",
            detail: nil,
            session: session,
            status: .forbidden
        )
    }

    func refusal(_ error: StoreError, session: WebSession) async throws -> Response {
        if error.code == .unauthorized {
            sessions.end(session.id)
            let token = session.token
            try await offload {
                try store.signOut(presenting: token, reason: "session ended: the token was found revoked")
            }
            return Self.toSignIn(.revoked)
        }
        let status: HTTPResponse.Status =
            switch error.code {
            case .notFound: .notFound
            case .notPermitted, .notOwner: .forbidden
            case .noConflict: .conflict
            case .storageFull: HTTPResponse.Status(code: 507)
            default: .unprocessableContent
            }
        let (title, message) = WebMessages.storeError(error)
        return Self.errorPage(
            title: title,
            message: (message.map { $0 + " " } ?? "") + "Ingenting ändrades.",
            detail: message == nil ? error.description : nil,
            session: session,
            status: status
        )
    }

    static func errorPage(
        title: String,
        message: String,
        detail: String?,
        session: WebSession?,
        status: HTTPResponse.Status
    ) -> Response {
        let detailHTML: HTML = detail.map { "<p lang=\"en\">\($0)</p>" } ?? ""
        let body: HTML = """
            <h1>\(title)</h1>
            <div class="alert" role="alert"><p>\(message)</p>\(detailHTML)</div>
            <p><a href="\(WebPages.root)/pupils">Till sökningen</a></p>
            """
        return page(title: title, session: session, banner: "", body: body, status: status)
    }

    // MARK: Responses

    /// A whole page: `lang="sv"`, a skip link, the header with the member's name and the sign-out form, the sync
    /// banner and the body.
    static func page(
        title: String,
        session: WebSession?,
        banner: HTML,
        body: HTML,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        let header: HTML =
            if let session {
                """
                <header>
                  <strong>SST</strong>
                  <nav aria-label="Huvudmeny"><a href="\(WebPages.root)/pupils">Sök elev</a>\
                \(session.role == .mentor ? "" : HTML(raw: " · <a href=\"\(WebPages.root)/conflicts\">Konflikter</a> · <a href=\"\(WebPages.root)/reports\">Orosanmälningar</a>"))\
                \(session.role == .social ? HTML(raw: " · <a href=\"\(WebPages.root)/follow-up\">Uppföljning</a>") : "")\
                \(session.role == .sst || session.role == .elevhalsa ? HTML(raw: " · <a href=\"\(WebPages.root)/absence-import\">Läs in frånvaro</a>") : "")</nav>
                  <form method="post" action="\(WebPages.root)/sign-out">
                    <input type="hidden" name="csrf" value="\(session.csrf)">
                    <span>\(session.memberName)</span> <button type="submit" class="secondary">Logga ut</button>
                  </form>
                </header>
                """
            } else {
                "<header><strong>SST</strong></header>"
            }
        let document: HTML = """
            <!DOCTYPE html>
            <html lang="sv">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) – SST</title>
            <link rel="stylesheet" href="\(WebPages.root)/style.css">
            </head>
            <body>
            <a class="skip" href="#main">Hoppa till innehållet</a>
            \(header)
            <main id="main">
            \(banner)
            \(body)
            </main>
            </body>
            </html>
            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: document.text)))
    }

    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }

    /// The request's form body (URL-encoded), at most ``maxFormBytes``.
    static func form(_ request: Request) async throws -> FormData {
        let buffer = try await request.body.collect(upTo: maxFormBytes)
        return FormData(String(buffer: buffer))
    }
}

/// Runs blocking store work on a dispatch queue, keeping Swift's cooperative threads free.
func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    let result: Result<T, any Error> = await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: Result { try work() }) }
    }
    return try result.get()
}

/// The page's security headers on every answer under `/staff`: a Content-Security-Policy that allows no script
/// at all and styles and images from this origin only, no framing, no sniffing, no referrer, no caching.
struct WebHeadersMiddleware: RouterMiddleware {
    typealias Context = SyncRequestContext

    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        + "base-uri 'none'"

    func handle(
        _ request: Request,
        context: SyncRequestContext,
        next: (Request, SyncRequestContext) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        response.headers[HTTPField.Name("Content-Security-Policy")!] = Self.contentSecurityPolicy
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
