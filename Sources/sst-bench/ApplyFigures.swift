import Foundation
import SSTCore
import SSTStore

/// B1: applying one change set of N field changes into a durable (WAL) store, against plain SQLite upserts of
/// the same records with no replication metadata (``PlainBaseline``, issue 21) and, as context, raw SQLite
/// upserts of the rows the store ends up holding (``RawBaseline``: values and per-field stamp rows); with it,
/// two figures without a target that show where a catch-up's time goes: the same apply including the JSON
/// decode, and the export.
struct ApplyFigures {
    let scratch: Scratch
    let runs: Int
    let changes: Int

    func measure() throws -> (figures: [Figure], settings: String) {
        var workload = Workload(seed: 1, startMilliseconds: Workload.defaultStart())
        let set = ChangeSet(
            origin: Workload.origin,
            side: .school,
            since: 0,
            upTo: Int64(changes),
            changes: workload.newChanges(changes)
        )
        let encoded = try ChangeSetCodec.encode(set)
        var storeTimes: [Double] = []
        var baselineTimes: [Double] = []
        var plainTimes: [Double] = []
        var decodeTimes: [Double] = []
        var exportTimes: [Double] = []
        var readTimes: [Double] = []
        var applyRatios: [Double] = []
        var rawRatios: [Double] = []
        var decodeRatios: [Double] = []
        var exportRatios: [Double] = []
        var settings = ""
        let rows = PlainBaseline.rows(set.changes)
        for run in 0..<runs {
            let target = try scratch.newStore("b1-store")
            let viaJSON = try scratch.newStore("b1-json")
            let baselinePath = try scratch.newBaselineDatabase("b1-raw")
            let baseline = try RawBaseline(path: baselinePath, schema: target.store.schema)
            let plainPath = try scratch.newBaselineDatabase("b1-plain")
            let plain = try PlainBaseline(path: plainPath, schema: target.store.schema)
            settings = try plain.settings()
            var storeTime = 0.0
            var baselineTime = 0.0
            var plainTime = 0.0
            // Rotate the order, so that no side always runs on a warmer machine.
            for side in [[0, 1, 2], [2, 0, 1], [1, 2, 0]][run % 3] {
                switch side {
                case 0: storeTime = try Measure.seconds { try target.store.apply(set) }
                case 1: baselineTime = try Measure.seconds { try baseline.upsert(set.changes) }
                default: plainTime = try Measure.seconds { try plain.upsert(rows) }
                }
            }
            let decodeTime = try Measure.seconds { try viaJSON.store.apply(try ChangeSetCodec.decode(encoded)) }
            var exported = 0
            let exportTime = try Measure.seconds { exported = try target.store.exportChanges(since: 0).changes.count }
            var read = 0
            let readTime = try Measure.seconds { read = try baseline.read(since: 0) }
            guard exported == changes, read <= changes else {
                throw BenchError("B1: exported \(exported) and read \(read) of \(changes) changes")
            }
            storeTimes.append(storeTime)
            baselineTimes.append(baselineTime)
            plainTimes.append(plainTime)
            decodeTimes.append(decodeTime)
            exportTimes.append(exportTime)
            readTimes.append(readTime)
            applyRatios.append(plainTime / storeTime)
            rawRatios.append(baselineTime / storeTime)
            decodeRatios.append(plainTime / decodeTime)
            exportRatios.append(readTime / exportTime)
            scratch.remove(target.directory)
            scratch.remove(viaJSON.directory)
            scratch.remove(URL(fileURLWithPath: baselinePath).deletingLastPathComponent().path)
            scratch.remove(URL(fileURLWithPath: plainPath).deletingLastPathComponent().path)
        }
        let perSecond = { (times: [Double]) in Double(changes) / Measure.median(times) }
        let ratio = Measure.median(applyRatios)
        let apply = Figure(
            id: "B1",
            title: "apply \(changes) field changes, durable WAL store",
            value: perSecond(storeTimes),
            unit: "changes/s",
            baseline: perSecond(plainTimes),
            baselineUnit: "changes/s",
            baselineTitle: "plain SQLite, one upsert per record, no replication metadata",
            ratio: ratio,
            target: "≥ 0.50 of baseline",
            verdict: ratio >= 0.5 ? .met : .missed,
            note: "\(rows.count) records"
        )
        let raw = Figure(
            id: "B1r",
            title: "the same apply against the rows it holds",
            value: perSecond(storeTimes),
            unit: "changes/s",
            baseline: perSecond(baselineTimes),
            baselineUnit: "changes/s",
            baselineTitle: "raw SQLite: an upsert of each record with its stamps, a log row per field",
            ratio: Measure.median(rawRatios),
            target: "none (context: the earlier baseline)"
        )
        let decode = Figure(
            id: "B1j",
            title: "the same, decoding the change set's JSON first",
            value: perSecond(decodeTimes),
            unit: "changes/s",
            baseline: perSecond(plainTimes),
            baselineUnit: "changes/s",
            baselineTitle: "plain SQLite, one upsert per record",
            ratio: Measure.median(decodeRatios),
            target: "none (context for B2)",
            note: "JSON size \(encoded.count / changes) bytes per change; decoding is ChangeSetCodec (SSTCore)"
        )
        let export = Figure(
            id: "X1",
            title: "export the \(changes) changes (exportChanges since 0)",
            value: perSecond(exportTimes),
            unit: "changes/s",
            baseline: perSecond(readTimes),
            baselineUnit: "changes/s",
            baselineTitle: "raw SQLite prepared reads",
            ratio: Measure.median(exportRatios),
            target: "none (context for B2)"
        )
        return ([apply, raw, decode, export], settings)
    }
}

/// A benchmark that could not run as it should.
struct BenchError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
