import Foundation
import SSTCore
import SSTStore
import Testing

/// `Store.backup(to:)`: a consistent copy of a durable store, taken while it is written.
@Suite struct BackupTests {
    let school = NodeIdentity(node: NodeID("school-a")!, role: .school, school: "Ekbackens skola")

    @Test func aBackupHoldsTheWholeStoreAndOpensAsTheSameNode() throws {
        let directory = try TemporaryDirectory()
        let store = try Store.create(at: directory.path("sst.sqlite"), identity: school)
        for index in 0..<50 {
            try store.set(entity: "pupil", record: RecordID.random(), values: ["given_name": .string("Elev \(index)")])
        }
        let report = try store.backup(to: directory.path("backup.sqlite"))
        let lastSequence = try store.lastSequence()
        #expect(report.identity == school && report.lastSequence == lastSequence)
        #expect(report.bytes > 0)
        let copy = try Store.open(at: directory.path("backup.sqlite"))
        #expect(try copy.dumpText() == store.dumpText())
        #expect(try copy.verifyAudit().problems.isEmpty)
        // The copy knows where it ended, for its first handshake if it is restored; the store does not.
        #expect(try copy.backupMark()?.lastSequence == lastSequence)
        #expect(try store.backupMark() == nil)
        try copy.rejoin(as: NodeID("school-a-r2")!)
        #expect(try copy.backupMark() == nil)

        // A backup never overwrites, and leaves the existing file as it was.
        let before = try Data(contentsOf: URL(fileURLWithPath: directory.path("backup.sqlite")))
        #expect(throws: StoreError.self) { try store.backup(to: directory.path("backup.sqlite")) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.path("backup.sqlite"))) == before)
    }

    @Test(.timeLimit(.minutes(10))) func aBackupTakenWhileTheStoreIsWrittenIsOneMomentOfIt() throws {
        let directory = try TemporaryDirectory()
        let store = try Store.create(at: directory.path("sst.sqlite"), identity: school)
        let pupil = RecordID.random()
        // The writer has a thread of its own: a task could wait behind this test's loop for a thread of the
        // shared pool (two on a 2-core machine), and so could every other test. It writes until told to stop,
        // then ten more: every backup below is taken after its first write and before its last, however the
        // machine schedules the two (on a loaded CI machine a fixed number of writes was over before the
        // first backup).
        let writer = WriterThread { isStopped in
            var grade: Int64 = 0
            var after = 0
            while after < 10 {
                grade += 1
                try store.set(entity: "pupil", record: pupil, values: ["grade": .integer(grade % 9 + 1)])
                if isStopped() { after += 1 }
            }
        }
        while try store.lastSequence() == 0 && !writer.isFinished { Thread.sleep(forTimeInterval: 0.001) }
        var reports: [BackupReport] = []
        for copies in 0..<5 where !writer.isFinished {
            let path = directory.path("backup-\(copies).sqlite")
            let report = try store.backup(to: path)
            let copy = try Store.open(at: path)
            // One moment: the copy's clock row and its log agree, and the pupil's grade is the last one logged.
            #expect(try copy.lastSequence() == report.lastSequence)
            #expect(try copy.exportChanges(since: 0).upTo == report.lastSequence)
            let grade = try copy.record(entity: "pupil", record: pupil)?["grade"]?.value
            #expect(grade == .integer(report.lastSequence % 9 + 1))
            #expect(try copy.verifyAudit().problems.isEmpty)
            reports.append(report)
            Thread.sleep(forTimeInterval: 0.005)
        }
        writer.stop()
        writer.wait()
        if let error = writer.error { throw error }
        let total = try store.lastSequence()
        #expect(reports.count == 5)
        #expect(reports.allSatisfy { $0.lastSequence > 0 && $0.lastSequence < total })
    }
}

/// Runs `body` on a thread of its own, started at once; `body` is given a question: has `stop()` been called?
private final class WriterThread: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var finished = false
    private var stopped = false
    private var failure: (any Error)?

    init(_ body: @escaping @Sendable (_ isStopped: @escaping @Sendable () -> Bool) throws -> Void) {
        let thread = Thread { [self] in
            let outcome = Result { try body { self.lock.withLock { self.stopped } } }
            lock.withLock {
                if case .failure(let error) = outcome { failure = error }
                finished = true
            }
            done.signal()
        }
        thread.start()
    }

    func stop() { lock.withLock { stopped = true } }
    func wait() { done.wait() }
    var isFinished: Bool { lock.withLock { finished } }
    var error: (any Error)? { lock.withLock { failure } }
}
