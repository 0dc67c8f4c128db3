import Foundation
import SSTCore
import SSTPrivacy
import Testing

/// The hash-chained audit trail: an edited, removed or reordered entry is detected and named.
@Suite struct AuditChainTests {
    private static let pupil = recordID(number: 1)

    /// Synthetic entries, one of each kind and then some.
    static func entries(_ count: Int) -> [AuditEntry] {
        (0..<count).map { index in
            let kind = AuditEntry.Kind.allCases[index % AuditEntry.Kind.allCases.count]
            return AuditEntry(
                kind: kind,
                atMilliseconds: 1_750_000_000_000 + UInt64(index) * 60_000,
                direction: index.isMultiple(of: 2) ? .toSocial : .toSchool,
                peer: "hub-syd",
                pupil: pupil,
                fields: ["pupil.personnummer", "absence.period_start"],
                basis: kind == .refused ? nil : "consent:identity \(recordID(number: 0xC001))",
                detail: "synthetic entry \(index + 1)"
            )
        }
    }

    /// The stored chain of `count` entries, sequences from 1.
    static func chain(_ count: Int) -> [AuditChain.StoredEntry] {
        var previous = AuditChain.genesis
        return entries(count).enumerated().map { index, entry in
            let sequence = Int64(index + 1)
            let text = entry.json.rendered()
            let hash = AuditChain.hash(sequence: sequence, text: text, previousHash: previous)
            defer { previous = hash }
            return AuditChain.StoredEntry(sequence: sequence, text: text, previousHash: previous, hash: hash)
        }
    }

    /// The stored text is written without building the JSON tree; it must be the tree's canonical rendering,
    /// byte for byte, for every shape of entry (else the chain of an existing trail would no longer verify).
    @Test(arguments: 0..<200)
    func anEntrysTextIsItsCanonicalJSON(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let pieces = [
            "ekbacken-1", "Åsa \"Kalle\" Öberg", "rad ett\nrad två", "back\\slash", "tab\t", "\u{1}\u{1f}", "", "😀",
        ]
        func text() -> String {
            (0..<Int.random(in: 0...3, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
        }
        func maybe<T>(_ value: T) -> T? { Bool.random(using: &random) ? value : nil }
        let entry = AuditEntry(
            kind: AuditEntry.Kind.allCases.randomElement(using: &random)!,
            atMilliseconds: UInt64.random(in: 0...4_000_000_000_000, using: &random),
            direction: maybe([Direction.toSocial, .toSchool].randomElement(using: &random)!),
            peer: maybe(text()),
            pupil: maybe(recordID(number: Int.random(in: 1...0xFFFF, using: &random))),
            fields: (0..<Int.random(in: 0...4, using: &random)).map { _ in text() },
            basis: maybe(text()),
            detail: text()
        )
        #expect(entry.text == entry.json.rendered())
    }

    private static func stored(
        _ entry: AuditChain.StoredEntry,
        sequence: Int64? = nil,
        text: String? = nil,
        previousHash: String? = nil
    ) -> AuditChain.StoredEntry {
        AuditChain.StoredEntry(
            sequence: sequence ?? entry.sequence,
            text: text ?? entry.text,
            previousHash: previousHash ?? entry.previousHash,
            hash: entry.hash
        )
    }

    @Test(arguments: [0, 1, 2, 10])
    func anIntactChainVerifiesWithNoProblems(count: Int) {
        #expect(AuditChain.verify(Self.chain(count)) == [])
    }

    @Test func theFirstEntryFollowsGenesisAndHashesAreHex() {
        let chain = Self.chain(3)
        #expect(chain[0].previousHash == String(repeating: "0", count: 64))
        #expect(chain.allSatisfy { $0.hash.count == 64 && $0.hash.allSatisfy { "0123456789abcdef".contains($0) } })
        #expect(Set(chain.map(\.hash)).count == 3)
    }

    @Test(arguments: 1...6)
    func editingOneEntryIsNamed(index: Int) {
        var chain = Self.chain(6)
        let edited = chain[index - 1].text.replacingOccurrences(of: "synthetic entry", with: "harmless entry")
        #expect(edited != chain[index - 1].text)
        chain[index - 1] = Self.stored(chain[index - 1], text: edited)
        #expect(AuditChain.verify(chain) == ["entry \(index) was edited: its content does not match its hash"])
    }

    @Test func changingOneCharacterOfTheDetailIsDetected() throws {
        var chain = Self.chain(4)
        let entry = try #require(
            AuditEntry(json: try JSONDecoder().decode(CanonicalJSON.self, from: Data(chain[2].text.utf8)))
        )
        let forged = AuditEntry(
            kind: entry.kind,
            atMilliseconds: entry.atMilliseconds,
            direction: entry.direction,
            peer: entry.peer,
            pupil: entry.pupil,
            fields: entry.fields + ["health_note.text"],
            basis: entry.basis,
            detail: entry.detail
        )
        chain[2] = Self.stored(chain[2], text: forged.json.rendered())
        #expect(AuditChain.verify(chain).contains { $0.contains("entry 3 was edited") })
    }

    @Test(arguments: 1...5)
    func deletingOneEntryIsDetectedAndNamed(index: Int) {
        var chain = Self.chain(6)
        chain.remove(at: index - 1)
        let problems = AuditChain.verify(chain)
        // One problem, at the gap, naming the removed sequence number.
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.contains("removed") == true, "\(problems)")
        #expect(problems.first?.contains("\(index)–") == true || problems.first?.contains("entry \(index) ") == true)
    }

