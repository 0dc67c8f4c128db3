import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import Testing

/// Conflicts for staff: listed with each read logged, resolved as the staff member's logged write.
@Suite struct StaffConflictTests {
    let pupil = RecordID("2b3c4d5e-6f70-4a81-9b2c-3d4e5f607182")!
    let caseID = RecordID("3c4d5e6f-7081-4b92-8c3d-4e5f60718293")!

    /// Two nodes of one school that wrote the case plan concurrently; the second has both values.
    func conflicted() throws -> (first: Store, second: Store) {
        let clock = TestPhysicalClock()
        func node(_ name: String) throws -> Store {
            try Store.inMemory(
                identity: NodeIdentity(node: NodeID(name)!, role: .school, school: "Ekbackens skola"),
                physicalClock: clock
            )
        }
        let (first, second) = (try node("school-a"), try node("school-b"))
        try first.set(
            entity: "case",
            record: caseID,
            values: ["pupil_id": .string(pupil.rawValue), "plan": .string("Plan A")]
        )
        try second.set(entity: "case", record: caseID, values: ["plan": .string("Plan B")])
        try second.apply(try first.exportChanges(since: 0))
        return (first, second)
    }

    @Test func staffSeeTheConflictLoggedAndResolveItAsTheirLoggedWrite() throws {
        let (first, second) = try conflicted()
        let token = try second.addStaff(name: "Anna Lind")
        let conflicts = try second.staffConflicts(presenting: token)
        #expect(conflicts.count == 1 && conflicts[0].field == "plan")
        #expect(
            Set([conflicts[0].current.value] + conflicts[0].others.map(\.value)) == [
                .string("Plan A"), .string("Plan B"),
            ]
        )
        let read = try #require(try second.auditEntries().last?.entry)
        #expect(read.kind == .staffRead && read.pupil == pupil && read.fields == ["case.plan"])
        #expect(read.detail == "conflict in case \(caseID)")

        let change = try second.resolveConflict(
            entity: "case",
            record: caseID,
            field: "plan",
            value: .string("Plan A och B"),
            presenting: token
        )
        #expect(try second.conflicts().isEmpty)
        let write = try #require(try second.auditEntries().last?.entry)
        #expect(write.kind == .staffWrite && write.pupil == pupil && write.fields == ["case.plan"])
        #expect(write.detail == "case \(caseID) at \(change.stamp)")
        // The resolution travels like any change and clears the conflict where it arrives.
        try first.apply(try second.exportChanges(since: 0))
        #expect(try first.conflicts().isEmpty)
        #expect(try first.record(entity: "case", record: caseID)?["plan"]?.value == .string("Plan A och B"))
    }

    @Test func noConflictAFieldNotOwnedOrARevokedTokenChangesNothing() throws {
        let (_, second) = try conflicted()
        let token = try second.addStaff(name: "Anna Lind")
        let (audit, sequence) = (try second.auditEntries().count, try second.lastSequence())
        let noConflict = #expect(throws: StoreError.self) {
            try second.resolveConflict(
                entity: "case",
                record: caseID,
                field: "concern",
                value: .string("x"),
                presenting: token
            )
        }
        #expect(noConflict?.code == .noConflict)
        let notOwned = #expect(throws: StoreError.self) {
            try second.resolveConflict(
                entity: "social_support",
                record: RecordID.random(),
                field: "decision_notes",
                value: .string("x"),
                presenting: token
            )
        }
        #expect(notOwned?.code == .notOwner)
        #expect(try second.auditEntries().count == audit && second.lastSequence() == sequence)
        try second.revokeStaff(name: "Anna Lind")
        for attempt in [
            { _ = try second.staffConflicts(presenting: token) },
            {
                _ = try second.resolveConflict(
                    entity: "case",
                    record: caseID,
                    field: "plan",
                    value: .string("x"),
                    presenting: token
                )
            },
        ] {
            let error = #expect(throws: StoreError.self) { try attempt() }
            #expect(error?.code == .unauthorized)
        }
        #expect(try second.conflicts().count == 1 && second.lastSequence() == sequence)
    }

    @Test func aConflictInAnElevhalsaRecordIsForElevhalsaStaffOnly() throws {
        let (first, second) = try conflicted()
        let note = RecordID.random()
        try first.set(
            entity: "health_note",
            record: note,
            values: ["pupil_id": .string(pupil.rawValue), "text": .string("A")]
        )
        try second.set(entity: "health_note", record: note, values: ["text": .string("B")])
        try second.apply(try first.exportChanges(since: 0))
        let teacher = try second.addStaff(name: "Mentor Bo Berg")
        let nurse = try second.addStaff(name: "Skolsköterska Eva Ek", healthRecords: true)
        #expect(try second.staffConflicts(presenting: teacher).map(\.entity) == ["case"])
        #expect(try second.staffConflicts(presenting: nurse).map(\.entity) == ["case", "health_note"])
        let refused = #expect(throws: StoreError.self) {
            try second.resolveConflict(
                entity: "health_note",
                record: note,
                field: "text",
                value: .string("AB"),
                presenting: teacher
            )
        }
        #expect(refused?.code == .notPermitted)
        try second.resolveConflict(
            entity: "health_note",
            record: note,
            field: "text",
            value: .string("AB"),
            presenting: nurse
        )
        #expect(try second.conflicts().map(\.entity) == ["case"])
    }
}
