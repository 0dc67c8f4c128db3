import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import Testing

/// `Store.searchPupils`: finding a pupil by name, personnummer or class, every pupil shown logged.
@Suite struct StaffSearchTests {
    let school = NodeIdentity(node: NodeID("school-a")!, role: .school, school: "Ekbackens skola")
    let asa = RecordID("10000000-0000-4000-8000-000000000001")!
    let ake = RecordID("10000000-0000-4000-8000-000000000002")!
    let bo = RecordID("10000000-0000-4000-8000-000000000003")!
    let annaKarin = RecordID("10000000-0000-4000-8000-000000000004")!
    let deleted = RecordID("10000000-0000-4000-8000-000000000005")!

    func store() throws -> Store {
        let store = try Store.inMemory(identity: school)
        let pupils: [(RecordID, String, String, String, String)] = [
            (asa, "Åsa", "Öberg", "20130101-0003", "7A"), (ake, "Åke", "Öst", "20120505-0006", "7A"),
            (bo, "Bo", "Berg", "20110303-0001", "8B"), (annaKarin, "Anna-Karin", "Lind", "20110707-0003", "8B"),
            (deleted, "Åsa", "Öhman", "20130202-0001", "7A"),
        ]
        for (id, given, family, personnummer, className) in pupils {
            try store.set(
                entity: "pupil",
                record: id,
                values: [
                    "given_name": .string(given), "family_name": .string(family),
                    "personnummer": .string(personnummer), "class_name": .string(className),
                ]
            )
        }
        try store.delete(entity: "pupil", record: deleted)
        return store
    }

    @Test(arguments: [
        ("öb", ["Öberg"]), ("ÅSA", ["Öberg"]), ("7a", ["Öberg", "Öst"]), ("2013", ["Öberg"]),
        ("20130101-0003", ["Öberg"]), ("karin", ["Lind"]), ("anna-karin", ["Lind"]), ("berg", ["Berg"]),
        ("ås 7a", ["Öberg"]), ("8b lind", ["Lind"]), ("2011 8b", ["Berg", "Lind"]), ("öhman", []), ("7c", []),
    ])
    func wordsMatchNameStartsPersonnummerStartsAndClasses(query: String, families: [String]) throws {
        let store = try store()
        let token = try store.addStaff(name: "Anna Lind")
        let found = try store.searchPupils(matching: query, presenting: token)
        #expect(found.matches.map(\.familyName) == families.map(Optional.some))
        #expect(!found.truncated)
    }

    @Test func everyPupilShownIsLoggedAndANoMatchOnce() throws {
        let store = try store()
        let token = try store.addStaff(name: "Anna Lind")
        let before = try store.auditEntries().count
        let found = try store.searchPupils(matching: "7a", presenting: token)
        let entries = try store.auditEntries().dropFirst(before).map(\.entry)
        #expect(entries.map(\.pupil) == found.matches.map(\.pupil) && entries.count == 2)
        #expect(entries.allSatisfy { $0.kind == .staffRead && $0.peer == "staff:Anna Lind" })
        #expect(entries.allSatisfy { $0.detail == "pupil search \"7a\"" && $0.fields.contains("pupil.personnummer") })
        // The fields shown: those with a value (these pupils have no grade or school) and protection.
        #expect(
            entries.allSatisfy {
                $0.fields == [
                    "pupil.class_name", "pupil.family_name", "pupil.given_name", "pupil.personnummer",
                    "pupil.protected_identity",
                ]
            }
        )
        // `sst audit list --pupil` shows that the pupil was shown in a search.
        #expect(try store.auditEntries(pupil: asa).map(\.entry.detail) == ["pupil search \"7a\""])

        _ = try store.searchPupils(matching: "Ödmark", presenting: token)
        let none = try #require(try store.auditEntries().last?.entry)
        #expect(none.pupil == nil && none.detail == "pupil search \"Ödmark\": no match")
    }

    @Test func aLimitCutsTheListAndSaysSo() throws {
        let store = try store()
        let token = try store.addStaff(name: "Anna Lind")
        let found = try store.searchPupils(matching: "7a", limit: 1, presenting: token)
        #expect(found.matches.map(\.pupil) == [asa] && found.truncated)
        #expect(try store.auditEntries().last?.entry.pupil == asa)
    }

    @Test func aShortQueryABadLimitOrARevokedTokenFindsAndLogsNothing() throws {
        let store = try store()
        let token = try store.addStaff(name: "Anna Lind")
        let before = try store.auditEntries().count
        for (query, limit) in [("Å", 10), ("  ", 10), ("7a", 0), ("7a", Store.maxPupilMatches + 1)] {
            let error = #expect(throws: StoreError.self) {
                try store.searchPupils(matching: query, limit: limit, presenting: token)
            }
            #expect(error?.code == .invalidValue)
        }
        try store.revokeStaff(name: "Anna Lind")
        let revoked = #expect(throws: StoreError.self) { try store.searchPupils(matching: "7a", presenting: token) }
        #expect(revoked?.code == .unauthorized)
        #expect(try store.auditEntries().count == before + 1)  // the revocation only
    }
}
