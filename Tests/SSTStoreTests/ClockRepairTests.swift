import Foundation
import SSTCore
import SSTPrivacy
import SSTStore
import Testing

/// `sst clock repair` at the store: a node whose clock was left a day ahead sets it back and re-stamps its unsent
/// writes, so that they sync; nothing that left the node is re-stamped, nothing is lost.
@Suite struct ClockRepairTests {
    static let start: UInt64 = 1_800_000_000_000
    static let day: UInt64 = 86_400_000
    let pupil = RecordID("0e4c2a10-5b7d-4f3e-9a1c-2d3e4f5a6b7c")!
    let caseID = RecordID("1a2b3c4d-5e6f-4a8b-9c0d-e1f2a3b4c5d6")!

    func school(_ node: String, clock: TestPhysicalClock) throws -> Store {
        let identity = NodeIdentity(node: NodeID(node)!, role: .school, school: "Ekbackens skola")
        return try Store.inMemory(identity: identity, physicalClock: clock)
    }

    @Test func aWriteADayAheadIsReStampedAndThenAccepted() throws {
        let clock = TestPhysicalClock(Self.start)
        let peerClock = TestPhysicalClock(Self.start)
        let node = try school("school-a", clock: clock)
        let peer = try school("school-b", clock: peerClock)
        try node.set(entity: "pupil", record: pupil, values: ["grade": .integer(7)])
        let sent = try node.exportChanges(since: 0)
        try peer.apply(sent)
        let sentStamp = try #require(try node.record(entity: "pupil", record: pupil)?["grade"]?.stamp)

        // The wall clock jumps a day ahead for one write, and is put right again.
        clock.set(Self.start + Self.day)
        try node.set(entity: "pupil", record: pupil, values: ["given_name": .string("Åsa")])
        clock.set(Self.start + 60_000)
        peerClock.set(Self.start + 60_000)
        // Every write after it is a day ahead too: the clock is persisted and never goes back.
        try node.set(entity: "pupil", record: pupil, values: ["family_name": .string("Öberg"), "grade": .integer(8)])
        let status = try node.clockStatus()
        #expect(status.isAhead && status.aheadMilliseconds > Self.day - 120_000)
        #expect(throws: ChangeSetError.self) { try peer.apply(try node.exportChanges(since: sent.upTo)) }

        let report = try node.repairClock(acknowledged: sent.upTo)
        #expect(report.previousClock.milliseconds == Self.start + Self.day)
        #expect(report.restamped.count == 2)
        #expect(report.values == 3)
        #expect(report.restamped[0].fields == ["pupil/\(pupil).given_name"])
        // Set back to the wall clock plus the allowed offset (five minutes): the latest stamp a receiver accepts.
        #expect(report.restamped.allSatisfy { $0.stamp.milliseconds == Self.start + 60_000 + 300_000 })
        #expect(report.restamped[0].stamp < report.restamped[1].stamp, "the writes keep their order")
        #expect(try !node.clockStatus().isAhead)
        #expect(try node.clock().last == report.clock)

        let values = try #require(try node.record(entity: "pupil", record: pupil))
        #expect(values["given_name"]?.value == .string("Åsa"))
        #expect(values["family_name"]?.value == .string("Öberg"))
        #expect(values["grade"]?.value == .integer(8))
        #expect(values["grade"]?.stamp.timestamp == report.restamped[1].stamp)
        #expect(values["family_name"]?.stamp == values["grade"]?.stamp, "one write keeps one stamp")

        // The peer accepts them now, and both hold the same state.
        let resent = try node.exportChanges(since: sent.upTo)
        #expect(resent.changes.count == 3)
        try peer.apply(resent)
        #expect(try peer.record(entity: "pupil", record: pupil) == node.record(entity: "pupil", record: pupil))
        #expect(sentStamp.timestamp.milliseconds == Self.start)

        // New writes follow on, and are stamped by the wall clock again once it passes the clock; the repair is
        // in the audit trail.
        clock.set(Self.start + 120_000)
        let next = try node.set(entity: "pupil", record: pupil, values: ["grade": .integer(9)])[0].stamp
        #expect(next.timestamp > report.clock && next.timestamp.milliseconds == Self.start + 360_000)
        try peer.apply(try node.exportChanges(since: resent.upTo))
        clock.set(Self.start + 400_000)
        let later = try node.set(entity: "pupil", record: pupil, values: ["grade": .integer(10)])[0].stamp
        #expect(later.timestamp == Timestamp(milliseconds: Self.start + 400_000, counter: 0))
        let audit = try node.auditEntries().filter { $0.entry.kind == .clockRepaired }
        #expect(audit.count == 3)
        #expect(audit[0].entry.detail.contains("2 unsent writes"), "\(audit[0].entry.detail)")
        #expect(audit[0].entry.fields == ["pupil.family_name", "pupil.given_name", "pupil.grade"])
        #expect(audit[1].entry.detail.contains("pupil/\(pupil).given_name"), "\(audit[1].entry.detail)")
    }

