import Foundation
import NIOHTTP1

/// How a school node reaches its school's sealed mailbox at the hub (`/v2/mailbox`, `Protocol/mailbox.md`).
/// Every failure is a ``SyncFailure``.
public protocol MailboxTransport: Sendable {
    /// `GET /v2/mailbox?since=N&limit=M`.
    func mailbox(since: Int64, limit: Int) async throws(SyncFailure) -> MailboxMessages.Listing
    /// `POST /v2/mailbox`: a sealed changes blob (its JSON bytes).
    func postMailbox(_ blob: Data) async throws(SyncFailure) -> MailboxMessages.Posted
    /// `POST /v2/mailbox/snapshot?covers=S`: a sealed snapshot (its JSON bytes).
    func postMailboxSnapshot(_ blob: Data, covers: Int64) async throws(SyncFailure) -> MailboxMessages.Posted
    /// `GET /v2/mailbox/members`.
    func mailboxMembers() async throws(SyncFailure) -> MailboxMessages.Members
    /// `POST /v2/mailbox/keys`.
    func postMailboxEnvelopes(
        _ envelopes: MailboxMessages.Envelopes
    ) async throws(SyncFailure)
        -> MailboxMessages.Stored
    /// `GET /v2/mailbox/key`: nil when the hub holds no envelope of the current key for this node (404).
    func mailboxKey() async throws(SyncFailure) -> MailboxMessages.Envelope?
}

extension HTTPSyncTransport: MailboxTransport {
    public func mailbox(since: Int64, limit: Int) async throws(SyncFailure) -> MailboxMessages.Listing {
        try await send(.GET, "\(MailboxRoutes.path)?since=\(since)&limit=\(limit)", body: nil)
    }

    public func postMailbox(_ blob: Data) async throws(SyncFailure) -> MailboxMessages.Posted {
        try await send(.POST, MailboxRoutes.path, body: blob)
    }

    public func postMailboxSnapshot(_ blob: Data, covers: Int64) async throws(SyncFailure) -> MailboxMessages.Posted {
        try await send(.POST, "\(MailboxRoutes.path)/snapshot?covers=\(covers)", body: blob)
    }

    public func mailboxMembers() async throws(SyncFailure) -> MailboxMessages.Members {
        try await send(.GET, "\(MailboxRoutes.path)/members", body: nil)
    }

    public func postMailboxEnvelopes(
        _ envelopes: MailboxMessages.Envelopes
    ) async throws(SyncFailure)
        -> MailboxMessages.Stored
    {
        let body: Data
        do {
            body = try JSONEncoder().encode(envelopes)
        } catch {
            throw SyncFailure(.local, "cannot encode the key envelopes: \(error)", remedy: "Report this as a bug.")
        }
        return try await send(.POST, "\(MailboxRoutes.path)/keys", body: body)
    }

    public func mailboxKey() async throws(SyncFailure) -> MailboxMessages.Envelope? {
        do {
            let envelope: MailboxMessages.Envelope = try await send(.GET, "\(MailboxRoutes.path)/key", body: nil)
            return envelope
        } catch let failure where failure.problem?.statusCode == 404 {
            return nil
        }
    }
}
