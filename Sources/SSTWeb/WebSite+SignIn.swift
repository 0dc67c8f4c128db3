import Foundation
import HTTPTypes
import Hummingbird
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync

/// Sign-in with the staff token and sign-out, each in the audit trail (`staff_session`), and the sign-in page's
/// word on why a session ended.
extension WebSite {
    /// Why the sign-in page is shown: the query the page redirects with.
    enum SignInReason: String {
        /// The browser sent a session cookie the node does not know: the session expired (idle or absolute
        /// limit), ended elsewhere, or the node restarted (sessions live in memory only).
        case expired
        /// The member signed out.
        case signedOut = "signed-out"
        /// The member's token was found revoked while signed in.
        case revoked
    }

    func addSignIn(to pages: RouterGroup<SyncRequestContext>) {
        pages.get("sign-in") { request, _ in
            let cookie = request.cookies[WebSessions.cookieName]?.value
            if sessions.session(cookie: cookie) != nil {
                return Self.redirect("\(WebPages.root)/pupils")
            }
            let asked = FormData(request.uri.query ?? "")["reason"].flatMap(SignInReason.init(rawValue:))
            // A stale cookie sent to the sign-in page itself says the same as the redirect would.
            let reason = asked ?? (cookie.map { $0.isEmpty ? nil : SignInReason.expired } ?? nil)
            var response = signInPage(reason: reason, message: nil, status: .ok)
            if cookie != nil {
                response.headers.append(
                    HTTPField(name: .setCookie, value: WebSessions.clearCookie(WebSessions.cookieName))
                )
            }
            return response
        }
        pages.post("sign-in") { request, _ in
            let form = try await Self.form(request)
            let expected = request.cookies[WebSessions.signInCookieName]?.value ?? ""
            guard let csrf = form["csrf"], WebSessions.equalSecrets(csrf, expected) else {
                return signInPage(reason: nil, message: WebMessages.signInWithoutCSRF, status: .forbidden)
            }
            guard let text = form["token"], let token = StaffToken(text) else {
                return signInPage(reason: nil, message: WebMessages.notAToken, status: .unprocessableContent)
            }
            // Audited either way: the sign-in, or its refusal (naming the member of a revoked token).
            let member = try await offload { try store.signIn(presenting: token) }
            guard let member else {
                return signInPage(reason: nil, message: WebMessages.tokenRefused, status: .unauthorized)
            }
            let session = sessions.start(token: token, memberName: member.name, role: member.role)
            var response = Self.redirect("\(WebPages.root)/pupils")
            response.headers.append(
                HTTPField(
                    name: .setCookie,
                    value: WebSessions.setCookie(
                        WebSessions.cookieName,
                        session.id,
                        maxAge: Int(WebSessions.absoluteLimit)
                    )
                )
            )
            response.headers.append(
                HTTPField(name: .setCookie, value: WebSessions.clearCookie(WebSessions.signInCookieName))
            )
            return response
        }
        pages.post("sign-out") { request, _ in
            let form = try await Self.form(request)
            if let session = sessions.session(cookie: request.cookies[WebSessions.cookieName]?.value) {
                guard let csrf = form["csrf"], WebSessions.equalSecrets(csrf, session.csrf) else {
                    return Self.csrfRefused(session)
                }
                sessions.end(session.id)
                let token = session.token
                try await offload { try store.signOut(presenting: token) }
            }
            return Self.toSignIn(.signedOut)
        }
    }

    /// A redirect to the sign-in page saying why, removing the session cookie.
    static func toSignIn(_ reason: SignInReason) -> Response {
        var response = Self.redirect("\(WebPages.root)/sign-in?reason=\(reason.rawValue)")
        response.headers.append(HTTPField(name: .setCookie, value: WebSessions.clearCookie(WebSessions.cookieName)))
        return response
    }

    func signInPage(reason: SignInReason?, message: String?, status: HTTPResponse.Status) -> Response {
        let csrf = WebSessions.randomText()
        let alert: HTML = message.map { "<p class=\"alert\" role=\"alert\">\($0)</p>" } ?? ""
        let why: HTML =
            switch reason {
            case .expired?: "<p class=\"notice\" role=\"status\">\(WebMessages.sessionEnded)</p>"
            case .signedOut?: "<p class=\"notice\" role=\"status\">\(WebMessages.signedOut)</p>"
            case .revoked?: "<p class=\"alert\" role=\"alert\">\(WebMessages.sessionRevoked)</p>"
            case nil: ""
            }
        let body: HTML = """
            <h1>Logga in</h1>
            \(why)
            \(alert)
            <p>Logga in med den personalnyckel som nodens administratör gav dig.</p>
            <form method="post" action="\(WebPages.root)/sign-in">
              <input type="hidden" name="csrf" value="\(csrf)">
              <label for="token">Personalnyckel</label>
              <input type="password" id="token" name="token" autocomplete="off" required size="50"
                aria-describedby="token-help">
              <p id="token-help" class="muted">Börjar med sst_. Nyckeln visas inte medan du skriver.</p>
              <button type="submit">Logga in</button>
            </form>
            """
        var response = Self.page(title: "Logga in", session: nil, banner: "", body: body, status: status)
        response.headers.append(
            HTTPField(name: .setCookie, value: WebSessions.setCookie(WebSessions.signInCookieName, csrf, maxAge: 3600))
        )
        return response
    }
}
