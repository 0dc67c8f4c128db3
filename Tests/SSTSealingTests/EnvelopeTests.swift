import Foundation
import SSTCore
import SSTPKI
import SwiftASN1
import Testing
import X509

@testable import SSTSealing

/// A district CA in memory and node certificates it issues.
struct District {
    let ca: DistrictCA

    init() throws { ca = try DistrictCA.make() }

    func node(_ id: String, role: String = "school", school: String? = "Ekbackens skola") throws -> NodeCertificate {
        try ca.issue(
            for: try CertificateIdentity(
                node: NodeID(id)!,
                role: role,
                school: role == "hub" ? nil : school,
                stadsdel: "Södermalm"
            )
        )
    }
}

extension NodeCertificate {
    var privateKeyPEM: String { get throws { try privateKey.serializeAsPEM().pemString } }
}

@Suite struct EnvelopeTests {
    let key = SchoolKey.generate(school: "Ekbackens skola", epoch: 1, now: 1_733_450_000_000)

    @Test func anEnvelopeOpensWithTheRecipientsKeyOnly() throws {
        let district = try District()
        let second = try district.node("school-ekbacken-2")
        let third = try district.node("school-ekbacken-3")
        let envelope = try KeyEnvelope.wrap(key, forCertificate: try second.derBytes)
        #expect(envelope.recipient == "school-ekbacken-2" && envelope.school == key.school)
        #expect(envelope.keyID == key.id && envelope.epoch == 1)
        let decoded = try KeyEnvelope.decode(try envelope.encoded())
        #expect(decoded == envelope)
        #expect(try decoded.open(privateKeyPEM: try second.privateKeyPEM) == key)
        let error = #expect(throws: SealingError.self) { try decoded.open(privateKeyPEM: try third.privateKeyPEM) }
        #expect(error?.code == .notForThisNode)
        let text = String(decoding: try envelope.encoded(), as: UTF8.self)
        #expect(!text.contains(Data(key.material).base64EncodedString()))
    }

    @Test func wrapRefusesAHubAndAnotherSchool() throws {
        let district = try District()
        for certificate in [
            try district.node("hub-sodermalm", role: "hub"),
            try district.node("school-bjorkhagen-1", school: "Björkhagens skola"),
        ] {
            let error = #expect(throws: SealingError.self) {
                try KeyEnvelope.wrap(key, forCertificate: try certificate.derBytes)
            }
            #expect(error?.code == .otherSchool)
        }
    }

    @Test func anAlteredEnvelopeOpensNothing() throws {
        let district = try District()
        let second = try district.node("school-ekbacken-2")
        let envelope = try KeyEnvelope.wrap(key, forCertificate: try second.derBytes)
        var ciphertext = envelope.ciphertext
        ciphertext[3] ^= 0x10
        let altered = [
            KeyEnvelope(
                school: envelope.school,
                keyID: envelope.keyID,
                epoch: envelope.epoch,
                recipient: envelope.recipient,
                createdAtMilliseconds: envelope.createdAtMilliseconds,
                recipientKey: envelope.recipientKey,
                encapsulatedKey: envelope.encapsulatedKey,
                ciphertext: ciphertext
            ),
            KeyEnvelope(
                school: envelope.school,
                keyID: envelope.keyID,
                epoch: 7,
                recipient: envelope.recipient,
                createdAtMilliseconds: envelope.createdAtMilliseconds,
                recipientKey: envelope.recipientKey,
                encapsulatedKey: envelope.encapsulatedKey,
                ciphertext: envelope.ciphertext
            ),
        ]
        for envelope in altered {
            let decoded = try KeyEnvelope.decode(try envelope.encoded())
            let error = #expect(throws: SealingError.self) { try decoded.open(privateKeyPEM: try second.privateKeyPEM) }
            #expect(error?.code == .tampered)
        }
        let bytes = try envelope.encoded()
        let truncated = #expect(throws: SealingError.self) { try KeyEnvelope.decode(bytes.prefix(bytes.count / 2)) }
        #expect(truncated?.code == .truncated)
    }

    @Test func codableUsesTheWireForm() throws {
        let district = try District()
        let envelope = try KeyEnvelope.wrap(key, forCertificate: try district.node("school-ekbacken-2").derBytes)
        let data = try JSONEncoder().encode(envelope)
        #expect(try JSONDecoder().decode(KeyEnvelope.self, from: data) == envelope)
    }
}
