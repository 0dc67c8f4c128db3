import Foundation
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import Testing

@testable import SSTWeb

/// The page's Swedish table of messages (WebMessages): every line of it compiles and is reached, and the store's
/// refusals of a role's bounds (elevhälsa records, a mentor's classes) read in Swedish naming the member.
@Suite struct WebMessagesTests {
    @Test func everyRuleOfTheTableIsARegularExpression() throws {
        for rule in WebMessages.storeMessages + WebMessages.importMessages {
            #expect(throws: Never.self, "\(rule.english)") { _ = try Regex(rule.english) }
        }
        #expect(WebMessages.storeMessages.allSatisfy { WebMessages.titles[$0.code] != nil })
    }

    @Test func theRolesRefusalsReadInSwedishNamingTheMember() throws {
        let district = try TestDistrict()
        let school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
        let pupil = try TestPupil(at: school)
        try school.store.set(entity: "pupil", record: pupil.pupil, values: ["class_name": .string("9C")])
        let note = RecordID.random()
        try school.store.set(
            entity: "health_note",
            record: note,
            values: ["pupil_id": .string(pupil.pupil.rawValue), "text": .string("Anteckning")]
        )
        let own = try TestPupil(at: school, givenName: "Bo", personnummer: "20130102-0002")
        try school.store.set(entity: "pupil", record: own.pupil, values: ["class_name": .string("8B")])
        let ownCase = try own.openCase(at: school)
        let mentor = try school.store.addStaff(name: "Maj Mentor", role: .mentor, classes: ["8B"])
        let team = try school.store.addStaff(name: "Kim Kurator", role: .sst)
        let refusals: [(StaffToken, String, RecordID, String)] = [
            (mentor, "pupil", pupil.pupil, "Maj Mentor är mentor för 8B, inte för den här elevens klass."),
            (mentor, "case", ownCase, "Maj Mentor (mentor) får inte läsa ärende."),
            (team, "health_note", note, "Elevhälsoanteckning hör till elevhälsan, och Kim Kurator hör inte till"),
        ]
        for (token, entity, record, swedish) in refusals {
            let error = #expect(throws: StoreError.self) {
                try school.store.readRecord(entity: entity, record: record, presenting: token)
            }
            let message = try #require(error.map(WebMessages.storeError)?.message, "\(error?.message ?? "")")
            #expect(message.contains(swedish), "\(message)")
        }
        #expect(WebMessages.genitive("Kurt Kungs") == "Kurt Kungs" && WebMessages.genitive("Anna Lind") == "Anna Linds")
    }
}
