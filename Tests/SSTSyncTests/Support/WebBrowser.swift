import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SSTPrivacy
import SSTSync

/// Requests to the page as a browser makes them: cookies from `Set-Cookie` sent back, forms URL-encoded with the
/// CSRF token of the page.
final class WebBrowser: @unchecked Sendable {
    let client: HTTPClient
    let port: Int
    var cookies: [String: String] = [:]
    var csrf: String?

    init(client: HTTPClient, port: Int) {
        self.client = client
        self.port = port
    }

    struct Answer {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let text: String
    }

    enum CSRF {
        case signIn, session
        case value(String)
    }

    func get(_ path: String) async throws -> Answer {
        try await send(.GET, path, body: nil)
    }

    func post(_ path: String, _ form: [String: String], csrf: CSRF?) async throws -> Answer {
        var fields = form
        switch csrf {
        case .signIn: fields["csrf"] = cookies["__Host-sst-sign-in"]
        case .session: fields["csrf"] = self.csrf
        case .value(let value): fields["csrf"] = value
        case nil: break
        }
        let body = fields.sorted { $0.key < $1.key }.map { "\(encode($0.key))=\(encode($0.value))" }
            .joined(separator: "&")
        return try await send(.POST, path, body: body)
    }

    /// Signs in with `token` through the sign-in form, and keeps the session's CSRF token from the next page.
    func signIn(_ token: StaffToken) async throws -> Answer {
        _ = try await get("/staff/sign-in")
        let answer = try await post("/staff/sign-in", ["token": token.text], csrf: .signIn)
        let page = try await get("/staff/pupils")
        if let range = page.text.range(of: "name=\"csrf\" value=\"") {
            csrf = String(page.text[range.upperBound...].prefix { $0 != "\"" })
        }
        return answer
    }

    func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    fileprivate func send(
        _ method: HTTPMethod,
        _ path: String,
        body: String?
    ) async throws -> Answer {
        try await send(method, path, body: body.map { Data($0.utf8) }, contentType: "application/x-www-form-urlencoded")
    }

    fileprivate func send(_ method: HTTPMethod, _ path: String, body: Data?, contentType: String) async throws -> Answer
    {
        var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)\(path)")
        request.method = method
        if !cookies.isEmpty {
            request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        for header in response.headers["Set-Cookie"] {
            let pair = header.split(separator: ";")[0].split(
                separator: "=",
                maxSplits: 1,
                omittingEmptySubsequences: false
            )
            let name = String(pair[0])
            let value = pair.count > 1 ? String(pair[1]) : ""
            cookies[name] = header.contains("Max-Age=0") || value.isEmpty ? nil : value
        }
        let bytes = try await response.body.collect(upTo: 4 << 20)
        return Answer(status: response.status, headers: response.headers, text: String(buffer: bytes))
    }
}

/// Runs `body` with a browser against the page on a new listener of `node` (a school node's `NodeServer`); each
/// call is a fresh listener with sessions of its own, as after a restart of the node.
func withWebPage(
    _ node: TestNode,
    dataDirectory: String? = nil,
    _ body: @Sendable (WebBrowser) async throws -> Void
) async throws {
    let tls = try withoutClientCertificate(trusting: node.tls.ca)
    try await NodeServer.withListening(
        store: node.store,
        tls: node.tls,
        listen: ListenAddress(host: "127.0.0.1", port: 0),
        dataDirectory: dataDirectory,
        logger: quietLogger
    ) { port in
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, timeout: .init(connect: .seconds(2)))
        configuration.httpVersion = .http1Only
        configuration.redirectConfiguration = .disallow
        try await HTTPClient.withHTTPClient(configuration: configuration) { client in
            try await body(WebBrowser(client: client, port: port))
        }
    }
}

extension WebBrowser {
    /// Posts a `multipart/form-data` body (the absence upload form): the session's CSRF token unless `csrf` is
    /// false, and `file` as the part `file`.
    func upload(_ path: String, file: Data, csrf withCSRF: Bool = true) async throws -> Answer {
        let boundary = "sst-test-\(UUID().uuidString)"
        var body = Data()
        if withCSRF, let csrf {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n\(csrf)\r\n".utf8))
        }
        body.append(
            Data(
                ("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"fil.csv\"\r\n"
                    + "Content-Type: text/csv\r\n\r\n").utf8
            )
        )
        body.append(file)
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        return try await send(.POST, path, body: body, contentType: "multipart/form-data; boundary=\(boundary)")
    }
}
