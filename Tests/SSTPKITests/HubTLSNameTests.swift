import Foundation
import SSTCore
import Testing
import X509

@testable import SSTPKI

/// The hub name: every hub certificate carries it, no other certificate may (nodes sync only with a server whose
/// certificate carries it).
struct HubTLSNameTests {
    let ca: DistrictCA

    init() throws {
        ca = try DistrictCA.make()
    }

    func dnsNames(_ issued: NodeCertificate) throws -> [String] {
        try #require(try issued.certificate.extensions.subjectAlternativeNames).compactMap { name in
            guard case .dnsName(let dns) = name else { return nil }
            return dns
        }
    }

    @Test func aHubCertificateCarriesTheHubNameAndASchoolCertificateDoesNot() throws {
        let hub = try ca.issue(
            for: try CertificateIdentity(node: NodeID("hub-sodermalm")!, role: "hub", stadsdel: "Södermalm"),
            options: NodeCertificate.Options(dnsNames: ["hub.example.se"])
        )
        #expect(try dnsNames(hub) == ["localhost", HubTLSName.name, "hub.example.se"])
        #expect(HubTLSName.isCarried(by: hub.certificate))
        #expect(CertificateSummary(certificate: hub.certificate).carriesHubName)
        let school = try ca.issue(for: try schoolIdentity())
        #expect(try dnsNames(school) == ["localhost", SchoolTLSName.name(forSchool: try schoolIdentity().school!)])
        #expect(!HubTLSName.isCarried(by: school.certificate))
        #expect(!CertificateSummary(certificate: school.certificate).lines().joined().contains("Hub name"))
    }

    @Test(arguments: [
        "hub.sst-sync.invalid", "HUB.SST-SYNC.INVALID", "hub.sst-sync.invalid.", "*.sst-sync.invalid",
        "sst-sync.invalid", "other.sst-sync.invalid",
    ])
    func aSchoolCertificateMayNotCarryANameInTheReservedDomain(_ dns: String) throws {
        let error = try #require(throws: PKIError.self) {
            try ca.issue(for: try schoolIdentity(), options: NodeCertificate.Options(dnsNames: [dns]))
        }
        #expect(error.message.contains(HubTLSName.reservedDomain), "\(error)")
        #expect(error.message.contains("only hub certificates"), "\(error)")
    }

    @Test func aSchoolCertificateMayNotNameAnIPv4MappedAddress() throws {
        let error = try #require(throws: PKIError.self) {
            try ca.issue(for: try schoolIdentity(), options: NodeCertificate.Options(ipAddresses: ["::ffff:10.0.0.5"]))
        }
        #expect(error.message.contains("IPv4-mapped"), "\(error)")
        // Other names and addresses are still fine.
        let school = try ca.issue(
            for: try schoolIdentity(),
            options: NodeCertificate.Options(
                dnsNames: ["ekbacken.example.se", "sst-sync.example"],
                ipAddresses: ["::1"]
            )
        )
        #expect(
            try dnsNames(school) == [
                "localhost", SchoolTLSName.name(forSchool: try schoolIdentity().school!), "ekbacken.example.se",
                "sst-sync.example",
            ]
        )
    }

    @Test func aHubCertificateIssuedBeforeTheRuleLacksTheNameAndShowSaysSo() throws {
        var options = NodeCertificate.Options()
        options.omitsHubName = true
        let old = try ca.issue(
            for: try CertificateIdentity(node: NodeID("hub-sodermalm")!, role: "hub"),
            options: options
        )
        let summary = CertificateSummary(certificate: old.certificate)
        #expect(!summary.carriesHubName)
        #expect(summary.lines().contains { $0.contains("missing") && $0.contains("sst pki issue --role hub") })
    }
}
