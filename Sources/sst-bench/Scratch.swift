import Foundation
import SSTCore
import SSTStore

/// The benchmark's working directory: node data directories (each holding `sst.sqlite`, as `sst init`
/// makes them), removed when the benchmark ends.
final class Scratch {
    let root: URL
    private var counter = 0
    private let keep: Bool

    /// The identity of every receiving node in the benchmarks: a second node of the writer's school.
    static let receiver = NodeIdentity(
        node: NodeID("ekbacken-2")!,
        role: .school,
        school: "Ekbackens skola",
        stadsdel: "Södermalm"
    )

    init(under parent: String?, keep: Bool) throws {
        let base = parent.map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory
        root = base.appendingPathComponent("sst-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        self.keep = keep
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit {
        if !keep { try? FileManager.default.removeItem(at: root) }
    }

    /// A new, empty node data directory; returns its path and its database's path.
    func dataDirectory(_ name: String) throws -> (directory: String, database: String) {
        counter += 1
        let directory = root.appendingPathComponent("\(name)-\(counter)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (directory.path, directory.appendingPathComponent(Store.fileName).path)
    }

    /// Creates a durable node store (WAL file), as `sst init` does.
    func newStore(_ name: String) throws -> (store: Store, directory: String, database: String) {
        let paths = try dataDirectory(name)
        return (try Store.create(at: paths.database, identity: Self.receiver), paths.directory, paths.database)
    }

    /// An empty database file with the store's schema and no open store, for a raw-SQLite baseline.
    func newBaselineDatabase(_ name: String) throws -> String {
        let paths = try dataDirectory(name)
        _ = try Store.create(at: paths.database, identity: Self.receiver)
        return paths.database
    }

    func remove(_ directory: String) {
        if !keep { try? FileManager.default.removeItem(atPath: directory) }
    }
}

extension Store {
    /// Applies `changes` as consecutive change sets of at most `chunk` changes from `origin` (a school node),
    /// starting after the origin's sequence number `since`; returns the last sequence number sent.
    @discardableResult
    func applyInChunks(
        _ changes: [FieldChange],
        since: Int64,
        origin: NodeID = Workload.origin,
        chunk: Int = 100_000
    ) throws -> Int64 {
        var upTo = since
        var start = 0
        while start < changes.count {
            let end = min(changes.count, start + chunk)
            let from = upTo
            upTo += Int64(end - start)
            let set = ChangeSet(
                origin: origin,
                side: .school,
                since: from,
                upTo: upTo,
                changes: Array(changes[start..<end])
            )
            try apply(set)
            start = end
        }
        return upTo
    }
}
