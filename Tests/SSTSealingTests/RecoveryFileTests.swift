import Foundation
import Testing

@testable import SSTSealing

@Suite struct RecoveryFileTests {
    let key = SchoolKey.generate(school: "Ekbackens skola", epoch: 3, now: 1_733_450_000_000)

    @Test func theRecoveryFileRebuildsTheKey() throws {
        let text = RecoveryFile.text(for: key)
        #expect(text.contains("kassaskåp") && text.contains("rektor's safe"))
        #expect(text.contains("Ekbackens skola") && text.contains("epoch 3"))
        #expect(try RecoveryFile.read(text) == key)
        // Windows line ends and upper-case hex, as a retyped file may have them.
        let retyped = text.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try RecoveryFile.read(retyped) == key)
    }

    @Test func aTruncatedRecoveryFileIsRefused() throws {
        let lines = RecoveryFile.text(for: key).split(separator: "\n", omittingEmptySubsequences: false)
        let end = lines.firstIndex { $0 == RecoveryFile.end }!
        for count in 0..<end {
            let cut = lines.prefix(count).joined(separator: "\n")
            let error = #expect(throws: SealingError.self) { try RecoveryFile.read(cut) }
            #expect(error.map { [.truncated, .malformed].contains($0.code) } == true, "\(count) lines")
        }
        // Cut within the key line.
        let text = RecoveryFile.text(for: key)
        let keyLine = lines.first { $0.hasPrefix("key: ") }!
        let shortened = text.replacingOccurrences(of: keyLine, with: keyLine.dropLast(5))
        let error = #expect(throws: SealingError.self) { try RecoveryFile.read(shortened) }
        #expect(error?.code == .truncated)
    }

    @Test func aMistypedCharacterIsRefused() throws {
        let text = RecoveryFile.text(for: key)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let keyLine = String(lines.first { $0.hasPrefix("key: ") }!)
        var characters = Array(keyLine)
        let index = characters.count - 3
        characters[index] = characters[index] == "0" ? "1" : "0"
        for mistyped in [
            text.replacingOccurrences(of: keyLine, with: String(characters)),
            text.replacingOccurrences(of: "epoch: 3", with: "epoch: 2"),
            text.replacingOccurrences(of: "school: Ekbackens skola", with: "school: Ekbacken skola"),
        ] {
            let error = #expect(throws: SealingError.self) { try RecoveryFile.read(mistyped) }
            #expect(error?.code == .tampered)
        }
    }
}
