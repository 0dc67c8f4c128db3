import Foundation
import GRDB
import SSTCore
import SSTStore
import SSTTestSupport
import Testing

/// The log's rows per write of a record's fields (`log-per-write-1`, see `StampLayout`): a change set's record
/// costs one log row, and the rows, their ranges of sequence numbers and the cursors that stop inside a row still
/// give every peer every change exactly once.
@Suite struct LogPerWriteTests {
    /// A stamp as the record's row holds it.
    struct Numbered: Hashable {
        let entity: String
        let record: String
        let field: String
        let seq: Int64
        let node: String
    }

    /// Checks the log against the stamps: every stamped field is in exactly one row, of its record and its
    /// stamp's node, numbered within the row's range (after the previous row's key, up to its own); every row
    /// names fields that have stamps, and says how many.
    static func checkLog(_ store: Store) throws {
        try store.writer.read { db in
            let stamps = try Row.fetchAll(
                db,
                sql: "WITH \(StampLayout.all(store.schema)) SELECT entity, record_id, field, seq, node FROM sst_stamps"
            ).map { Numbered(entity: $0[0], record: $0[1], field: $0[2], seq: $0[3], node: $0[4]) }
            let byField = Dictionary(grouping: stamps) { "\($0.entity)/\($0.record)/\($0.field)" }
            var logged: [String: Int] = [:]
            var previousKey: Int64 = 0
            for row in try Row.fetchAll(db, sql: "SELECT seq, entity, record_id, fields, width, node FROM sst_log") {
                let (key, entity, record, node): (Int64, String, String, String) = (row[0], row[1], row[2], row[5])
                let fields = (row[3] as String).split(separator: " ").map(String.init)
                #expect(row[4] as Int == fields.count && !fields.isEmpty, "row \(key): \(row)")
                for field in fields {
                    let name = "\(entity)/\(record)/\(field)"
                    logged[name, default: 0] += 1
                    guard let stamp = byField[name]?.first else {
                        Issue.record("row \(key) names \(name), which has no stamp")
                        continue
                    }
                    #expect(stamp.node == node, "row \(key) of \(node) holds \(name) stamped by \(stamp.node)")
                    #expect(
                        stamp.seq > previousKey && stamp.seq <= key,
                        "\(name) numbered \(stamp.seq) is in row \(key), after row \(previousKey)"
                    )
                }
                previousKey = key
            }
            for stamp in stamps {
                let name = "\(stamp.entity)/\(stamp.record)/\(stamp.field)"
                #expect(logged[name] == 1, "\(name) is in \(logged[name] ?? 0) log rows")
            }
        }
    }

    /// Pages through the store's log with `limit` from 0, as a sync does, and checks at each cursor that the
    /// pages so far and the export from the cursor make the whole export, in its order, and that the pending
    /// count at the cursor is the number of fields still to come.
    static func checkPaging(_ store: Store, limit: Int) throws {
        let whole = try store.exportChanges(since: 0).changes
        var since: Int64 = 0
        var paged: [FieldChange] = []
        for _ in 0...whole.count {
            let rest = try store.exportChanges(since: since).changes
            #expect(paged + rest == whole, "from cursor \(since) with limit \(limit)")
            let fieldsToCome = Set(rest.map { "\($0.entity)/\($0.record)/\($0.field)" }).count
            #expect(try store.changesWaiting(after: since, notWrittenBy: nil) == Int64(fieldsToCome))
            let page = try store.exportChanges(since: since, limit: limit)
            guard !page.changes.isEmpty else { break }
            let pageFields = Set(page.changes.map { "\($0.entity)/\($0.record)/\($0.field)" })
            #expect(pageFields.count <= limit, "a page of \(pageFields.count) fields with limit \(limit)")
            paged += page.changes
            since = page.upTo
        }
        #expect(paged == whole, "paging with limit \(limit) ended at \(since)")
    }

    @Test func aChangeSetWritesOneLogRowForEachRecord() throws {
        let clock = TestPhysicalClock()
        let school = try Store.inMemory(
            identity: NodeIdentity(node: NodeID("ekbacken-1")!, role: .school, school: "Ekbackens skola"),
            physicalClock: clock
        )
        let other = try Store.inMemory(
            identity: NodeIdentity(node: NodeID("ekbacken-2")!, role: .school, school: "Ekbackens skola"),
            physicalClock: clock
        )
        let pupils = (0..<3).map { _ in RecordID.random() }
        for (index, pupil) in pupils.enumerated() {
            try school.set(
                entity: "pupil",
                record: pupil,
                values: [
                    "given_name": .string("Testa \(index)"), "family_name": .string("Testsson"),
                    "grade": .integer(7), "class_name": .string("7A"),
                ]
            )
        }
        try other.apply(try school.exportChanges(since: 0))
        // The local writes of four fields each wrote one log row, as the set's merge does.
        for store in [school, other] {
            let rows = try store.writer.read { db in
                try Row.fetchAll(db, sql: "SELECT record_id, width FROM sst_log ORDER BY seq")
            }
            #expect(rows.map { $0[0] as String } == pupils.map(\.rawValue))
            #expect(rows.allSatisfy { $0[1] as Int == 4 })
            try Self.checkLog(store)
        }

        // A newer value of one field moves it to a row of its own; its record's row keeps the other three.
        try school.set(entity: "pupil", record: pupils[1], values: ["grade": .integer(8)])
        try other.apply(try school.exportChanges(since: try other.cursor(for: try school.identity().node)))
        let widths = try other.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT record_id, fields FROM sst_log ORDER BY seq").map {
                "\($0[0] as String == pupils[1].rawValue ? "second" : "other"): \($0[1] as String)"
            }
        }
        #expect(widths.filter { $0.hasPrefix("second") }.count == 2, "\(widths)")
        #expect(widths.last == "second: grade", "\(widths)")
        try Self.checkLog(other)
        for limit in [1, 2, 3, 5] { try Self.checkPaging(other, limit: limit) }
    }

    @Test(.timeLimit(.minutes(10)))
    func randomHistoriesKeepTheLogWholeAndEveryLimitPagesThroughIt() async throws {
        let failure = try await onOwnThread { () -> String? in
            let count = max(4, PropertyRun.histories(default: 300) / 10)
            for index in 0..<count {
                let seed = PropertyRun.baseSeed &+ 3_000_000 &+ UInt64(index)
                do {
                    var history = try RandomHistory(seed: seed)
                    for _ in 0..<60 { try history.step() }
                    for replica in history.replicas {
                        try Self.checkLog(replica.store)
                        for limit in [1, 2, 5] { try Self.checkPaging(replica.store, limit: limit) }
                    }
                    try history.settle(fromCursors: true)
                    for replica in history.replicas { try Self.checkLog(replica.store) }
                } catch {
                    return "history with seed \(seed) failed (replay: SST_PROPERTY_SEED=\(seed) "
                        + "SST_PROPERTY_HISTORIES=1): \(error)"
                }
            }
            return nil
        }
        if let failure { Issue.record(Comment(rawValue: failure)) }
    }
}
