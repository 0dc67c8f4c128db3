import Foundation
import SSTCore
import SSTStore

/// B6: the apply cost per change as the store grows. One store is grown to each size in turn; at each
/// size every run applies a change set (half new records, half newer values for fields of records spread
/// over the whole store) to a fresh copy of it, so the runs do not grow the store they measure.
///
/// The target compares it with plain SQLite at the same size, in the same run (issue 21): the same set's
/// records upserted one statement per record (``PlainBaseline``) into a copy of the same store, whose entity
/// tables hold the same records (its `sst_*` tables are there too but untouched). The raw-SQLite upserts of
/// the rows the store holds (values and stamp rows, ``RawBaseline``) are measured alongside as context.
struct GrowthFigure {
    let scratch: Scratch
    let runs: Int
    let sizes: [Int]
    let changes: Int

    func measure() throws -> [Figure] {
        var workload = Workload(seed: 6, startMilliseconds: Workload.defaultStart())
        let template = try scratch.dataDirectory("b6-template")
        _ = try Store.create(at: template.database, identity: Scratch.receiver)
        var upTo: Int64 = 0
        var held = 0
        var sample: [FieldChange] = []
        var perChange: [(rows: Int, store: Double, raw: Double, plain: Double, walPages: Double)] = []
        for size in sizes.sorted() {
            do {
                // The store closes (and checkpoints its WAL) at the end of this block, before it is copied.
                let store = try Store.open(at: template.database)
                while held < size {
                    let batch = workload.newChanges(min(100_000, size - held))
                    upTo = try store.applyInChunks(batch, since: upTo)
                    held += batch.count
                    sample += Self.spread(batch, keeping: max(1, 20_000 * batch.count / max(size, 1)))
                }
            }
            var storeTimes: [Double] = []
            var rawTimes: [Double] = []
            var plainTimes: [Double] = []
            var walPages: [Double] = []
            for _ in 0..<runs {
                let changes = workload.newChanges(self.changes / 2) + workload.edits(self.changes / 2, of: sample)
                let set = ChangeSet(
                    origin: Workload.origin,
                    side: .school,
                    since: upTo,
                    upTo: upTo + Int64(changes.count),
                    changes: changes
                )
                let copy = try copyOf(template.database, "b6-store")
                do {
                    let store = try Store.open(at: copy.database)
                    storeTimes.append(try Measure.seconds { try store.apply(set) } / Double(changes.count))
                    walPages.append(Double(Self.walFrames(of: copy.database)) / Double(changes.count))
                }
                scratch.remove(copy.directory)
                let rawCopy = try copyOf(template.database, "b6-raw")
                let raw = try RawBaseline(path: rawCopy.database, schema: .sst)
                rawTimes.append(try Measure.seconds { try raw.upsert(changes) } / Double(changes.count))
                scratch.remove(rawCopy.directory)
                let plainCopy = try copyOf(template.database, "b6-plain")
                let plain = try PlainBaseline(path: plainCopy.database, schema: .sst)
                let rows = PlainBaseline.rows(changes)
                plainTimes.append(try Measure.seconds { try plain.upsert(rows) } / Double(changes.count))
                scratch.remove(plainCopy.directory)
            }
            perChange.append(
                (
                    size, Measure.median(storeTimes), Measure.median(rawTimes), Measure.median(plainTimes),
                    Measure.median(walPages)
                )
            )
        }
        scratch.remove(template.directory)
        guard let first = perChange.first else { return [] }
        return perChange.map { point in
            let ratio = point.store / point.plain
            let isLargest = point.rows == perChange.last?.rows
            return Figure(
                id: "B6",
                title: "apply cost per change at \(point.rows) rows",
                value: point.store * 1e6,
                unit: "µs/change",
                baseline: point.plain * 1e6,
                baselineUnit: "µs/change",
                baselineTitle: "plain SQLite upserts at \(point.rows) rows",
                ratio: ratio,
                target: isLargest ? "≤ 1.5× plain SQLite's cost" : "none (≤ 1.5× at the largest)",
                verdict: isLargest ? (ratio <= 1.5 ? .met : .missed) : .info,
                note: String(
                    format:
                        "cost ÷ plain SQLite's; %.2f× the store's own cost at %d rows; raw SQLite upserts of the rows "
                        + "it holds %.2f µs/change; the store's apply wrote %.2f pages to the WAL per change",
                    point.store / first.store,
                    first.rows,
                    point.raw * 1e6,
                    point.walPages
                )
            )
        }
    }

    /// The frames in the WAL of a database whose WAL began empty (a copy of a closed store) and took one
    /// transaction: the pages that transaction wrote. A checkpoint does not shrink the file.
    private static func walFrames(of database: String) -> Int {
        let bytes = (try? FileManager.default.attributesOfItem(atPath: database + "-wal")[.size] as? Int) ?? 0
        let header = 32
        let frame = 24 + 4096
        return max(0, bytes - header) / frame
    }

    /// `count` changes spread evenly over `changes`.
    private static func spread(_ changes: [FieldChange], keeping count: Int) -> [FieldChange] {
        let step = max(1, changes.count / max(1, count))
        return stride(from: 0, to: changes.count, by: step).map { changes[$0] }
    }

    /// A copy of a closed store's database in a new data directory.
    private func copyOf(_ database: String, _ name: String) throws -> (directory: String, database: String) {
        let copy = try scratch.dataDirectory(name)
        try FileManager.default.copyItem(atPath: database, toPath: copy.database)
        return copy
    }
}
