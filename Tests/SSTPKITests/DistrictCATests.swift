import Crypto
import Foundation
import SSTCore
import SSTPKI
import Testing
import X509

@Suite struct DistrictCATests {
    @Test func newCAIsSelfSignedP256CertificateAuthorityForTenYears() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let ca = try DistrictCA.make(now: now)
        let certificate = ca.certificate
        #expect(certificate.subject == certificate.issuer)
        #expect(certificate.publicKey.isValidSignature(certificate.signature, for: certificate))
        #expect(P256.Signing.PublicKey(certificate.publicKey) != nil)
        #expect(certificate.signatureAlgorithm == .ecdsaWithSHA256)
        #expect(try certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        let usage = try #require(try certificate.extensions.keyUsage)
        #expect(usage.keyCertSign && usage.cRLSign && !usage.digitalSignature)
        #expect(certificate.extensions[oid: .X509ExtensionID.basicConstraints]?.critical == true)
        let days = certificate.notValidAfter.timeIntervalSince(now) / 86_400
        #expect(days == 3650)
        #expect(certificate.notValidBefore <= now)
    }

    @Test func caFilesAreWrittenWithPrivateKeyMode0600AndLoadBack() throws {
        let directory = try TemporaryDirectory()
        let folder = directory.path("district-ca")
        let created = try DistrictCA.create(in: folder)
        #expect(try permissions(folder + "/ca-key.pem") == 0o600)
        #expect(try permissions(folder + "/ca.pem") & 0o077 != 0o077)
        let keyText = try String(contentsOfFile: folder + "/ca-key.pem", encoding: .utf8)
        #expect(keyText.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let loaded = try DistrictCA.load(from: folder)
        #expect(loaded.certificate == created.certificate)
        #expect(loaded.directory == folder)
    }

    @Test func existingCAIsNeverOverwritten() throws {
        let directory = try TemporaryDirectory()
        let folder = directory.path("ca")
        let first = try DistrictCA.create(in: folder)
        let error = try #require(throws: PKIError.self) { try DistrictCA.create(in: folder) }
        #expect(error.code == .alreadyExists)
        #expect(error.description.contains("ca.pem already exists"))
        #expect(try DistrictCA.load(from: folder).certificate == first.certificate)
    }

    @Test func keyOfAnotherCAIsRefusedOnLoad() throws {
        let directory = try TemporaryDirectory()
        try DistrictCA.create(in: directory.path("a"))
        try DistrictCA.create(in: directory.path("b"))
        try FileManager.default.removeItem(atPath: directory.path("a/ca-key.pem"))
        try FileManager.default.copyItem(atPath: directory.path("b/ca-key.pem"), toPath: directory.path("a/ca-key.pem"))
        let error = try #require(throws: PKIError.self) { try DistrictCA.load(from: directory.path("a")) }
        #expect(error.code == .keyMismatch)
    }

    @Test func missingCAFolderSaysWhatToDo() throws {
        let directory = try TemporaryDirectory()
        let error = try #require(throws: PKIError.self) { try DistrictCA.load(from: directory.path("nowhere")) }
        #expect(error.code == .notFound)
        #expect(error.description.contains("sst pki init"))
    }
}
