import Foundation
import SSTCore
import SSTPrivacy
import SSTStore
import Testing

/// A school node restored from a backup taken before a purge (*gallring*) it made and shared learns of the purge
/// from the hub, even when the backup predates the record's crossing (its crossing history then lacks the
/// record), and the hub drops what the restored node pushes of the purged record (issue 23, item 2).
struct PurgeAfterRestoreStoreTests {
    static let notes = "GALLRAT-FORE-KORSNING-3M"

    /// The school's backup, restored and rejoined as `ekbacken-1-r2`.
    static func restore(_ backup: String, in directory: TemporaryDirectory, clock: TestPhysicalClock) throws -> Store {
        let path = directory.path("restored/sst.sqlite")
        try FileManager.default.createDirectory(atPath: directory.path("restored"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: backup, toPath: path)
        let restored = try Store.open(at: path, physicalClock: clock)
        try restored.rejoin(as: Self.rejoined)
        return restored
    }

    static let rejoined = NodeID("ekbacken-1-r2")!
    static let rejoinedPeer = PeerIdentity(
        node: rejoined,
        role: .school,
        school: PrivacyNodes.school,
        stadsdel: PrivacyNodes.stadsdel
    )

    @Test func aPurgeOfARecordThatCrossedAfterTheBackupReachesTheRestoredNode() throws {
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
        // The backup is taken before anything crossed.
        let directory = try #require(pair.directory)
        let backup = directory.path("backup.sqlite")
        _ = try pair.school.backup(to: backup)
        try pair.syncToHub()
        _ = try pair.school.purge(entity: "meeting", record: meeting)
        _ = try pair.school.delete(entity: "absence", record: absence)
        try pair.syncToHub()
        #expect(try pair.hub.record(entity: "meeting", record: meeting)?.keys.sorted() == [Schema.purgedField])

        pair.advance(days: 1)
        let restored = try Self.restore(backup, in: directory, clock: pair.schoolClock)
        #expect(try restored.record(entity: "meeting", record: meeting)?["notes"]?.value == .string(Self.notes))
        // The restored node pushes its whole log under its new id: the hub keeps the purge and drops the values.
        let pushed = try restored.exportChanges(forSide: .social, peer: PrivacyNodes.hubPeer, since: 0)
        #expect(pushed.changeSet.changes.contains { $0.record == meeting && $0.field == "notes" })
        try pair.hub.apply(pushed.changeSet, from: Self.rejoinedPeer)
        #expect(try pair.hub.record(entity: "meeting", record: meeting)?.keys.sorted() == [Schema.purgedField])
        // Its pull brings the purge and the deletion back.
        let pulled = try pair.hub.exportChanges(
            forSide: .school,
            peer: Self.rejoinedPeer,
            since: try restored.cursor(for: PrivacyNodes.hubNode)
        )
        try restored.apply(pulled.changeSet, from: PrivacyNodes.hubPeer)
        #expect(try restored.record(entity: "meeting", record: meeting)?.keys.sorted() == [Schema.purgedField])
        #expect(try restored.record(entity: "absence", record: absence)?[Schema.deletedField]?.value == .boolean(true))
        let files = ["restored/sst.sqlite", "restored/sst.sqlite-wal"].compactMap { name in
            FileManager.default.contents(atPath: directory.path(name)).map { (name: name, bytes: $0) }
        }
        expectNoMarker([Self.notes], in: files)
    }
}
