import Foundation
import Hummingbird
import NIOSSL
import SSTCore
import SSTStore

/// The sealed mailbox's routes under `/v2/mailbox` (`Protocol/mailbox.md`), behind the client certificate like
/// every `/v2` route: a school node reads and writes only its own school's mailbox (the school is its
/// certificate's), and every request records the node and its certificate as a member of the school.
public enum MailboxRoutes {
    /// The path of the mailbox endpoints.
    public static let path = "/\(SyncProtocol.pathPrefix)/mailbox"

    /// Adds the mailbox routes to the `/v2` group.
    static func add(to sync: RouterGroup<SyncRequestContext>, service hub: HubService, authenticator: PeerAuthenticator)
    {
        let service = MailboxService(
            store: hub.store,
            limits: hub.configuration.mailboxLimits,
            isRevoked: authenticator.isRevoked
        )
        let limit = hub.configuration.maxBodyBytes
        let metrics = hub.metrics
        let mailbox = sync.group("mailbox").add(middleware: MailboxMemberMiddleware(service: service))
        mailbox.post { request, context in
            let peer = try context.requirePeer()
            let body = try await SyncRoutes.collect(request, limit: limit, metrics: metrics)
            let answer = try await Blocking.run { () throws(Problem) in
                try service.post(body, covers: nil, from: peer)
            }
            return try SyncRoutes.json(answer, status: .created)
        }
        mailbox.get { request, context in
            let peer = try context.requirePeer()
            let since = try SyncRoutes.integer(request, "since") ?? 0
            let count = try SyncRoutes.integer(request, "limit").map { Int(clamping: $0) }
            let answer = try await Blocking.run { () throws(Problem) in
                try service.list(since: since, limit: count, for: peer)
            }
            return try await SyncRoutes.json(answer, answering: request, metrics: metrics)
        }
        mailbox.post("snapshot") { request, context in
            let peer = try context.requirePeer()
            guard let covers = try SyncRoutes.integer(request, "covers") else {
                throw Problem.malformed("POST /v2/mailbox/snapshot needs the query parameter covers")
            }
            let body = try await SyncRoutes.collect(request, limit: limit, metrics: metrics)
            let answer = try await Blocking.run { () throws(Problem) in
                try service.post(body, covers: covers, from: peer)
            }
            return try SyncRoutes.json(answer, status: .created)
        }
        mailbox.get("members") { request, context in
            let peer = try context.requirePeer()
            let answer = try await Blocking.run { () throws(Problem) in try service.members(for: peer) }
            return try await SyncRoutes.json(answer, answering: request, metrics: metrics)
        }
        mailbox.post("keys") { request, context in
            let peer = try context.requirePeer()
            let body = try await SyncRoutes.collect(request, limit: limit, metrics: metrics)
            if let duplicate = JSONDuplicateMembers.first(in: body) {
                throw Problem.malformed("the body names \(duplicate.joined(separator: ".")) twice")
            }
            let envelopes: MailboxMessages.Envelopes
            do {
                envelopes = try JSONDecoder().decode(MailboxMessages.Envelopes.self, from: body)
            } catch {
                throw Problem.malformed("the body is not {\"envelopes\": [base64, …]}: \(error)")
            }
            let answer = try await Blocking.run { () throws(Problem) in
                try service.storeEnvelopes(envelopes, from: peer)
            }
            return try SyncRoutes.json(answer, status: .created)
        }
        mailbox.get("key") { request, context in
            let peer = try context.requirePeer()
            let answer = try await Blocking.run { () throws(Problem) in try service.envelope(for: peer) }
            return try await SyncRoutes.json(answer, answering: request, metrics: metrics)
        }
    }
}

/// Records the requesting school node and the certificate it presented (verified by TLS and
/// ``ClientCertificateMiddleware``) as a member of its school's mailbox, before any mailbox route runs; refuses
/// a certificate that is not a school node's.
struct MailboxMemberMiddleware: RouterMiddleware {
    typealias Context = SyncRequestContext
    let service: MailboxService

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let peer = try context.requirePeer()
        _ = try MailboxService.school(of: peer)
        let certificate = try await context.channel.nioSSL_peerCertificate().get()
        guard let certificate else {
            throw Problem.denied(code: Problem.Codes.certificateRequired, "no client certificate was presented")
        }
        let der = try certificate.toDERBytes()
        let serial = PeerAuthenticator.hex(certificate.serialNumber)
        try await Blocking.run { () throws(Problem) in
            try service.record(peer, serial: serial, certificatePEM: Self.pem(der))
        }
        return try await next(request, context)
    }

    /// A DER certificate as PEM text.
    static func pem(_ der: [UInt8]) -> String {
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN CERTIFICATE-----\n\(base64)\n-----END CERTIFICATE-----\n"
    }
}
