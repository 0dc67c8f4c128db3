import Foundation
import SSTPKI
import SSTStore
import SSTSync
import Testing

/// The hub's revocation list fails closed: no hub without it, and a list removed or damaged while the hub runs
/// keeps the last good one in force.
@Suite(.timeLimit(.minutes(10)))
struct HubRevocationListTests {
    let district: TestDistrict
    let hub: TestNode

    init() throws {
        district = try TestDistrict()
        hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
    }

    func school() throws -> TestNode {
        try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
    }

    @Test func hubDoesNotStartWithoutItsList() async throws {
        try FileManager.default.removeItem(atPath: district.revokedPath)
        let error = try await #require(throws: PKIError.self) {
            try await withHub(hub, revokedPath: district.revokedPath) { _ in }
        }
        #expect(error.code == .notFound && error.message.contains(district.revokedPath), "\(error)")
    }

    @Test func revokedCertificateStaysRefusedWhenTheListIsRemovedOrDamaged() async throws {
        let school = try school()
        try await withHub(hub, revokedPath: district.revokedPath) { port in
            try await school.sync(port: port)
            try district.revoke("ekbacken-1")
            try await expectRevoked(school, port: port)
            let good = try Data(contentsOf: URL(fileURLWithPath: district.revokedPath))

            try FileManager.default.removeItem(atPath: district.revokedPath)
            try await expectRevoked(school, port: port)

            try Data("{\"format\": \"sst-revocations\", \"version\": 1, \"revoked\": [".utf8)
                .write(to: URL(fileURLWithPath: district.revokedPath))
            try await expectRevoked(school, port: port)

            // An empty list, written on purpose, is a list like any other: the certificate may sync again.
            try RevocationList.emptyFileText.write(toFile: district.revokedPath, atomically: true, encoding: .utf8)
            try await school.sync(port: port)

            try good.write(to: URL(fileURLWithPath: district.revokedPath))
            try await expectRevoked(school, port: port)
        }
    }

    func expectRevoked(_ school: TestNode, port: Int) async throws {
        do {
            try await school.sync(port: port)
            Issue.record("a revoked certificate synced")
        } catch let failure as SyncFailure {
            #expect(failure.problem?.statusCode == 403)
            #expect(failure.code == Problem.Codes.certificateRevoked)
        }
    }
}
