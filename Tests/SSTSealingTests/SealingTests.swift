import Foundation
import SSTCore
import Testing

@testable import SSTSealing

@Suite struct SealingTests {
    let key = SchoolKey.generate(school: "Ekbackens skola", epoch: 1, now: 1_733_450_000_000)
    let sender = NodeID("school-ekbacken-1")!

    @Test func sealedDataOpensWithTheKey() throws {
        let plaintext = Data("hälsoanteckning".utf8)
        let blob = try Sealing.seal(plaintext, kind: .changes, sender: sender, key: key)
        let decoded = try SealedBlob.decode(try blob.encoded())
        #expect(decoded == blob)
        #expect(try Sealing.open(decoded, with: key) == plaintext)
    }
}
