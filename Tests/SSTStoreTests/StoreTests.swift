import Foundation
import GRDB
import SSTCore
import SSTStore
import Testing

@Suite struct StoreTests {
    let pupil = RecordID("0e4c2a10-5b7d-4f3e-9a1c-2d3e4f5a6b7c")!
    let caseID = RecordID("1a2b3c4d-5e6f-4a8b-9c0d-e1f2a3b4c5d6")!

    func school(_ node: String, clock: TestPhysicalClock) throws -> Store {
        let identity = NodeIdentity(node: NodeID(node)!, role: .school, school: "Ekbackens skola")
        return try Store.inMemory(identity: identity, physicalClock: clock)
    }

    @Test func clockNeverGoesBackwardsAcrossRestartAndWallClockJump() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("sst.sqlite")
        let clock = TestPhysicalClock(1_800_000_000_000)
        let identity = NodeIdentity(node: NodeID("school-a")!, role: .school, school: "Ekbackens skola")
        let first = try Store.create(at: path, identity: identity, physicalClock: clock)
            .set(entity: "pupil", record: pupil, values: ["grade": .integer(7)])[0].stamp
        clock.set(1_800_000_000_000 - 3_600_000)
        let reopened = try Store.open(at: path, physicalClock: clock)
        let second = try reopened.set(entity: "pupil", record: pupil, values: ["grade": .integer(8)])[0].stamp
        #expect(second > first)
        #expect(second.timestamp.milliseconds == first.timestamp.milliseconds)
        #expect(try reopened.clock().last == second.timestamp)
    }

    @Test func changeSetIsAppliedWholeOrNotAtAll() throws {
        let clock = TestPhysicalClock()
        let source = try school("school-a", clock: clock)
        let target = try school("school-b", clock: clock)
        try source.set(entity: "pupil", record: pupil, values: ["given_name": .string("Åsa"), "grade": .integer(7)])
        let good = try source.exportChanges(since: 0)
        let bad = FieldChange(
            entity: "pupil",
            record: pupil,
            field: "grade",
            state: FieldState(value: .string("sju"), stamp: good.changes[0].stamp)
        )
        let mixed = ChangeSet(
            origin: NodeID("school-a")!,
            side: .school,
            since: 0,
            upTo: 2,
            changes: good.changes + [bad]
        )
        let before = try target.dumpText()
        let clockBefore = try target.clock()
        #expect(throws: ChangeSetError.self) { try target.apply(mixed) }
        #expect(try target.dumpText() == before)
        #expect(try target.cursor(for: NodeID("school-a")!) == 0)
        #expect(try target.clock() == clockBefore)
        #expect(try target.apply(good).applied == good.changes.count)
    }

    @Test func cursorAdvancesOnlyWhenASetFollowsOnWithoutAGap() throws {
        let clock = TestPhysicalClock()
        let source = try school("school-a", clock: clock)
        let target = try school("school-b", clock: clock)
        let origin = NodeID("school-a")!
        try source.set(entity: "pupil", record: pupil, values: ["given_name": .string("Åsa")])
        let first = try source.exportChanges(since: 0)
        try source.set(entity: "pupil", record: pupil, values: ["grade": .integer(6)])
        let second = try source.exportChanges(since: first.upTo)
        try target.apply(second)
        #expect(try target.cursor(for: origin) == 0, "a set after a gap is merged but leaves the cursor")
        #expect(try target.record(entity: "pupil", record: pupil)?["grade"]?.value == .integer(6))
        try target.apply(first)
        #expect(try target.cursor(for: origin) == first.upTo)
        try target.apply(second)
        #expect(try target.cursor(for: origin) == second.upTo)
    }

    @Test func stampBeyondTheClockOffsetIsRefusedUntilTheClockIsRight() throws {
        let senderClock = TestPhysicalClock(1_800_000_000_000 + 24 * 3_600_000)
        let receiverClock = TestPhysicalClock(1_800_000_000_000)
        let sender = try school("school-a", clock: senderClock)
        let receiver = try school("school-b", clock: receiverClock)
        try sender.set(entity: "pupil", record: pupil, values: ["given_name": .string("Märta")])
        let changes = try sender.exportChanges(since: 0)
        let error = try #require(throws: ChangeSetError.self) { try receiver.apply(changes) }
        #expect(error.code == .clockAhead)
        #expect(error.description.contains("24 h ahead"))
        #expect(error.description.contains("allowed offset is 5 min"))
        #expect(try receiver.record(entity: "pupil", record: pupil) == nil)
        receiverClock.set(senderClock.milliseconds())
        #expect(try receiver.apply(changes).applied == 1)
    }

    @Test func localWritesRefuseBackwardPhaseReactivatedConsentAndPurgedRecords() throws {
        let store = try school("school-a", clock: TestPhysicalClock())
        try store.set(entity: "case", record: caseID, values: ["phase": .phase(Phase(generation: 1, step: .closed))])
        let backwards = try #require(throws: StoreError.self) {
            try store.set(
                entity: "case",
                record: caseID,
                values: ["phase": .phase(Phase(generation: 1, step: .planning))]
            )
        }
        #expect(backwards.code == .phaseBackwards)
        #expect(try store.reopen(entity: "case", record: caseID).value == .phase(Phase(generation: 2, step: .opened)))

        let consent = RecordID.random()
        try store.set(entity: "consent", record: consent, values: ["status": .string("withdrawn")])
        let reactivated = try #require(throws: StoreError.self) {
            try store.set(entity: "consent", record: consent, values: ["status": .string("active")])
        }
        #expect(reactivated.code == .consentWithdrawn)

        try store.purge(entity: "case", record: caseID)
        let purged = try #require(throws: StoreError.self) {
            try store.set(entity: "case", record: caseID, values: ["plan": .string("ny plan")])
        }
        #expect(purged.code == .purged)
    }

    @Test func localTextWriteKeepsConcurrentValuesUntilResolved() throws {
        let clock = TestPhysicalClock()
        let a = try school("school-a", clock: clock)
        let b = try school("school-b", clock: clock)
        let c = try school("school-c", clock: clock)
        try a.set(entity: "case", record: caseID, values: ["plan": .string("plan från A")])
        try b.set(entity: "case", record: caseID, values: ["plan": .string("plan från B")])
        try c.apply(try a.exportChanges(since: 0))
        try c.apply(try b.exportChanges(since: 0))
        #expect(try c.conflicts().count == 1)
        try c.set(entity: "case", record: caseID, values: ["plan": .string("C skriver om")])
        let conflict = try #require(try c.conflicts().first)
        #expect(conflict.current.value == .string("C skriver om"))
        #expect(conflict.others.map(\.value) == [.string("plan från A")], "only the shown value is overwritten")
        try c.resolveConflict(entity: "case", record: caseID, field: "plan", value: .string("ihopslagen plan"))
        #expect(try c.conflicts().isEmpty)
        try a.apply(try c.exportChanges(since: 0))
        #expect(try a.conflicts().isEmpty)
        #expect(try a.dumpText() == c.dumpText())
    }

    @Test func exportWithALimitPagesThroughEverything() throws {
        let store = try school("school-a", clock: TestPhysicalClock())
        for grade in 0..<10 {
            try store.set(entity: "pupil", record: RecordID.random(), values: ["grade": .integer(Int64(grade % 10))])
        }
        var since: Int64 = 0
        var paged: [FieldChange] = []
        while true {
            let page = try store.exportChanges(since: since, limit: 3)
            if page.changes.isEmpty { break }
            #expect(page.changes.count <= 3)
            paged += page.changes
            since = page.upTo
        }
        #expect(Set(paged) == Set(try store.exportChanges(since: 0).changes))
        #expect(since == (try store.lastSequence()))
    }

    @Test func entitiesArePlainSQLTables() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("sst.sqlite")
        let identity = NodeIdentity(node: NodeID("school-a")!, role: .school, school: "Ekbackens skola")
        let store = try Store.create(at: path, identity: identity, physicalClock: TestPhysicalClock())
        try store.set(
            entity: "pupil",
            record: pupil,
            values: ["given_name": .string("Örjan"), "grade": .integer(7), "protected_identity": .boolean(false)]
        )
        try store.set(
            entity: "case",
            record: caseID,
            values: ["pupil_id": .string(pupil.rawValue), "phase": .phase(Phase(generation: 1, step: .planning))]
        )
        let queue = try DatabaseQueue(path: path)
        let name = try queue.read { db in
            try String.fetchOne(
                db,
                sql: """
                    SELECT pupil.given_name FROM pupil JOIN "case" ON "case".pupil_id = pupil.id
                    WHERE pupil.grade = 7 AND "case".phase = '1:planning' AND NOT pupil._deleted
                    """
            )
        }
        #expect(name == "Örjan")
        #expect(throws: DatabaseError.self) {
            try queue.write { db in try db.execute(sql: "UPDATE pupil SET grade = 42") }
        }
    }

    @Test func purgedValueIsGoneFromTheDatabaseFileAndItsLog() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("sst.sqlite")
        let identity = NodeIdentity(node: NodeID("school-a")!, role: .school, school: "Ekbackens skola")
        let store = try Store.create(at: path, identity: identity, physicalClock: TestPhysicalClock())
        let canary = "KANARIEFÅGEL-\(UUID().uuidString)"
        try store.set(entity: "health_note", record: caseID, values: ["text": .string(canary)])
        try store.purge(entity: "health_note", record: caseID)
        for file in [path, path + "-wal"] where FileManager.default.fileExists(atPath: file) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            #expect(bytes.range(of: Data(canary.utf8)) == nil, "the purged value is still in \(file)")
        }
        #expect(try store.record(entity: "health_note", record: caseID)?.keys.sorted() == [Schema.purgedField])
    }
}
