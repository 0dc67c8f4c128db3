import Crypto
import Foundation
import SSTCore
import SSTPKI
import SwiftASN1
import Testing
import X509

@Suite struct NodeCertificateTests {
    @Test func issuedCertificateCarriesIdentityWithSwedishNames() throws {
        let ca = try DistrictCA.make()
        let identity = try schoolIdentity(school: "Skärholmens gårdsskola åäö ÅÄÖ")
        let issued = try ca.issue(for: identity)
        #expect(issued.identity == identity)
        let readBack = try CertificateIdentity(certificate: issued.certificate)
        #expect(readBack == identity)
        #expect(readBack.school == "Skärholmens gårdsskola åäö ÅÄÖ")
        #expect(readBack.stadsdel == "Södermalm")
        #expect(readBack.role == "school")
        #expect(try CertificateIdentity(derBytes: issued.derBytes) == identity)
    }

    @Test func hubIdentityNeedsNoSchool() throws {
        let ca = try DistrictCA.make()
        let hub = try CertificateIdentity(node: NodeID("hub-1")!, role: "hub")
        let issued = try ca.issue(for: hub)
        let readBack = try CertificateIdentity(certificate: issued.certificate)
        #expect(readBack.role == "hub")
        #expect(readBack.school == nil && readBack.stadsdel == nil)
    }

    @Test func nodeCertificateIsTLSServerAndClientForLoopback() throws {
        let ca = try DistrictCA.make()
        let options = NodeCertificate.Options(days: 30, dnsNames: ["hub.example.se"], ipAddresses: ["10.0.0.5", "::1"])
        let certificate = try ca.issue(for: try schoolIdentity(), options: options).certificate
        let names = try #require(try certificate.extensions.subjectAlternativeNames)
        #expect(names.contains(.dnsName("localhost")))
        #expect(names.contains(.dnsName("hub.example.se")))
        #expect(names.contains(.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))))
        #expect(names.contains(.ipAddress(ASN1OctetString(contentBytes: [10, 0, 0, 5]))))
        #expect(
            names.contains(
                .ipAddress(ASN1OctetString(contentBytes: ArraySlice([UInt8](repeating: 0, count: 15) + [1])))
            )
        )
        let usages = try #require(try certificate.extensions.extendedKeyUsage)
        #expect(usages.contains(.serverAuth) && usages.contains(.clientAuth))
        #expect(try certificate.extensions.keyUsage?.digitalSignature == true)
        #expect(try certificate.extensions.basicConstraints == .notCertificateAuthority)
        #expect(certificate.issuer == ca.certificate.subject)
        #expect(ca.certificate.publicKey.isValidSignature(certificate.signature, for: certificate))
        #expect(abs(certificate.notValidAfter.timeIntervalSinceNow - 30 * 86_400) < 60)
    }

    @Test func serialNumbersAreRandomAndDistinct() throws {
        let ca = try DistrictCA.make()
        let serials = try (0..<20).map { _ in try ca.issue(for: try schoolIdentity()).serial }
        #expect(Set(serials).count == 20)
        #expect(serials.allSatisfy { $0.count >= 30 })
    }

    @Test func nodeFilesAreWrittenWithKeyMode0600AndRecordedInIssuedIndex() throws {
        let directory = try TemporaryDirectory()
        try DistrictCA.create(in: directory.path("ca"))
        let ca = try DistrictCA.load(from: directory.path("ca"))
        let out = directory.path("ekbacken")
        let issued = try ca.issue(for: try schoolIdentity(), into: out)
        #expect(try permissions(out + "/node-key.pem") == 0o600)
        #expect(FileManager.default.fileExists(atPath: out + "/node.pem"))
        let caCopy = try String(contentsOfFile: out + "/ca.pem", encoding: .utf8)
        #expect(try Certificate(pemEncoded: caCopy) == ca.certificate)
        let loaded = try NodeCertificate.load(from: out)
        #expect(loaded.certificate == issued.certificate)
        #expect(loaded.identity == issued.identity)
        let index = try IssuedIndex.load(from: directory.path("ca"))
        #expect(index.serials(of: NodeID("school-ekbacken-1")!) == [issued.serial])
        #expect(index.entries.first?.school == "Ekbackens skola")
    }

    @Test func existingNodeKeyIsNeverOverwritten() throws {
        let directory = try TemporaryDirectory()
        let ca = try DistrictCA.create(in: directory.path("ca"))
        let out = directory.path("node")
        let first = try ca.issue(for: try schoolIdentity(), into: out)
        let error = try #require(throws: PKIError.self) { try ca.issue(for: try schoolIdentity(), into: out) }
        #expect(error.code == .alreadyExists)
        #expect(error.remedy.contains("another --out"))
        #expect(try NodeCertificate.load(from: out).certificate == first.certificate)
        #expect(try IssuedIndex.load(from: directory.path("ca")).entries.count == 1)
    }

    @Test func schoolCertificateMustNameItsSchoolAndRoleMustBeKnown() throws {
        #expect(throws: PKIError.self) { try CertificateIdentity(node: NodeID("school-a")!, role: "school") }
        let error = try #require(throws: PKIError.self) {
            try CertificateIdentity(node: NodeID("admin")!, role: "admin", school: "Ekbackens skola")
        }
        #expect(error.code == .invalidIdentity)
        #expect(error.description.contains("school or hub"))
    }

    @Test func certificateWithoutRoleIsNotANodeIdentity() throws {
        let ca = try DistrictCA.make()
        let key = P256.Signing.PrivateKey()
        let issuerKey = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: Date() - 60,
            notValidAfter: Date() + 3600,
            issuer: ca.certificate.subject,
            subject: try DistinguishedName { CommonName("school-ekbacken-1") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: Certificate.Extensions(),
            issuerPrivateKey: issuerKey
        )
        let error = try #require(throws: PKIError.self) { try CertificateIdentity(certificate: certificate) }
        #expect(error.code == .invalidIdentity)
        #expect(error.message.contains("names no role"))
        let noNode = try #require(throws: PKIError.self) { try CertificateIdentity(certificate: ca.certificate) }
        #expect(noNode.message.contains("commonName"))
        #expect(throws: PKIError.self) { try CertificateIdentity(derBytes: [0x30, 0x03, 0x02, 0x01, 0x01]) }
    }

    @Test func malformedExtraNamesAreRefused() throws {
        let ca = try DistrictCA.make()
        let badIP = NodeCertificate.Options(ipAddresses: ["1.2.3"])
        #expect(throws: PKIError.self) { try ca.issue(for: try schoolIdentity(), options: badIP) }
        let badDNS = NodeCertificate.Options(dnsNames: ["skola på nätet"])
        #expect(throws: PKIError.self) { try ca.issue(for: try schoolIdentity(), options: badDNS) }
        let tooLong = NodeCertificate.Options(days: 20_000)
        #expect(throws: PKIError.self) { try ca.issue(for: try schoolIdentity(), options: tooLong) }
    }
}
