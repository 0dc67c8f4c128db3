import Foundation
import SSTCore
import SSTPKI

/// How a node reaches the hub: the three `/v2` requests. Every failure is a ``SyncFailure``.
///
/// ``HTTPSyncTransport`` speaks HTTPS with mutual TLS; tests may answer in process.
public protocol SyncTransport: Sendable {
    func handshake(_ request: HandshakeRequest) async throws(SyncFailure) -> HandshakeResponse
    /// Encodes a change set as this transport sends it, so that it can be done before the push (while the
    /// previous push is on the wire).
    func pushBody(_ changeSet: ChangeSet) throws(SyncFailure) -> PushBody
    func push(_ body: PushBody) async throws(SyncFailure) -> PushResponse
    func pull(since: Int64, limit: Int) async throws(SyncFailure) -> PullResponse
    /// The district's deny list the hub enforces (`GET /v2/revocations`), fetched after a successful sync with the
    /// hub; `nil` when this transport has none to give (a peer, a transport in a test: the default).
    func revocationList() async throws(SyncFailure) -> RevocationList?
}

extension SyncTransport {
    /// None: the default for transports that reach no hub's list.
    public func revocationList() async throws(SyncFailure) -> RevocationList? { nil }

    /// Encodes and pushes `changeSet`.
    public func push(_ changeSet: ChangeSet) async throws(SyncFailure) -> PushResponse {
        try await push(try pushBody(changeSet))
    }
}

/// A push request's body: the change set's JSON and, when the transport compresses, its gzip.
public struct PushBody: Sendable {
    public let json: Data
    public let gzip: Data?

    public init(json: Data, gzip: Data?) {
        self.json = json
        self.gzip = gzip
    }
}