    @Test func aWriteThatLeftIsNeverReStamped() throws {
        let clock = TestPhysicalClock(Self.start)
        let node = try school("school-a", clock: clock)
        try node.set(entity: "pupil", record: pupil, values: ["grade": .integer(7)])
        let acknowledged = try node.lastSequence()
        clock.set(Self.start + Self.day)
        try node.set(entity: "pupil", record: pupil, values: ["given_name": .string("Åsa")])
        clock.set(Self.start)
        let before = try node.dumpText()
        let clockBefore = try node.clock()

        // Acknowledged by the hub (its clock was ahead too): the write left.
        var error = try #require(throws: ClockRepairError.self) {
            try node.repairClock(acknowledged: try node.lastSequence())
        }
        #expect(error.code == .alreadySent)
        #expect(error.message.contains("pupil/\(pupil).given_name"), "\(error)")
        #expect(error.remedy.contains("Wait until the wall clock reaches"), "\(error)")

        // Exported to a file: the write may have left.
        try node.recordFileExport(upTo: try node.lastSequence())
        #expect(try node.fileExportMark() == node.lastSequence())
        error = try #require(throws: ClockRepairError.self) { try node.repairClock(acknowledged: acknowledged) }
        #expect(error.code == .alreadySent)
        #expect(try node.dumpText() == before)
        #expect(try node.clock() == clockBefore)
        #expect(try node.auditEntries().filter { $0.entry.kind == .clockRepaired }.isEmpty)

