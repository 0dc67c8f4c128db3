import Foundation
import SSTCore
import SSTPKI
import SSTTestSupport
import Testing

@Suite struct CertificateVerifierTests {
    @Test func nodeCertificateVerifiesAgainstItsCA() async throws {
        let ca = try DistrictCA.make()
        let issued = try ca.issue(for: try schoolIdentity())
        let verifier = CertificateVerifier(caCertificate: ca.certificate)
        let identity = try await verifier.verify(issued.certificate)
        #expect(identity == issued.identity)
        #expect(try await verifier.verify(derBytes: issued.derBytes) == issued.identity)
    }

    @Test func certificateFromAnotherCAIsRefused() async throws {
        let district = try DistrictCA.make()
        let other = try DistrictCA.make()
        let foreign = try other.issue(for: try schoolIdentity())
        let verifier = CertificateVerifier(caCertificate: district.certificate)
        let rejection = try await #require(throws: CertificateRejection.self) {
            try await verifier.verify(foreign.certificate)
        }
        #expect(rejection.reason == .signedByAnotherCA)
    }

    @Test func expiredCertificateIsRefused() async throws {
        let ca = try DistrictCA.make()
        let options = NodeCertificate.Options(notValidBefore: Date() - 10 * 86_400, notValidAfter: Date() - 86_400)
        let expired = try ca.issue(for: try schoolIdentity(), options: options)
        let verifier = CertificateVerifier(caCertificate: ca.certificate)
        let rejection = try await #require(throws: CertificateRejection.self) {
            try await verifier.verify(expired.certificate)
        }
        #expect(rejection.reason == .expired)
        #expect(rejection.message.contains("expired"))
    }

    @Test func certificateIsCheckedAtTheGivenTime() async throws {
        let ca = try DistrictCA.make()
        let issued = try ca.issue(for: try schoolIdentity(), options: NodeCertificate.Options(days: 30))
        let verifier = CertificateVerifier(caCertificate: ca.certificate)
        let early = try await #require(throws: CertificateRejection.self) {
            try await verifier.verify(issued.certificate, at: Date() - 86_400)
        }
        #expect(early.reason == .notYetValid)
        let late = try await #require(throws: CertificateRejection.self) {
            try await verifier.verify(issued.certificate, at: Date() + 31 * 86_400)
        }
        #expect(late.reason == .expired)
        #expect(try await verifier.verify(issued.certificate, at: Date() + 29 * 86_400) == issued.identity)
    }

    @Test func caCertificateIsNotANodeCertificate() async throws {
        let ca = try DistrictCA.make()
        let verifier = CertificateVerifier(caCertificate: ca.certificate)
        let rejection = try await #require(throws: CertificateRejection.self) {
            try await verifier.verify(ca.certificate)
        }
        #expect(rejection.reason == .notANodeCertificate)
    }

    @Test func revokedCertificateIsRefusedAndItsSuccessorAccepted() async throws {
        let ca = try DistrictCA.make()
        let old = try ca.issue(for: try schoolIdentity())
        let new = try ca.issue(for: try schoolIdentity())
        let revocations = RevocationList(entries: [
            RevocationList.Entry(node: "school-ekbacken-1", serial: old.serial, revokedAt: Date(), reason: "stolen")
        ])
        let verifier = CertificateVerifier(caCertificate: ca.certificate)
        let rejection = try await #require(throws: CertificateRejection.self) {
            try await verifier.verify(old.certificate, revocations: revocations)
        }
        #expect(rejection.reason == .revoked)
        #expect(try await verifier.verify(new.certificate, revocations: revocations) == new.identity)
    }

    @Test(.enabled(if: executable("openssl") != nil, "needs the openssl command"))
    func opensslVerifiesNodeCertificateAgainstCA() throws {
        let directory = try TemporaryDirectory()
        let ca = try DistrictCA.create(in: directory.path("ca"))
        let identity = try schoolIdentity(school: "Årstaskolan")
        try ca.issue(for: identity, into: directory.path("node"))
        let (status, output) = try run(
            executable("openssl")!,
            ["verify", "-CAfile", directory.path("node/ca.pem"), directory.path("node/node.pem")]
        )
        #expect(status == 0, "openssl verify: \(output)")
        #expect(output.contains(": OK"))
        let (_, text) = try run(
            executable("openssl")!,
            ["x509", "-in", directory.path("node/node.pem"), "-noout", "-subject", "-nameopt", "utf8,sep_comma_plus"]
        )
        #expect(text.contains("CN=school-ekbacken-1"), "\(text)")
        #expect(text.contains("OU=school") && text.contains("O=Årstaskolan") && text.contains("L=Södermalm"))
    }

    private func run(_ path: String, _ arguments: [String]) throws -> (Int32, String) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("openssl-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let process = try SpawnedProcess(path, arguments, outputPath: output.path, errorPath: output.path + ".err")
        defer { try? FileManager.default.removeItem(atPath: output.path + ".err") }
        _ = process.waitForEnd(seconds: 60)
        let text = [output.path, output.path + ".err"].map {
            String(decoding: FileManager.default.contents(atPath: $0) ?? Data(), as: UTF8.self)
        }
        return (process.status ?? -1, text.joined())
    }
}
