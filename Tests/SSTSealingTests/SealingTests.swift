import Foundation
import SSTCore
import Testing

@testable import SSTSealing

@Suite struct SealingTests {
    let key = SchoolKey.generate(school: "Ekbackens skola", epoch: 1, now: 1_733_450_000_000)
    let sender = NodeID("school-ekbacken-1")!
    let plaintext = Data("hälsoanteckning: synthetic test data".utf8)

    @Test(arguments: SealedBlob.Kind.allCases) func sealedDataOpensWithTheKey(kind: SealedBlob.Kind) throws {
        let blob = try Sealing.seal(plaintext, kind: kind, sender: sender, key: key)
        #expect(blob.school == key.school && blob.keyID == key.id && blob.epoch == 1)
        #expect(blob.sender == sender.rawValue && blob.kind == kind)
        let decoded = try SealedBlob.decode(try blob.encoded())
        #expect(decoded == blob)
        #expect(try Sealing.open(decoded, with: key) == plaintext)
        #expect(try Sealing.open(try Sealing.seal(Data(), kind: kind, sender: sender, key: key), with: key) == Data())
    }

    @Test func theCiphertextHidesThePlaintext() throws {
        let blob = try Sealing.seal(plaintext, kind: .changes, sender: sender, key: key)
        let text = try blob.encoded()
        #expect(text.range(of: Data("hälsoanteckning".utf8)) == nil)
        #expect(text.range(of: Data(Data(key.material).base64EncodedString().utf8)) == nil)
        let again = try Sealing.seal(plaintext, kind: .changes, sender: sender, key: key)
        #expect(again.nonce != blob.nonce && again.ciphertext != blob.ciphertext)
    }

