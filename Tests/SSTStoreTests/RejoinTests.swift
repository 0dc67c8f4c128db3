import SSTCore
import SSTPrivacy
import SSTStore
import Testing

/// `Store.rejoin(as:)`: a node restored from a backup takes a new node id and keeps everything else.
@Suite struct RejoinTests {
    let pupil = RecordID("5c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f")!
    let school = NodeIdentity(node: NodeID("school-a")!, role: .school, school: "Ekbackens skola")

    @Test func rejoinKeepsTheDataAndStampsNewWritesWithTheNewID() throws {
        let clock = TestPhysicalClock()
        let store = try Store.inMemory(identity: school, physicalClock: clock)
        try store.set(entity: "pupil", record: pupil, values: ["given_name": .string("Åsa"), "grade": .integer(7)])
        let before = try #require(try store.record(entity: "pupil", record: pupil))
        let lastSequence = try store.lastSequence()
        let auditBefore = try store.auditEntries().count

        let report = try store.rejoin(as: NodeID("school-a-r2")!)

        #expect(report.previous == school.node && report.node == NodeID("school-a-r2")!)
        #expect(report.lastSequence == lastSequence)
        #expect(try store.identity() == NodeIdentity(node: report.node, role: .school, school: "Ekbackens skola"))
        #expect(try store.record(entity: "pupil", record: pupil) == before)
        #expect(try store.lastSequence() == lastSequence)
        // The whole log is still there to push under the new id, with the old stamps.
        let log = try store.exportChanges(since: 0)
        #expect(log.origin == "school-a-r2")
        #expect(log.changes.count == 2 && log.changes.allSatisfy { $0.stamp.node == school.node })
        let audit = try store.auditEntries()
        #expect(audit.count == auditBefore + 1)
        let entry = try #require(audit.last?.entry)
        #expect(entry.kind == .rejoined)
        #expect(entry.detail.contains("school-a → school-a-r2") && entry.detail.contains("sequence \(lastSequence)"))
        #expect(try store.verifyAudit().problems.isEmpty)

        clock.advance(by: 1_000)
        let written = try store.set(entity: "pupil", record: pupil, values: ["grade": .integer(8)])
        #expect(written.map(\.stamp.node) == [report.node])
        #expect(written[0].stamp > before["grade"]!.stamp)
    }

    @Test func aHubRejoinsToo() throws {
        let hub = try Store.inMemory(identity: NodeIdentity(node: NodeID("hub-stockholm")!, role: .hub))
        let report = try hub.rejoin(as: NodeID("hub-stockholm-r2")!)
        #expect(report.previous == NodeID("hub-stockholm")!)
        #expect(try hub.identity().node == report.node)
        #expect(try hub.identity().role == .hub)
        #expect(try hub.auditEntries().last?.entry.detail.contains("to be pulled again") == true)
    }

    @Test func rejoinRefusesItsOwnIDAndAnIDThatWroteHere() throws {
        let clock = TestPhysicalClock()
        let store = try Store.inMemory(identity: school, physicalClock: clock)
        let sibling = try Store.inMemory(
            identity: NodeIdentity(node: NodeID("school-b")!, role: .school, school: "Ekbackens skola"),
            physicalClock: clock
        )
        try sibling.set(entity: "pupil", record: pupil, values: ["given_name": .string("Åke")])
        try store.apply(try sibling.exportChanges(since: 0))
        let dump = try store.dumpText()
        let audit = try store.auditEntries()

        for taken in ["school-a", "school-b"] {
            do {
                try store.rejoin(as: NodeID(taken)!)
                Issue.record("rejoin as \(taken) was accepted")
            } catch let error as StoreError {
                #expect(error.code == .invalidValue)
                #expect(error.remedy.contains("never used"))
            }
        }
        #expect(try store.identity() == school)
        #expect(try store.dumpText() == dump)
        #expect(try store.auditEntries() == audit)
    }
}
