import SSTCore

/// How a node reaches the hub: the three `/v2` requests. Every failure is a ``SyncFailure``.
///
/// ``HTTPSyncTransport`` speaks HTTPS with mutual TLS; tests may answer in process.
public protocol SyncTransport: Sendable {
    func handshake(_ request: HandshakeRequest) async throws(SyncFailure) -> HandshakeResponse
    func push(_ changeSet: ChangeSet) async throws(SyncFailure) -> PushResponse
    func pull(since: Int64, limit: Int) async throws(SyncFailure) -> PullResponse
}