        // A later export never lowers the mark.
        try node.recordFileExport(upTo: 1)
        #expect(try node.fileExportMark() == node.lastSequence())
    }

    @Test func aFileExportedWhileAheadBlocksTheRepairEvenIfItsWritesWereOverwritten() throws {
        let clock = TestPhysicalClock(Self.start)
        let node = try school("school-a", clock: clock)
        clock.set(Self.start + Self.day)
        try node.set(entity: "pupil", record: pupil, values: ["grade": .integer(7)])
        try node.recordFileExport(upTo: try node.lastSequence())
        // Overwritten after the export: the value in the file is no longer in the store, but its stamp is out.
        try node.set(entity: "pupil", record: pupil, values: ["grade": .integer(8)])
        clock.set(Self.start)
        let error = try #require(throws: ClockRepairError.self) { try node.repairClock(acknowledged: 0) }
        #expect(error.code == .alreadySent && error.message.contains("change-set file"), "\(error)")
    }

    @Test func refusesWhenThereIsNothingToRepairOrTheWallClockLooksAhead() throws {
        let clock = TestPhysicalClock(Self.start)
        let node = try school("school-a", clock: clock)
        try node.set(entity: "pupil", record: pupil, values: ["grade": .integer(7)])
        var error = try #require(throws: ClockRepairError.self) { try node.repairClock(acknowledged: 0) }
        #expect(error.code == .notAhead && error.message.contains("nothing to repair"), "\(error)")

        // Four minutes ahead is within the allowed offset of five.
        clock.set(Self.start + 240_000)
        try node.set(entity: "pupil", record: pupil, values: ["grade": .integer(8)])
        clock.set(Self.start)
        #expect(try !node.clockStatus().isAhead)
        error = try #require(throws: ClockRepairError.self) { try node.repairClock(acknowledged: 0) }
        #expect(error.code == .notAhead)

        clock.set(Self.start + Self.day)
        try node.set(entity: "pupil", record: pupil, values: ["grade": .integer(9)])
        clock.set(Self.start)
        // The last sync found this node's wall clock a day ahead of the hub's.
        error = try #require(throws: ClockRepairError.self) {
            try node.repairClock(acknowledged: 0, hubClockOffset: -Int64(Self.day))
        }
        #expect(error.code == .wallClockAhead && error.message.contains("24 h ahead of the hub"), "\(error)")
        #expect(try node.clockStatus().isAhead)
        try node.repairClock(acknowledged: 0, hubClockOffset: 1_000)
        #expect(try !node.clockStatus().isAhead)

        let hub = try Store.inMemory(
            identity: NodeIdentity(node: NodeID("hub-1")!, role: .hub, stadsdel: "Södermalm"),
            physicalClock: clock
        )
        error = try #require(throws: ClockRepairError.self) { try hub.repairClock(acknowledged: 0) }
        #expect(error.code == .hub)
    }

    /// A text write a day ahead that a concurrent change from another node lost to: after the repair the write
    /// still wins here and, once it syncs, everywhere; the conflict is kept on both nodes, and resolving it clears
    /// it on both.
    @Test func textConflictsStayConsistentAcrossTheRepair() throws {
        let clock = TestPhysicalClock(Self.start)
        let peerClock = TestPhysicalClock(Self.start)
        let node = try school("school-a", clock: clock)
        let peer = try school("school-b", clock: peerClock)
        try node.set(entity: "case", record: caseID, values: ["plan": .string("Samtal")])
        let base = try node.exportChanges(since: 0)
        try peer.apply(base)

        clock.set(Self.start + Self.day)
        try node.set(entity: "case", record: caseID, values: ["plan": .string("Samtal varje vecka")])
        try node.set(entity: "case", record: caseID, values: ["plan": .string("Samtal varje vecka med kurator")])
        clock.set(Self.start + 60_000)
        peerClock.set(Self.start + 120_000)
        try peer.set(entity: "case", record: caseID, values: ["plan": .string("Hembesök")])
        try node.apply(try peer.exportChanges(since: base.upTo))
        let conflict = try #require(try node.conflicts().first)
        #expect(conflict.current.value == .string("Samtal varje vecka med kurator"))
        #expect(conflict.others.map(\.value) == [.string("Hembesök")])

        clock.set(Self.start + 180_000)
        let report = try node.repairClock(acknowledged: base.upTo)
        #expect(report.restamped.count == 1)
        let repaired = try #require(try node.conflicts().first)
        #expect(repaired.current.value == .string("Samtal varje vecka med kurator"))
        #expect(repaired.current.stamp.timestamp.milliseconds == Self.start + 180_000 + 300_000)
        #expect(repaired.current.stamp > repaired.others[0].stamp, "the write still wins over the peer's")
        #expect(repaired.current.context?.covers(repaired.current.stamp) == true)
        #expect(repaired.current.context?.entries[NodeID("school-a")!] == repaired.current.stamp.timestamp)
        #expect(repaired.others.map(\.value) == [.string("Hembesök")])

        peerClock.set(Self.start + 180_000)
        try peer.apply(try node.exportChanges(since: base.upTo))
        #expect(try peer.conflicts() == node.conflicts())
        try node.resolveConflict(entity: "case", record: caseID, field: "plan", value: .string("Samtal och hembesök"))
        try peer.apply(try node.exportChanges(since: report.sentUpTo))
        #expect(try node.conflicts().isEmpty && peer.conflicts().isEmpty)
        #expect(try peer.dumpText() == node.dumpText())
    }
}
