import Foundation
import GRDB
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import Testing

/// A purge (*gallring*) or a deletion of a record that crossed the boundary follows it to the side that holds
/// it, judged on what crossed rather than on the erased state; the receiver erases, audits and answers with
/// a receipt.
struct PurgeCrossingTests {
    static let notes = "GALLRA-MÖTESANTECKNING-7Q"

    @Test func aSchoolsPurgeOfASharedMeetingAndAnAbsenceErasesThemAtTheHub() throws {
        let pair = try PrivacyPair.files()
        let pupil = try PrivacyPupil.write(on: pair.school, [:])
        try pupil.grant(PrivacyNodes.allScopes, on: pair.school)
        let sstCase = try pupil.add("case", on: pair.school, ["category": .string("absence")])
        let meeting = RecordID.random()
        try pair.school.set(
            entity: "meeting",
            record: meeting,
            values: ["case_id": .string(sstCase.rawValue), "notes": .string(Self.notes)]
        )
        let absence = try pupil.add("absence", on: pair.school, ["scheduled_minutes": .integer(4_711)])
        try pair.syncToHub()
        #expect(try pair.hub.record(entity: "meeting", record: meeting)?["notes"]?.value == .string(Self.notes))
        #expect(try pair.hub.record(entity: "absence", record: absence)?["scheduled_minutes"] != nil)

        _ = try pair.school.purge(entity: "meeting", record: meeting)
        _ = try pair.school.purge(entity: "absence", record: absence)
        let export = try pair.syncToHub()
        #expect(export.changeSet.changes.filter { $0.field == Schema.purgedField }.count == 2)

        for (entity, record) in [("meeting", meeting), ("absence", absence)] {
            let fields = try #require(try pair.hub.record(entity: entity, record: record))
            #expect(fields.keys.sorted() == [Schema.purgedField], "\(entity) at the hub: \(fields.keys.sorted())")
        }
        expectNoMarker([Self.notes], in: try pair.databaseFiles("hub"))
        let purged = try pair.hub.auditEntries().map(\.entry).filter { $0.kind == .purged }
        #expect(purged.count == 2)
        #expect(purged.allSatisfy { $0.pupil == pupil.id && $0.detail.hasPrefix("gallring of") })

        // The receipts are the hub's own writes, not values received from the school: the consent sweep
        // must not take them for received data.
        let receiptSides = try pair.hub.writer.read { db in
            try Optional<String>.fetchAll(
                db,
                sql: "SELECT DISTINCT s.value ->> 3 FROM purge_receipt r, json_each(r._stamps) s"
            )
        }
        #expect(receiptSides == [nil], "the hub's receipts are marked as received from \(receiptSides)")

        // The receipts go back; the school audits the acknowledgement. A replay acknowledges nothing twice.
        try pair.syncToSchool()
        let acknowledged = try pair.school.auditEntries().map(\.entry).filter { $0.kind == .purgeAcknowledged }
        #expect(acknowledged.count == 2)
        try pair.hub.apply(export.changeSet, from: PrivacyNodes.schoolPeer)
        #expect(try pair.hub.auditEntries().map(\.entry).filter { $0.kind == .purged }.count == 2)
    }

    @Test func aRecordThatNeverCrossedKeepsItsPurgeAtHome() throws {
        let pair = try PrivacyPair.inMemory()
        let pupil = try PrivacyPupil.write(on: pair.school, [:])
        let absence = try pupil.add("absence", on: pair.school, ["scheduled_minutes": .integer(60)])
        try pair.syncToHub()
        _ = try pair.school.purge(entity: "absence", record: absence)
        let export = try pair.syncToHub()
        #expect(!export.changeSet.changes.contains { $0.record == absence })
        #expect(try pair.hub.record(entity: "absence", record: absence) == nil)
    }

    @Test func aDeletionOfASharedCaseReachesTheHubAfterTheConsentLapsed() throws {
        let pair = try PrivacyPair.inMemory()
        let pupil = try PrivacyPupil.write(on: pair.school, [:])
        let consent = try pupil.grant(["sst_case"], on: pair.school)
        let sstCase = try pupil.add("case", on: pair.school, ["category": .string("absence")])
        try pair.syncToHub()
        // Retained by a policy that keeps what was received, the hub still holds the case after a withdrawal.
        _ = try pair.school.withdrawConsent(id: consent.id)
        try pair.syncToHub()
        _ = try pair.school.delete(entity: "case", record: sstCase)
        let export = try pair.syncToHub()
        #expect(export.changeSet.changes.contains { $0.record == sstCase && $0.field == Schema.deletedField })
    }
}