    @Test func aBitFlippedAnywhereInTheBlobOpensNothing() throws {
        let blob = try Sealing.seal(plaintext, kind: .changes, sender: sender, key: key)
        let bytes = Array(try blob.encoded())
        var codes: [SealingError.Code: Int] = [:]
        for index in bytes.indices {
            for bit in 0..<8 {
                var flipped = bytes
                flipped[index] ^= 1 << bit
                do {
                    let opened = try Sealing.open(try SealedBlob.decode(Data(flipped)), with: key)
                    // A flip that leaves the JSON meaning unchanged (never happens: there is no insignificant byte).
                    Issue.record("a bit flipped at byte \(index) opened to \(opened.count) bytes")
                } catch {
                    codes[error.code, default: 0] += 1
                }
            }
        }
        #expect(codes[.tampered, default: 0] > 0)
        // Every bit of the nonce and the ciphertext with its tag: tampered.
        for (label, count) in [("nonce", blob.nonce.count), ("ciphertext", blob.ciphertext.count)] {
            for index in 0..<count {
                for bit in 0..<8 {
                    var nonce = blob.nonce
                    var ciphertext = blob.ciphertext
                    if label == "nonce" { nonce[index] ^= 1 << bit } else { ciphertext[index] ^= 1 << bit }
                    let altered = SealedBlob(
                        school: blob.school,
                        keyID: blob.keyID,
                        epoch: blob.epoch,
                        sender: blob.sender,
                        kind: blob.kind,
                        nonce: nonce,
                        ciphertext: ciphertext
                    )
                    let error = #expect(throws: SealingError.self) {
                        try Sealing.open(SealedBlob.decode(try altered.encoded()), with: key)
                    }
                    #expect(error?.code == .tampered, "\(label) byte \(index) bit \(bit)")
                }
            }
        }
    }

    @Test func aBlobRelabelledAsAnotherSenderOrKindIsTampered() throws {
        let blob = try Sealing.seal(plaintext, kind: .changes, sender: sender, key: key)
        let relabelled = [
            SealedBlob(
                school: blob.school,
                keyID: blob.keyID,
                epoch: blob.epoch,
                sender: "school-ekbacken-2",
                kind: blob.kind,
                nonce: blob.nonce,
                ciphertext: blob.ciphertext
            ),
            SealedBlob(
                school: blob.school,
                keyID: blob.keyID,
                epoch: blob.epoch,
                sender: blob.sender,
                kind: .snapshot,
                nonce: blob.nonce,
                ciphertext: blob.ciphertext
            ),
        ]
        for altered in relabelled {
            let error = #expect(throws: SealingError.self) { try Sealing.open(altered, with: key) }
            #expect(error?.code == .tampered)
        }
    }

    @Test func anotherSchoolsKeyIsRefused() throws {
        let blob = try Sealing.seal(plaintext, kind: .changes, sender: sender, key: key)
        let other = SchoolKey.generate(school: "Björkhagens skola", epoch: 1, now: 1)
        let error = #expect(throws: SealingError.self) { try Sealing.open(blob, with: other) }
        #expect(error?.code == .otherSchool)
        // The same key material under another school's name still does not open it: the school is bound.
        let renamed = SealedBlob(
            school: "Björkhagens skola",
            keyID: blob.keyID,
            epoch: blob.epoch,
            sender: blob.sender,
            kind: blob.kind,
            nonce: blob.nonce,
            ciphertext: blob.ciphertext
        )
        let sameMaterial = SchoolKey(
            school: "Björkhagens skola",
            id: key.id,
            epoch: 1,
            createdAtMilliseconds: 1,
            material: key.material
        )
        let renamedError = #expect(throws: SealingError.self) { try Sealing.open(renamed, with: sameMaterial) }
        #expect(renamedError?.code == .tampered)
    }

    @Test func keysOfAnotherEpochAreOld() throws {
        let second = SchoolKey.generate(school: key.school, epoch: 2, now: 2)
        let old = try Sealing.seal(plaintext, kind: .changes, sender: sender, key: key)
        let new = try Sealing.seal(plaintext, kind: .snapshot, sender: sender, key: second)
        for (blob, opener) in [(old, second), (new, key)] {
            let error = #expect(throws: SealingError.self) { try Sealing.open(blob, with: opener) }
            #expect(error?.code == .oldKey)
        }
    }

    @Test func anotherKeyOfTheSameEpochIsRefused() throws {
        let blob = try Sealing.seal(plaintext, kind: .changes, sender: sender, key: key)
        let other = SchoolKey.generate(school: key.school, epoch: 1, now: 2)
        let error = #expect(throws: SealingError.self) { try Sealing.open(blob, with: other) }
        #expect(error?.code == .otherKey)
    }

    @Test func aTruncatedBlobIsRefusedAsTruncated() throws {
        let blob = try Sealing.seal(plaintext, kind: .changes, sender: sender, key: key)
        let bytes = try blob.encoded()
        for cut in [bytes.count / 2, bytes.count - 2] {
            let error = #expect(throws: SealingError.self) { try SealedBlob.decode(bytes.prefix(cut)) }
            #expect(error?.code == .truncated)
        }
        let short = SealedBlob(
            school: blob.school,
            keyID: blob.keyID,
            epoch: blob.epoch,
            sender: blob.sender,
            kind: blob.kind,
            nonce: blob.nonce,
            ciphertext: Array(blob.ciphertext.prefix(15))
        )
        let error = #expect(throws: SealingError.self) { try SealedBlob.decode(try short.encoded()) }
        #expect(error?.code == .truncated)
    }

    @Test func decodingIsStrict() throws {
        let blob = try Sealing.seal(plaintext, kind: .changes, sender: sender, key: key)
        let text = String(decoding: try blob.encoded(), as: UTF8.self)
        let variants = [
            text.replacingOccurrences(of: "\"version\": 1", with: "\"version\": 2"),
            text.replacingOccurrences(of: "\"version\": 1", with: "\"version\": 1,\n  \"version\": 1"),
            text.replacingOccurrences(of: "\"version\": 1", with: "\"version\": 1,\n  \"extra\": true"),
            text.replacingOccurrences(of: "sst-sealed", with: "sst-other"),
            text.replacingOccurrences(of: "\"changes\"", with: "\"secrets\""),
            text.replacingOccurrences(of: "school-ekbacken-1", with: "school ekbacken"),
            "[]", "",
        ]
        for variant in variants {
            let error = #expect(throws: SealingError.self) { try SealedBlob.decode(Data(variant.utf8)) }
            #expect(error.map { [.malformed, .truncated].contains($0.code) } == true, "\(variant)")
        }
    }

    @Test func codableUsesTheWireForm() throws {
        let blob = try Sealing.seal(plaintext, kind: .snapshot, sender: sender, key: key)
        let data = try JSONEncoder().encode([blob])
        #expect(try JSONDecoder().decode([SealedBlob].self, from: data) == [blob])
        let wire = try JSONDecoder().decode([CanonicalJSON].self, from: data)
        #expect(wire == [try JSONDecoder().decode(CanonicalJSON.self, from: try blob.encoded())])
    }

    @Test func generatedKeysDiffer() {
        let other = SchoolKey.generate(school: key.school, epoch: 1, now: 1)
        #expect(other.id != key.id && other.material != key.material)
        #expect(key.material.count == 32 && Hex.isKeyID(key.id))
        #expect(!key.description.contains(Hex.encode(key.material)))
    }
}
