import Foundation
import SSTCore
import SSTStore

/// B5: bytes on the wire per field change, gzip-compressed, against the same operations as Yjs updates
/// made by pycrdt (`Tools/bench-pycrdt.py`, run with python3 in the same run). Two shapes: a catch-up
/// (every change in one set) and pushes (sets of `batch` changes, as `exportChanges(since:limit:)` cuts
/// them). Sizes are deterministic, so one run is enough.
struct WireFigure {
    let changes: Int
    let batch: Int
    let python: String
    let script: String

    static let target = "≤ 1.0× pycrdt"

    /// The script in the package's `Tools/`, looked for from the working directory and from the executable.
    static func defaultScript() -> String {
        let relative = "Tools/bench-pycrdt.py"
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let packageRoot = executable.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [relative, packageRoot.appendingPathComponent(relative).path]
        return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? relative
    }

    func measure(scratch: Scratch) throws -> [Figure] {
        var workload = Workload(seed: 5, startMilliseconds: Workload.defaultStart())
        let source = try Store.inMemory(
            identity: NodeIdentity(node: Workload.origin, role: .school, school: "Ekbackens skola")
        )
        try source.applyInChunks(workload.newChanges(changes), since: 0)
        let catchUp = try source.exportChanges(since: 0)
        let catchUpJSON = try ChangeSetCodec.encode(catchUp)
        var pushJSON = 0
        var pushGzip = 0
        var since: Int64 = 0
        while true {
            let set = try source.exportChanges(since: since, limit: batch)
            guard !set.changes.isEmpty else { break }
            let encoded = try ChangeSetCodec.encode(set)
            guard let compressed = Gzip.compressedSize(encoded) else { throw BenchError("B5: zlib unavailable") }
            pushJSON += encoded.count
            pushGzip += compressed
            since = set.upTo
        }
        guard let catchUpGzip = Gzip.compressedSize(catchUpJSON) else { throw BenchError("B5: zlib unavailable") }
        let count = Double(catchUp.changes.count)
        let titles = (
            catchUp: "wire bytes per change, catch-up of \(catchUp.changes.count) changes, gzip",
            push: "wire bytes per change, pushes of \(batch) changes, gzip"
        )
        let yjs: PycrdtSizes
        do {
            yjs = try pycrdt(catchUp.changes, scratch: scratch)
        } catch let error as BenchError {
            return [
                .notMeasured("B5", titles.catchUp, target: Self.target, because: error.description),
                .notMeasured("B5", titles.push, target: Self.target, because: error.description),
            ]
        }
        func figure(_ title: String, ours: Int, oursRaw: Int, theirs: Int, theirsRaw: Int) -> Figure {
            let ratio = Double(ours) / Double(theirs)
            return Figure(
                id: "B5",
                title: title,
                value: Double(ours) / count,
                unit: "B/change",
                baseline: Double(theirs) / count,
                baselineUnit: "B/change",
                baselineTitle: "pycrdt \(yjs.pycrdt) Yjs updates",
                ratio: ratio,
                target: Self.target,
                verdict: ratio <= 1.0 ? .met : .missed,
                note: String(
                    format: "uncompressed: SST JSON %.1f B/change, Yjs update %.1f B/change",
                    Double(oursRaw) / count,
                    Double(theirsRaw) / count
                )
            )
        }
        return [
            figure(
                titles.catchUp,
                ours: catchUpGzip,
                oursRaw: catchUpJSON.count,
                theirs: yjs.gzipBytes,
                theirsRaw: yjs.updateBytes
            ),
            figure(
                titles.push,
                ours: pushGzip,
                oursRaw: pushJSON,
                theirs: yjs.batchGzipBytes,
                theirsRaw: yjs.batchUpdateBytes
            ),
        ]
    }

    /// What `Tools/bench-pycrdt.py` prints.
    private struct PycrdtSizes: Decodable {
        let pycrdt: String
        let updateBytes: Int
        let gzipBytes: Int
        let batchUpdateBytes: Int
        let batchGzipBytes: Int
    }

    private struct Operation: Encodable {
        let entity: String
        let id: String
        let field: String
        let value: Value
    }

    private struct Request: Encodable {
        let batch: Int
        let operations: [Operation]
    }

    private func pycrdt(_ changes: [FieldChange], scratch: Scratch) throws -> PycrdtSizes {
        let request = Request(
            batch: batch,
            operations: changes.map {
                Operation(entity: $0.entity, id: $0.record.rawValue, field: $0.field, value: $0.value)
            }
        )
        let input = scratch.root.appendingPathComponent("b5-operations.json")
        let output = scratch.root.appendingPathComponent("b5-pycrdt.json")
        try JSONEncoder().encode(request).write(to: input)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let ended: ChildProcess.Result
        do {
            ended = try ChildProcess.start(
                "/usr/bin/env",
                [python, script],
                inputPath: input.path,
                outputPath: output.path
            )
            .wait()
        } catch {
            throw BenchError("pycrdt unavailable: cannot run \(python) \(script): \(error)")
        }
        let printed = try Data(contentsOf: output)
        guard ended.succeeded else {
            let message = (try? JSONDecoder().decode([String: String].self, from: printed))?["error"]
            let exit = (ended.status >> 8) & 0xff
            throw BenchError(message ?? "pycrdt unavailable: \(python) \(script) exited with status \(exit)")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(PycrdtSizes.self, from: printed)
    }
}
