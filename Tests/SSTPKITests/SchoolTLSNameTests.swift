import Foundation
import SSTCore
import Testing
import X509

@testable import SSTPKI

/// The school name: every school certificate carries its school's, no other certificate may (the nodes of a school
/// sync directly only with a server whose certificate carries it).
struct SchoolTLSNameTests {
    let ca: DistrictCA

    init() throws {
        ca = try DistrictCA.make()
    }

    @Test func theNameIsTheSchoolsHashUnderTheSchoolDomain() {
        let name = SchoolTLSName.name(forSchool: "Ekbackens skola")
        #expect(name.hasSuffix(".school.sst-sync.invalid"))
        let label = name.prefix { $0 != "." }
        #expect(label.count == 32 && label.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(SchoolTLSName.name(forSchool: "Bagarmossens skola") != name)
        // The same name in another Unicode normalization form is the same school.
        #expect(SchoolTLSName.name(forSchool: "Ta\u{0308}by skola") == SchoolTLSName.name(forSchool: "Täby skola"))
        #expect(HubTLSName.isReserved(name))
    }

    @Test func aSchoolCertificateCarriesItsSchoolsNameAndNoOther() throws {
        let school = try ca.issue(for: try schoolIdentity())
        #expect(SchoolTLSName.isCarried(by: school.certificate, school: "Ekbackens skola"))
        #expect(!SchoolTLSName.isCarried(by: school.certificate, school: "Bagarmossens skola"))
        let hub = try ca.issue(for: try CertificateIdentity(node: NodeID("hub-1")!, role: "hub", stadsdel: "Södermalm"))
        #expect(!SchoolTLSName.isCarried(by: hub.certificate, school: "Ekbackens skola"))
    }

    @Test(arguments: [
        SchoolTLSName.name(forSchool: "Ekbackens skola"), "*.school.sst-sync.invalid", "*.sst-sync.invalid",
    ])
    func aHubCertificateMayNotCarryASchoolName(_ dns: String) throws {
        let error = try #require(throws: PKIError.self) {
            try ca.issue(
                for: try CertificateIdentity(node: NodeID("hub-1")!, role: "hub"),
                options: NodeCertificate.Options(dnsNames: [dns])
            )
        }
        #expect(error.message.contains(HubTLSName.reservedDomain), "\(error)")
    }

    @Test func noCertificateMayNameAnIPv4MappedAddress() throws {
        let error = try #require(throws: PKIError.self) {
            try ca.issue(
                for: try CertificateIdentity(node: NodeID("hub-1")!, role: "hub"),
                options: NodeCertificate.Options(ipAddresses: ["::ffff:127.0.0.1"])
            )
        }
        #expect(error.message.contains("IPv4-mapped"), "\(error)")
    }

    @Test func aSchoolCertificateIssuedBeforeTheRuleLacksTheName() throws {
        var options = NodeCertificate.Options()
        options.omitsHubName = true
        let old = try ca.issue(for: try schoolIdentity(), options: options)
        #expect(!SchoolTLSName.isCarried(by: old.certificate, school: "Ekbackens skola"))
    }
}
