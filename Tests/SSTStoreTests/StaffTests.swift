import Foundation
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import Testing

/// The store's side of the staff API: tokens kept as digests, revocation, and every read and write through it
/// in the audit trail, written in the transaction that reads or writes.
@Suite struct StaffTests {
    let pupil = RecordID("6d2e3f4a-5b6c-4d7e-8f90-1a2b3c4d5e6f")!
    let school = NodeIdentity(node: NodeID("school-a")!, role: .school, school: "Ekbackens skola")
    let hub = NodeIdentity(node: NodeID("hub-1")!, role: .hub)

    @Test func aTokenIsKeptOnlyAsItsDigestAndFindsItsStaffMember() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("sst.sqlite")
        let store = try Store.create(at: path, identity: school)
        let token = try store.addStaff(name: "Anna Lind")
        let other = try store.addStaff(name: "Bo Berg")
        #expect(token != other && StaffToken(token.text) == token)
        #expect(try store.staffMember(presenting: token)?.name == "Anna Lind")
        #expect(try store.staffMember(presenting: other)?.name == "Bo Berg")
        #expect(try store.staffMember(presenting: StaffToken.random()) == nil)
        #expect(try store.staffMembers().map(\.name) == ["Anna Lind", "Bo Berg"])
        // Neither token is anywhere in the database files: a backup grants no access.
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
            .filter { $0.hasPrefix("sst.sqlite") }
        #expect(!files.isEmpty)
        let contents = try files.map { try Data(contentsOf: directory.url.appendingPathComponent($0)) }
        #expect(contents.allSatisfy { $0.range(of: Data(token.text.utf8)) == nil })
        #expect(contents.allSatisfy { $0.range(of: Data(other.text.utf8)) == nil })
        // …while its digest is: the search looks at the bytes the tokens were written to.
        #expect(contents.contains { $0.range(of: Data(token.digest.utf8)) != nil })
        let kinds = try store.auditEntries().map(\.entry.kind)
        #expect(kinds == [.staffAdded, .staffAdded])
        #expect(!String(describing: token).contains(token.text))
    }

    @Test func aRevokedTokenReadsAndWritesNothingAndIsNotLogged() throws {
        let store = try Store.inMemory(identity: school)
        try store.set(entity: "pupil", record: pupil, values: ["grade": .integer(7)])
        let token = try store.addStaff(name: "Anna Lind")
        try store.revokeStaff(name: "Anna Lind")
        let audit = try store.auditEntries().count
        let sequence = try store.lastSequence()
        #expect(try store.staffMember(presenting: token) == nil)
        let read = #expect(throws: StoreError.self) {
            try store.readRecord(entity: "pupil", record: pupil, presenting: token)
        }
        #expect(read?.code == .unauthorized)
        let write = #expect(throws: StoreError.self) {
            try store.writeRecord(entity: "pupil", record: pupil, values: ["grade": .integer(8)], presenting: token)
        }
        #expect(write?.code == .unauthorized)
        #expect(try store.auditEntries().count == audit && store.lastSequence() == sequence)
        #expect(try store.staffMembers().first?.isActive == false)
        // Revoking twice is an error; the name may be added again, with a new token; the old stays refused.
        #expect(throws: StoreError.self) { try store.revokeStaff(name: "Anna Lind") }
        let again = try store.addStaff(name: "Anna Lind")
        #expect(again != token)
        #expect(try store.staffMember(presenting: again)?.name == "Anna Lind")
        #expect(try store.staffMember(presenting: token) == nil)
        #expect(try store.auditEntries().map(\.entry.kind).suffix(3) == [.staffAdded, .staffRevoked, .staffAdded])
    }

    @Test func aValidNameIsAddedOnceAndABadNameNever() throws {
        let store = try Store.inMemory(identity: school)
        _ = try store.addStaff(name: "Anna Lind")
        let twice = #expect(throws: StoreError.self) { try store.addStaff(name: "Anna Lind") }
        #expect(twice?.code == .alreadyExists)
        for bad in ["", "   ", "Anna\nLind", "Anna\tLind", String(repeating: "x", count: 101)] {
            let error = #expect(throws: StoreError.self) { try store.addStaff(name: bad) }
            #expect(error?.code == .invalidValue)
        }
        #expect(try store.staffMembers().count == 1)
    }

    @Test func everyReadIsLoggedWithThePupilAndTheFieldsRead() throws {
        let store = try Store.inMemory(identity: school)
        let guardian = RecordID.random()
        try store.set(entity: "pupil", record: pupil, values: ["given_name": .string("Åsa"), "grade": .integer(7)])
        try store.set(entity: "guardian", record: guardian, values: ["pupil_id": .string(pupil.rawValue)])
        let token = try store.addStaff(name: "Anna Lind")

        let fields = try #require(try store.readRecord(entity: "guardian", record: guardian, presenting: token))
        #expect(fields.mapValues(\.value) == ["pupil_id": .string(pupil.rawValue)])
        let entry = try #require(try store.auditEntries().last?.entry)
        #expect(entry.kind == .staffRead && entry.peer == "staff:Anna Lind" && entry.pupil == pupil)
        #expect(entry.fields == ["guardian.pupil_id"] && entry.detail == "guardian \(guardian)")

        // A record that is not here: nothing returned, and the attempt is logged too.
        let unknown = RecordID.random()
        #expect(try store.readRecord(entity: "pupil", record: unknown, presenting: token) == nil)
        let missing = try #require(try store.auditEntries().last?.entry)
        #expect(missing.kind == .staffRead && missing.pupil == unknown && missing.fields.isEmpty)
        #expect(missing.detail.hasSuffix("not found"))
        // `sst audit list --pupil` finds the staff's reads of the pupil's records.
        #expect(try store.auditEntries(pupil: pupil).map(\.entry.kind) == [.staffRead])
        #expect(try store.verifyAudit().problems.isEmpty)
    }

    @Test func aWriteIsOneStampedChangeLoggedWithItsFields() throws {
        let store = try Store.inMemory(identity: school)
        try store.set(entity: "pupil", record: pupil, values: ["grade": .integer(7)])
        let token = try store.addStaff(name: "Anna Lind")
        let changes = try store.writeRecord(
            entity: "pupil",
            record: pupil,
            values: ["grade": .integer(8), "class_name": .string("8B")],
            presenting: token
        )
        #expect(Set(changes.map(\.stamp)).count == 1 && changes.map(\.field).sorted() == ["class_name", "grade"])
        #expect(try store.record(entity: "pupil", record: pupil)?["grade"]?.value == .integer(8))
        let entry = try #require(try store.auditEntries().last?.entry)
        #expect(entry.kind == .staffWrite && entry.peer == "staff:Anna Lind" && entry.pupil == pupil)
        #expect(entry.fields == ["pupil.class_name", "pupil.grade"])
        #expect(entry.detail == "pupil \(pupil) at \(changes[0].stamp)")
        // The write is a local change like any other: it is in the log the next sync pushes.
        #expect(try store.exportChanges(since: 0).changes.contains { $0.stamp == changes[0].stamp })
    }

    @Test(arguments: [
        ("school", "social_support", ["has_ongoing_support": Value.boolean(true)], "has_ongoing_support"),
        // With a field the school owns beside it: the write is whole or nothing.
        (
            "school", "concern_report",
            [
                "pupil_id": .string("6d2e3f4a-5b6c-4d7e-8f90-1a2b3c4d5e6f"),
                "received_at": .string("2026-09-01T08:00:00Z"),
            ],
            "received_at"
        ),
        ("hub", "pupil", ["grade": .integer(8)], "grade"),
        ("hub", "absence", ["pupil_id": .string("6d2e3f4a-5b6c-4d7e-8f90-1a2b3c4d5e6f")], "pupil_id"),
    ])
    func aFieldTheOtherSideOwnsIsRefusedAndNothingChanges(
        node: String,
        entity: String,
        values: [String: Value],
        refused: String
    ) throws {
        let store = try Store.inMemory(identity: node == "hub" ? hub : school)
        let record = RecordID.random()
        let token = try store.addStaff(name: "Anna Lind")
        let (audit, sequence) = (try store.auditEntries().count, try store.lastSequence())
        let error = #expect(throws: StoreError.self) {
            try store.writeRecord(entity: entity, record: record, values: values, presenting: token)
        }
        #expect(error?.code == .notOwner)
        #expect(error?.message.contains("\(entity).\(refused)") == true)
        #expect(try store.record(entity: entity, record: record) == nil)
        #expect(try store.auditEntries().count == audit && store.lastSequence() == sequence)
    }

    @Test(arguments: ["school", "hub"])
    func bothSidesWriteTheSharedCaseWork(node: String) throws {
        let store = try Store.inMemory(identity: node == "hub" ? hub : school)
        let token = try store.addStaff(name: "Anna Lind")
        let meeting = RecordID.random()
        let changes = try store.writeRecord(
            entity: "meeting",
            record: meeting,
            values: [
                "notes": .string("Samtal med Åsa och vårdnadshavare."), "participants": .list(["mentor", "kurator"]),
            ],
            presenting: token
        )
        #expect(changes.count == 2)
        #expect(
            try store.record(entity: "meeting", record: meeting)?["notes"]?.value
                == .string("Samtal med Åsa och vårdnadshavare.")
        )
    }

    @Test func aConsentIsNeverWrittenFieldByFieldAndABadValueChangesNothing() throws {
        let store = try Store.inMemory(identity: school)
        try store.set(entity: "pupil", record: pupil, values: ["grade": .integer(7)])
        let token = try store.addStaff(name: "Anna Lind")
        let (audit, sequence) = (try store.auditEntries().count, try store.lastSequence())
        let consent = #expect(throws: StoreError.self) {
            try store.writeRecord(
                entity: "consent",
                record: RecordID.random(),
                values: ["pupil_id": .string(pupil.rawValue), "status": .string("active")],
                presenting: token
            )
        }
        #expect(consent?.code == .notOwner && consent?.remedy.contains("sst consent grant") == true)
        let bad = #expect(throws: StoreError.self) {
            try store.writeRecord(
                entity: "pupil",
                record: pupil,
                values: ["class_name": .string("8B"), "grade": .string("sju")],
                presenting: token
            )
        }
        #expect(bad?.code == .invalidValue)
        let empty = #expect(throws: StoreError.self) {
            try store.writeRecord(entity: "pupil", record: pupil, values: [:], presenting: token)
        }
        #expect(empty?.code == .invalidValue)
        #expect(try store.record(entity: "pupil", record: pupil)?["class_name"] == nil)
        #expect(try store.auditEntries().count == audit && store.lastSequence() == sequence)
    }

    @Test func aPupilsFileIsEveryRecordAboutThePupilReadAsOneLoggedRead() throws {
        let store = try Store.inMemory(identity: school)
        let other = RecordID.random()
        let (guardian, caseID, meeting, absence) = (
            RecordID.random(), RecordID.random(), RecordID.random(), RecordID.random()
        )
        try store.set(entity: "pupil", record: pupil, values: ["given_name": .string("Åsa")])
        try store.set(entity: "guardian", record: guardian, values: ["pupil_id": .string(pupil.rawValue)])
        try store.set(
            entity: "case",
            record: caseID,
            values: ["pupil_id": .string(pupil.rawValue), "category": .string("absence")]
        )
        try store.set(entity: "meeting", record: meeting, values: ["case_id": .string(caseID.rawValue)])
        try store.set(entity: "absence", record: absence, values: ["pupil_id": .string(pupil.rawValue)])
        // Another pupil and its guardian and case: not in the file.
        try store.set(entity: "pupil", record: other, values: ["given_name": .string("Bo")])
        try store.set(entity: "guardian", record: RecordID.random(), values: ["pupil_id": .string(other.rawValue)])
        let otherCase = RecordID.random()
        try store.set(entity: "case", record: otherCase, values: ["pupil_id": .string(other.rawValue)])
        try store.set(entity: "meeting", record: RecordID.random(), values: ["case_id": .string(otherCase.rawValue)])
        let token = try store.addStaff(name: "Anna Lind")

        let file = try #require(try store.readPupilFile(pupil: pupil, presenting: token))
        let expected = [
            ("absence", absence), ("case", caseID), ("guardian", guardian), ("meeting", meeting), ("pupil", pupil),
        ]
        #expect(file.records.map(\.entity) == expected.map(\.0) && file.records.map(\.record) == expected.map(\.1))
        #expect(file.withheldHealthRecords == 0)
        for read in file.records {
            #expect(read.fields == (try store.record(entity: read.entity, record: read.record)))
        }
        let entry = try #require(try store.auditEntries().last?.entry)
        #expect(entry.kind == .staffRead && entry.peer == "staff:Anna Lind" && entry.pupil == pupil)
        #expect(
            entry.fields == [
                "absence.pupil_id", "case.category", "case.pupil_id", "guardian.pupil_id", "meeting.case_id",
                "pupil.given_name",
            ]
        )
        #expect(entry.detail == "pupil file of \(pupil): 5 records")

        let unknown = RecordID.random()
        #expect(try store.readPupilFile(pupil: unknown, presenting: token) == nil)
        let missing = try #require(try store.auditEntries().last?.entry)
        #expect(missing.kind == .staffRead && missing.pupil == unknown && missing.detail.hasSuffix("not found"))
        try store.revokeStaff(name: "Anna Lind")
        #expect(throws: StoreError.self) { try store.readPupilFile(pupil: pupil, presenting: token) }
    }

    @Test func elevhalsaRecordsAreReadAndWrittenByElevhalsaStaffOnly() throws {
        let store = try Store.inMemory(identity: school)
        let note = RecordID.random()
        try store.set(entity: "pupil", record: pupil, values: ["given_name": .string("Åsa")])
        try store.set(
            entity: "health_note",
            record: note,
            values: ["pupil_id": .string(pupil.rawValue), "text": .string("Samtal med skolsköterskan.")]
        )
        let teacher = try store.addStaff(name: "Mentor Bo Berg")
        let nurse = try store.addStaff(name: "Skolsköterska Eva Ek", healthRecords: true)
        #expect(try store.staffMembers().map(\.healthRecords) == [false, true])
        let (audit, sequence) = (try store.auditEntries().count, try store.lastSequence())

        let read = #expect(throws: StoreError.self) {
            try store.readRecord(entity: "health_note", record: note, presenting: teacher)
        }
        #expect(read?.code == .notPermitted && read?.remedy.contains("--health-records") == true)
        let write = #expect(throws: StoreError.self) {
            try store.writeRecord(
                entity: "health_note",
                record: note,
                values: ["text": .string("x")],
                presenting: teacher
            )
        }
        #expect(write?.code == .notPermitted)
        #expect(try store.auditEntries().count == audit && store.lastSequence() == sequence)

        // The teacher's view of the file leaves the note out and says so; the nurse's holds it.
        let teachers = try #require(try store.readPupilFile(pupil: pupil, presenting: teacher))
        #expect(teachers.records.map(\.entity) == ["pupil"] && teachers.withheldHealthRecords == 1)
        let logged = try #require(try store.auditEntries().last?.entry)
        #expect(!logged.fields.contains("health_note.text") && logged.detail.hasSuffix("elevhälsa records withheld: 1"))
        let nurses = try #require(try store.readPupilFile(pupil: pupil, presenting: nurse))
        #expect(nurses.records.map(\.entity) == ["health_note", "pupil"] && nurses.withheldHealthRecords == 0)
        #expect(try store.readRecord(entity: "health_note", record: note, presenting: nurse)?["text"] != nil)
        try store.writeRecord(
            entity: "health_note",
            record: note,
            values: ["text": .string("Uppföljning.")],
            presenting: nurse
        )

        // A file of only withheld records is not "not found": the teacher learns that there is something.
        let other = RecordID.random()
        try store.set(entity: "health_note", record: RecordID.random(), values: ["pupil_id": .string(other.rawValue)])
        #expect(try store.readPupilFile(pupil: other, presenting: teacher)?.withheldHealthRecords == 1)
    }

    @Test func staffDeleteARecordTheirSideWritesAndTheDeletionIsLogged() throws {
        let store = try Store.inMemory(identity: school)
        let (absence, support, note) = (RecordID.random(), RecordID.random(), RecordID.random())
        try store.set(entity: "pupil", record: pupil, values: ["given_name": .string("Åsa")])
        try store.set(entity: "absence", record: absence, values: ["pupil_id": .string(pupil.rawValue)])
        try store.set(entity: "health_note", record: note, values: ["pupil_id": .string(pupil.rawValue)])
        let consent = RecordID.random()
        try store.set(entity: "consent", record: consent, values: ["pupil_id": .string(pupil.rawValue)])
        let token = try store.addStaff(name: "Anna Lind")
        let (audit, sequence) = (try store.auditEntries().count, try store.lastSequence())
        let refusals: [(String, RecordID, StoreError.Code)] = [
            ("social_support", support, .notOwner), ("consent", consent, .notOwner),
            ("health_note", note, .notPermitted), ("absence", RecordID.random(), .notFound),
        ]
        for (entity, record, code) in refusals {
            let error = #expect(throws: StoreError.self, "\(entity)") {
                try store.delete(entity: entity, record: record, presenting: token)
            }
            #expect(error?.code == code, "\(entity)")
        }
        #expect(try store.auditEntries().count == audit && store.lastSequence() == sequence)

        let change = try store.delete(entity: "absence", record: absence, presenting: token)
        #expect(try store.record(entity: "absence", record: absence)?["_deleted"]?.value == .boolean(true))
        let entry = try #require(try store.auditEntries().last?.entry)
        #expect(entry.kind == .staffWrite && entry.pupil == pupil && entry.fields == ["absence._deleted"])
        #expect(entry.detail == "absence \(absence) at \(change.stamp)")
    }
}