    @Test func deletingOneEntryAndRenumberingTheRestIsDetected() {
        var chain = Self.chain(6)
        chain.remove(at: 2)
        chain = chain.enumerated().map { Self.stored($1, sequence: Int64($0 + 1)) }
        let problems = AuditChain.verify(chain)
        #expect(problems.contains { $0.contains("entry 3") }, "\(problems)")
    }

    @Test(arguments: [(1, 2), (2, 3), (2, 5), (1, 6)])
    func swappingTwoEntriesInPlaceIsDetected(first: Int, second: Int) {
        // The sequence numbers stay where they were; everything else of the two rows is exchanged.
        var chain = Self.chain(6)
        let (a, b) = (chain[first - 1], chain[second - 1])
        chain[first - 1] = AuditChain.StoredEntry(
            sequence: a.sequence,
            text: b.text,
            previousHash: b.previousHash,
            hash: b.hash
        )
        chain[second - 1] = AuditChain.StoredEntry(
            sequence: b.sequence,
            text: a.text,
            previousHash: a.previousHash,
            hash: a.hash
        )
        let problems = AuditChain.verify(chain)
        #expect(problems.contains { $0.contains("entry \(first) ") }, "\(problems)")
        #expect(problems.contains { $0.contains("entry \(second) ") }, "\(problems)")
    }

    @Test(arguments: [(1, 2), (3, 4), (2, 5)])
    func swappingTwoRowsWithTheirSequenceNumbersIsDetected(first: Int, second: Int) {
        var chain = Self.chain(6)
        chain.swapAt(first - 1, second - 1)
        let problems = AuditChain.verify(chain)
        #expect(problems.contains { $0.contains("out of order") }, "\(problems)")
    }

    @Test func swappingOnlyTheTextsOfTwoEntriesNamesBoth() {
        var chain = Self.chain(5)
        let (second, fourth) = (chain[1].text, chain[3].text)
        chain[1] = Self.stored(chain[1], text: fourth)
        chain[3] = Self.stored(chain[3], text: second)
        #expect(
            AuditChain.verify(chain) == [
                "entry 2 was edited: its content does not match its hash",
                "entry 4 was edited: its content does not match its hash",
            ]
        )
    }

    @Test(arguments: 1...5)
    func changingAPreviousHashIsDetected(index: Int) {
        var chain = Self.chain(5)
        let forged = String(repeating: "f", count: 64)
        chain[index - 1] = Self.stored(chain[index - 1], previousHash: forged)
        let problems = AuditChain.verify(chain)
        #expect(problems.contains { $0.hasPrefix("entry \(index) ") }, "\(problems)")
    }

    @Test(arguments: AuditEntry.Kind.allCases)
    func anEntryReadsBackFromItsJSON(kind: AuditEntry.Kind) throws {
        let full = AuditEntry(
            kind: kind,
            atMilliseconds: 1_800_000_000_000,
            direction: .toSchool,
            peer: "skola-norr",
            pupil: Self.pupil,
            fields: ["case.plan", "case.phase"],
            basis: "legal_duty",
            detail: "rad 1\nrad 2 \"citat\" åäö"
        )
        let bare = AuditEntry(kind: kind, atMilliseconds: 0)
        for entry in [full, bare] {
            #expect(AuditEntry(json: entry.json) == entry)
            let reread = try JSONDecoder().decode(CanonicalJSON.self, from: Data(entry.json.rendered().utf8))
            #expect(AuditEntry(json: reread) == entry)
        }
        #expect(full.fields == ["case.phase", "case.plan"])
    }

    @Test func jsonThatIsNotAnEntryIsNotReadAsOne() {
        #expect(AuditEntry(json: .array([])) == nil)
        let entry = AuditEntry(kind: .sent, atMilliseconds: 5)
        guard case .object(var members) = entry.json else { return }
        members["kind"] = .string("leaked")
        #expect(AuditEntry(json: .object(members)) == nil)
    }
}
