import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync
import Testing

@testable import SSTPKI

/// Direct sync between two nodes of one school (`sst sync --peer`, `sst node serve --peer`): everything of the school
/// both ways, only between nodes of that school, checked at the TLS level by the client and by certificate and the
/// district's revocation list by the serving node.
@Suite(.timeLimit(.minutes(10)))
struct PeerSyncTests {
    static let school = "Ekbackens skola"
    let district: TestDistrict
    let first: TestNode
    let second: TestNode

    init() throws {
        district = try TestDistrict()
        first = try TestNode("ekbacken-1", school: Self.school, stadsdel: "Södermalm", district: district)
        second = try TestNode("ekbacken-2", school: Self.school, stadsdel: "Södermalm", district: district)
    }

    /// Syncs `node` once with the peer listening at `port`, as `sst sync --peer` does.
    func peerSync(_ node: TestNode, port: Int) async throws -> Result<SyncReport, SyncFailure> {
        try await NodeSynchronizer.withPeer(
            store: node.store,
            dataDirectory: node.dataDirectory,
            peer: NodeSynchronizer.PeerSettings(
                url: "https://127.0.0.1:\(port)",
                tls: node.tls,
                connectTimeout: .seconds(2)
            ),
            session: SyncSession.Configuration(
                maxAttempts: 2,
                backoff: Backoff(initial: .milliseconds(10), maximum: .milliseconds(50))
            ),
            physicalClock: node.clock,
            logger: quietLogger
        ) { await $0.syncResult() }
    }

    func refusals(_ node: TestNode) throws -> [AuditEntry] {
        try node.store.auditEntries().map(\.entry).filter { $0.kind == .refused }
    }

    /// What a school writes that never crosses to the hub: a pupil without consent and its health note; and a pupil
    /// with a consent and a case.
    struct Written {
        let hidden: TestPupil
        let note: RecordID
        let shared: TestPupil
        let sstCase: RecordID
    }

    func write(at node: TestNode) throws -> Written {
        let hidden = try TestPupil(at: node, personnummer: "20120202-0002")
        let note = RecordID.random()
        try node.store.set(
            entity: "health_note",
            record: note,
            values: ["pupil_id": .string(hidden.pupil.rawValue), "text": .string("Samtal med skolsköterskan.")]
        )
        let shared = try TestPupil(at: node, consent: ["identity", "sst_case"])
        let sstCase = try shared.openCase(at: node)
        return Written(hidden: hidden, note: note, shared: shared, sstCase: sstCase)
    }

    // MARK: Everything of the school, both ways

    @Test func twoNodesOfOneSchoolHoldEverythingOfItAfterSyncingDirectly() async throws {
        let written = try write(at: first)
        let first = first
        let second = second
        try await withNodeListener(first, peers: true) { port in
            let report = try await peerSync(second, port: port).get()
            #expect(report.hub == "ekbacken-1")
        }
        #expect(try second.store.values("pupil", written.hidden.pupil)?["personnummer"] == .string("20120202-0002"))
        #expect(
            try second.store.values("health_note", written.note)?["text"] == .string("Samtal med skolsköterskan.")
        )
        #expect(try second.store.consentSummaries(pupil: written.shared.pupil).count == 1)
        #expect(try second.store.values("case", written.sstCase)?["plan"] != nil)
        #expect(try second.store.dumpText() == first.store.dumpText())
        // Nothing crossed the boundary: no `sent` or `received` audit entries on either side.
        for node in [first, second] {
            #expect(try node.store.auditEntries().allSatisfy { $0.entry.kind != .sent && $0.entry.kind != .received })
        }

        // The other way: the second node serves, the first syncs as client.
        let note = RecordID.random()
        try second.store.set(
            entity: "health_note",
            record: note,
            values: ["pupil_id": .string(written.hidden.pupil.rawValue), "text": .string("Uppföljning i maj.")]
        )
        try await withNodeListener(second, peers: true) { port in
            _ = try await peerSync(first, port: port).get()
        }
        #expect(try first.store.values("health_note", note)?["text"] == .string("Uppföljning i maj."))
        #expect(try second.store.dumpText() == first.store.dumpText())

