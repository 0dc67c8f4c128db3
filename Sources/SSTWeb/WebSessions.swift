import Crypto
import Foundation
import SSTPrivacy
import SSTStore
import Synchronization

/// A signed-in staff member's session: the token the member signed in with (kept in the server's memory only,
/// so every read and write goes through the store with it, audited as through the API), and the session's
/// CSRF token, which every form carries.
struct WebSession: Sendable {
    let id: String
    let token: StaffToken
    let memberName: String
    /// The member's role at sign-in (what the page offers; the store decides what is read and written).
    let role: StaffRole
    let csrf: String
    let createdAt: Date
    var lastUsed: Date
}

/// The server-side sessions of one listener. A session ends at sign-out (removed here, so its cookie is refused
/// from then on), after ``idleLimit`` without a request, after ``absoluteLimit`` in all, and when the token is
/// found revoked; a restart of the node ends every session.
final class WebSessions: Sendable {
    /// The session cookie: `__Host-` so that it is only ever set `Secure`, for `/`, by this host.
    static let cookieName = "__Host-sst-session"
    /// The cookie that carries the sign-in form's CSRF token before there is a session.
    static let signInCookieName = "__Host-sst-sign-in"
    static let idleLimit: TimeInterval = 30 * 60
    static let absoluteLimit: TimeInterval = 8 * 60 * 60

    private let sessions = Mutex<[String: WebSession]>([:])

    /// Starts a session for the holder of `token` and returns it.
    func start(token: StaffToken, memberName: String, role: StaffRole, now: Date = Date()) -> WebSession {
        let session = WebSession(
            id: Self.randomText(),
            token: token,
            memberName: memberName,
            role: role,
            csrf: Self.randomText(),
            createdAt: now,
            lastUsed: now
        )
        sessions.withLock { all in
            all = all.filter { !Self.expired($0.value, now: now) }
            all[Self.key(session.id)] = session
        }
        return session
    }

    /// The live session of a cookie value, touched; nil for an unknown, ended or expired one.
    func session(cookie: String?, now: Date = Date()) -> WebSession? {
        guard let cookie, !cookie.isEmpty else { return nil }
        let key = Self.key(cookie)
        return sessions.withLock { all -> WebSession? in
            guard var session = all[key] else { return nil }
            if Self.expired(session, now: now) {
                all[key] = nil
                return nil
            }
            session.lastUsed = now
            all[key] = session
            return session
        }
    }

    /// Ends a session: its cookie is refused from now on.
    func end(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: Self.key(id)) }
    }

    /// How many sessions are live (for tests).
    var count: Int { sessions.withLock { $0.count } }

    private static func expired(_ session: WebSession, now: Date) -> Bool {
        now.timeIntervalSince(session.lastUsed) > idleLimit || now.timeIntervalSince(session.createdAt) > absoluteLimit
    }

    /// Sessions are kept by the digest of their id, so a dump of memory holds no cookie that could be replayed.
    private static func key(_ id: String) -> String {
        SHA256.hash(data: Data(id.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// 32 random bytes as base64url.
    static func randomText() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Compares two secrets in time independent of where they differ.
    static func equalSecrets(_ lhs: String, _ rhs: String) -> Bool {
        let (a, b) = (Array(lhs.utf8), Array(rhs.utf8))
        guard a.count == b.count, !a.isEmpty else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// The `Set-Cookie` value of a session cookie: `HttpOnly`, `Secure`, `SameSite=Strict`, for the whole host,
    /// expiring with the session's absolute limit.
    static func setCookie(_ name: String, _ value: String, maxAge: Int) -> String {
        "\(name)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; Secure; SameSite=Strict"
    }

    /// The `Set-Cookie` value that removes a cookie.
    static func clearCookie(_ name: String) -> String {
        "\(name)=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"
    }
}

/// A `application/x-www-form-urlencoded` body (or query string): each name with its values in order.
struct FormData: Sendable {
    private(set) var values: [String: [String]] = [:]

    init(_ text: String) {
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            values[name, default: []].append(value)
        }
    }

    /// The first value of `name`, trimmed; nil when absent or empty.
    subscript(_ name: String) -> String? {
        guard let value = values[name]?.first?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty
        else { return nil }
        return value
    }

    /// Every non-empty value of `name`.
    func all(_ name: String) -> [String] {
        (values[name] ?? []).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// The value of `name` as given (not trimmed), for text whose spacing matters.
    func raw(_ name: String) -> String? { values[name]?.first }

    private static func decode(_ part: Substring) -> String {
        let spaced = part.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
