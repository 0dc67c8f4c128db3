import Foundation
import GRDB
import SSTCore
import SSTPrivacy
import Synchronization
import Testing

@testable import SSTStore

/// The hub's periodic consent sweep finds lapsed values in a read and purges them in short writes, a few pupils
/// each, so that a push waits behind one short write at most, never behind the whole sweep (issue 21, item 3).
struct SweepInShortWritesTests {
    @Test func aWholeStoreSweepPurgesInWritesOfAFewPupilsEach() throws {
        let pair = try PrivacyPair.files()
        let validUntil = CivilDate.day(30, after: PrivacyNodes.start)
        let pupils = Store.sweepPupilsPerWrite * 2 + 3
        for index in 0..<pupils {
            let pupil = try PrivacyPupil.write(on: pair.school, ["given_name": .string("SWEEP-\(index)")])
            _ = try pupil.grant(["identity"], on: pair.school, validUntil: validUntil)
        }
        try pair.syncToHub()
        pair.hubClock.advance(by: 31 * PrivacyNodes.day)

        let commits = CommitCounter()
        pair.hub.writer.add(transactionObserver: commits, extent: .observerLifetime)
        let report = try pair.hub.sweepConsents()

        #expect(report.pupils.count == pupils)
        // One write per chunk of pupils (and nothing else writes while the sweep runs in this test).
        let chunks = (pupils + Store.sweepPupilsPerWrite - 1) / Store.sweepPupilsPerWrite
        #expect(chunks >= 3)
        #expect(commits.count == chunks)
        #expect(try pair.hub.sweepConsents().purgedFields == 0, "everything lapsed went in the first sweep")
        let purgeEntries = try pair.hub.auditEntries().filter { $0.entry.kind == .purged }.count
        #expect(purgeEntries >= pupils, "each pupil's purge is audited")
    }

    /// The whole store is read a few records at a time, each read a transaction of its own (so that the log can
    /// be checkpointed while the sweep reads): however the records fall into reads, the same pupils are found.
    @Test func aWholeStoreReadInShortReadsFindsEveryLapsedPupil() throws {
        let pair = try PrivacyPair.files()
        let validUntil = CivilDate.day(30, after: PrivacyNodes.start)
        var lapsing: Set<RecordID> = []
        for index in 0..<12 {
            let pupil = try PrivacyPupil.write(on: pair.school, ["given_name": .string("READ-\(index)")])
            _ = try pupil.grant(["identity"], on: pair.school, validUntil: index % 3 == 0 ? validUntil : nil)
            if index % 3 == 0 { lapsing.insert(pupil.id) }
        }
        try pair.syncToHub()
        pair.hubClock.advance(by: 31 * PrivacyNodes.day)

        let identity = try pair.hub.identity()
        let today = CivilDate(millisecondsSinceEpoch: pair.hubClock.milliseconds())
        #expect(lapsing.count == 4)
        for recordsPerRead in [1, 2, 3, 7, 5_000] {
            let found = try pair.hub.lapsedPupilsOfWholeStore(
                identity: identity,
                today: today,
                recordsPerRead: recordsPerRead
            )
            #expect(found == lapsing, "\(recordsPerRead) records per read")
        }
    }

    /// Between two of the sweep's reads no read of its own is open: a hub's background checkpointer gets a
    /// checkpoint in there, so the log can restart while the sweep reads (B10's grew to 3.9 GB without).
    @Test func theSweepLetsTheCheckpointerInBetweenItsReads() async throws {
        let pair = try PrivacyPair.files()
        for index in 0..<6 {
            let pupil = try PrivacyPupil.write(on: pair.school, ["given_name": .string("GAP-\(index)")])
            _ = try pupil.grant(["identity"], on: pair.school, validUntil: nil)
        }
        try pair.syncToHub()
        let identity = try pair.hub.identity()
        let today = CivilDate(millisecondsSinceEpoch: pair.hubClock.milliseconds())
        try await pair.hub.withBackgroundCheckpointer { checkpointer in
            let checkpointer = try #require(checkpointer)
            let before = checkpointer.checkpointsRun
            _ = try pair.hub.lapsedPupilsOfWholeStore(identity: identity, today: today, recordsPerRead: 1)
            // At least one checkpoint after each read of a pupil's record, of a consent's, and so on.
            #expect(checkpointer.checkpointsRun - before >= 12)
        }
    }
}

/// Counts committed write transactions.
final class CommitCounter: TransactionObserver, Sendable {
    private let commits = Mutex(0)

    var count: Int { commits.withLock { $0 } }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { commits.withLock { $0 += 1 } }
    func databaseDidRollback(_ db: Database) {}
}