        // Peer syncs are recorded apart from the hub's state: no hub pin, no hub counters.
        #expect(try SyncStateFile(directory: second.dataDirectory).load().lastAttempt == nil)
        let peers = try PeerStateFile.loadAll(directory: first.dataDirectory)
        #expect(peers.values.map(\.hub) == ["ekbacken-2"])
        #expect(peers.values.first?.acknowledged == (try second.store.cursor(for: first.identity.node)))
        #expect((peers.values.first?.acknowledged ?? 0) > 0)
    }

    // MARK: The serving node refuses other certificates

    @Test(arguments: ["otherSchool", "hub"])
    func aServingNodeRefusesACertificateOfAnotherSchoolOrTheHub(_ who: String) async throws {
        _ = try write(at: first)
        let intruder =
            who == "hub"
            ? try TestNode("hub-sodermalm", role: .hub, stadsdel: "Södermalm", district: district)
            : try TestNode("bagarmossen-1", school: "Bagarmossens skola", stadsdel: "Skarpnäck", district: district)
        // Something to push that the intruder's store holds.
        if who == "hub" {
            try intruder.store.set(
                entity: "social_investigation",
                record: RecordID.random(),
                values: ["notes": .string("Utredning pågår.")]
            )
        } else {
            _ = try TestPupil(at: intruder)
        }
        let before = try first.store.dumpText()
        let refusedBefore = try refusals(first).count
        let first = first
        try await withNodeListener(first, peers: true) { port in
            var tls = try intruder.tls.clientConfiguration(verifyHostname: false)
            tls.certificateVerification = .noHostnameVerification
            let body = try ChangeSetCodec.encode(try intruder.store.exportChanges(since: 0))
            let handshake = try JSONEncoder().encode(
                HandshakeRequest(
                    policyHash: intruder.store.policy.hash,
                    nodeTime: intruder.clock.milliseconds(),
                    lastSequence: 1
                )
            )
            try await withRawClient(tls: tls) { client in
                for (method, path, payload) in [
                    (HTTPMethod.POST, "/v2/handshake", handshake), (.POST, "/v2/push", body),
                    (.GET, "/v2/pull?since=0", Data()),
                ] {
                    var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)\(path)")
                    request.method = method
                    if method == .POST {
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(ByteBuffer(bytes: payload))
                    }
                    let response = try await client.execute(request, timeout: .seconds(60))
                    let answer = try await response.body.collect(upTo: 1 << 20)
                    let problem = try JSONDecoder().decode(Problem.self, from: Data(answer.readableBytesView))
                    #expect(response.status.code == 403, "\(path)")
                    #expect(problem.code == Problem.Codes.notSameSchool, "\(path): \(problem)")
                    #expect(problem.detail.contains(who == "hub" ? "the hub's certificate" : "Bagarmossens skola"))
                }
            }
        }
        #expect(try first.store.dumpText() == before)
        #expect(try first.store.cursor(for: intruder.identity.node) == 0)
        let refused = try refusals(first).dropFirst(refusedBefore)
        #expect(refused.count == 3)
        #expect(
            refused.allSatisfy { $0.peer == intruder.identity.node.rawValue && $0.detail.contains("notSameSchool") }
        )
    }

    // MARK: The client refuses other servers

    @Test(arguments: ["otherSchool", "hub", "oldCertificate"])
    func aClientSendsNothingToAServerThatIsNotANodeOfItsSchool(_ who: String) async throws {
        _ = try write(at: second)
        let tls: TLSFiles
        switch who {
        case "hub":
            tls = try district.issue("hub-sodermalm", role: "hub", stadsdel: "Södermalm")
        case "otherSchool":
            tls = try district.issue("bagarmossen-1", school: "Bagarmossens skola", stadsdel: "Skarpnäck")
        default:
            // A certificate of this very school, issued before school certificates carried the school's name.
            var options = NodeCertificate.Options()
            options.omitsHubName = true
            let folder = district.directory.path("old-ekbacken-1")
            let identity = try CertificateIdentity(
                node: NodeID("ekbacken-1")!,
                role: "school",
                school: Self.school,
                stadsdel: "Södermalm"
            )
            try district.ca.issue(for: identity, options: options, into: folder)
            tls = TLSFiles(certificate: "\(folder)/node.pem", key: "\(folder)/node-key.pem", ca: "\(folder)/ca.pem")
        }
        let second = second
        try await withRecordingServer(tls: tls.serverConfiguration()) { port, log in
            let result = try await peerSync(second, port: port)
            guard case .failure(let failure) = result else {
                Issue.record("a peer sync with \(who)'s server succeeded")
                return
            }
            #expect(failure.kind == .notSameSchool, "\(failure)")
            #expect(failure.message.contains("not a node of \(Self.school)"))
            #expect(failure.message.contains(SchoolTLSName.name(forSchool: Self.school)))
            #expect(failure.remedy.contains("sst pki issue --role school"))
            #expect(log.requests.isEmpty, "the node sent \(log.requests) to \(who)'s server")
        }
        let recorded = try PeerStateFile.loadAll(directory: second.dataDirectory).values.first
        #expect(recorded?.lastError?.code == "notSameSchool")
        #expect(try SyncStateFile(directory: second.dataDirectory).load().lastAttempt == nil)
    }

    // MARK: Revocation

    @Test func aPeerRevokedAtTheDistrictIsRefusedOnceTheServingNodeSyncedWithTheHub() async throws {
        let hub = try TestNode("hub-sodermalm", role: .hub, stadsdel: "Södermalm", district: district)
        _ = try write(at: first)
        let first = first
        let second = second
        try await withNodeListener(first, peers: true) { port in
            // Before any hub sync the serving node has no list, and serves its peers.
            _ = try await peerSync(second, port: port).get()
            try district.revoke("ekbacken-2")
            try await withHub(hub, revokedPath: district.revokedPath) { hubPort in
                try await first.sync(port: hubPort)
            }
            let list = try RevocationList.loadRequired(path: PeerRevocations.path(first.dataDirectory))
            #expect(list.isRevoked(node: second.identity.node))
            let mode = try FileManager.default.attributesOfItem(atPath: PeerRevocations.path(first.dataDirectory))[
                .posixPermissions
            ]
            #expect((mode as? NSNumber)?.intValue == 0o600)

            _ = try TestPupil(at: second)
            let before = try first.store.dumpText()
            let refusedBefore = try refusals(first).count
            let result = try await peerSync(second, port: port)
            guard case .failure(let failure) = result else {
                Issue.record("a revoked peer synced")
                return
            }
            #expect(failure.problem?.statusCode == 403)
            #expect(failure.code == Problem.Codes.certificateRevoked, "\(failure)")
            #expect(try first.store.dumpText() == before)
            #expect(try refusals(first).dropFirst(refusedBefore).contains { $0.peer == "ekbacken-2" })
        }
    }

    @Test func aNodeThatSyncedWithTheHubButHoldsNoListRefusesItsPeers() async throws {
        let hub = try TestNode("hub-sodermalm", role: .hub, stadsdel: "Södermalm", district: district)
        let first = first
        let second = second
        try await withHub(hub, revokedPath: district.revokedPath) { hubPort in
            try await first.sync(port: hubPort)
        }
        try FileManager.default.removeItem(atPath: PeerRevocations.path(first.dataDirectory))
        _ = try TestPupil(at: second)
        try await withNodeListener(first, peers: true) { port in
            let result = try await peerSync(second, port: port)
            guard case .failure(let failure) = result else {
                Issue.record("a node without its revocation list served a peer")
                return
            }
            #expect(failure.problem?.statusCode == 503)
            #expect(failure.code == Problem.Codes.revocationListMissing, "\(failure)")
        }
        #expect(try first.store.cursor(for: second.identity.node) == 0)
    }

    @Test func theHubServesTheListItEnforces() async throws {
        let hub = try TestNode("hub-sodermalm", role: .hub, stadsdel: "Södermalm", district: district)
        try district.revoke("ekbacken-2")
        let first = first
        try await withHub(hub, revokedPath: district.revokedPath) { port in
            try await first.withSynchronizer(port: port) { synchronizer in
                let list = try #require(try await synchronizer.transport.revocationList())
                #expect(list == (try RevocationList.load(path: district.revokedPath)))
                #expect(list.isRevoked(node: NodeID("ekbacken-2")!))
            }
        }
    }
}

/// A school node's HTTPS listener on `127.0.0.1`, port 0, serving the other nodes of its school when `peers`, for the
/// duration of `body`.
func withNodeListener<T: Sendable>(
    _ node: TestNode,
    peers: Bool,
    _ body: @Sendable (_ port: Int) async throws -> T
) async throws -> T {
    try await NodeServer.withListening(
        store: node.store,
        tls: node.tls,
        listen: ListenAddress(host: "127.0.0.1", port: 0),
        dataDirectory: peers ? node.dataDirectory : nil,
        logger: quietLogger,
        body
    )
}
