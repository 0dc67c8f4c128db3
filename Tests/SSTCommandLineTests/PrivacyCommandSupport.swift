import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Node {
    /// `sst init` the district hub of Södermalm in `scratch/<id>`.
    static func hub(_ id: String, in scratch: URL, sourceLocation: SourceLocation = #_sourceLocation) throws -> Node {
        let node = Node(id: id, directory: scratch.appendingPathComponent(id, isDirectory: true))
        try node.sst(
            ["init", "--role", "hub", "--node-id", id, "--data", node.data, "--stadsdel", sodermalm],
            sourceLocation: sourceLocation
        )
        return node
    }

    var databasePath: String { directory.appendingPathComponent("sst.sqlite").path }

    /// The node's database file and its WAL (when there is one), each named.
    func databaseFiles() -> [(name: String, bytes: Data)] {
        ["sst.sqlite", "sst.sqlite-wal"].compactMap { name in
            FileManager.default.contents(atPath: directory.appendingPathComponent(name).path).map {
                ("\(id)/\(name)", $0)
            }
        }
    }

    /// `sst changes export --for SIDE` to `file`.
    @discardableResult
    func export(
        for side: String,
        to file: URL,
        school: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> SSTResult {
        try sst(
            ["changes", "export", "--data", data, "--out", file.path, "--for", side]
                + (school.map { ["--school", $0] } ?? []),
            sourceLocation: sourceLocation
        )
    }

    /// `sst consent grant` with written consent from `givenBy`; returns the new consent's id.
    @discardableResult
    func grantConsent(
        pupil: String,
        scopes: String,
        givenBy: [String],
        _ more: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let result = try sst(
            ["consent", "grant", "--data", data, "--pupil", pupil, "--scopes", scopes]
                + ["--given-by", givenBy.joined(separator: ","), "--method", "written"] + more,
            sourceLocation: sourceLocation
        )
        let words = result.out.split(separator: " ")
        let id = words.count > 2 ? String(words[2].dropLast()) : ""
        try #require(UUID(uuidString: id) != nil, "no consent id in: \(result)", sourceLocation: sourceLocation)
        return id
    }

    /// `sst consent list --json` as printed.
    func consentList(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try sst(["consent", "list", "--data", data, "--json"], sourceLocation: sourceLocation).out
    }
}

/// Whether `marker`'s UTF-8 bytes occur in `bytes`.
func markerOccurs(_ marker: String, in bytes: Data) -> Bool {
    bytes.range(of: Data(marker.utf8)) != nil
}

/// Expects that no marker occurs in any of `places` (each named in the failure).
func expectNoMarker(
    _ markers: [String],
    in places: [(name: String, bytes: Data)],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    for place in places {
        for marker in markers where markerOccurs(marker, in: place.bytes) {
            Issue.record("\(marker) crossed the boundary: found in \(place.name)", sourceLocation: sourceLocation)
        }
    }
}

/// A command's stdout and stderr as places to search.
func outputs(_ name: String, _ result: SSTResult) -> [(name: String, bytes: Data)] {
    [("stdout of \(name)", result.stdout), ("stderr of \(name)", result.stderr)]
}

/// SQL run straight on a node's database file through the system's libsqlite3 — what someone with
/// access to the file could do. (This test target does not link GRDB.)
enum RawSQLite {
    private typealias Open = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    private typealias Exec =
        @convention(c) (
            OpaquePointer?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
            UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        ) -> Int32
    private typealias Close = @convention(c) (OpaquePointer?) -> Int32
    private typealias Free = @convention(c) (UnsafeMutableRawPointer?) -> Void

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `sql` on the database at `path`: nil on success, else SQLite's error message.
    static func execute(_ sql: String, on path: String) throws -> String? {
        let names = ["libsqlite3.so.0", "libsqlite3.so", "libsqlite3.dylib"]
        guard let library = names.lazy.compactMap({ dlopen($0, RTLD_NOW) }).first else {
            throw Failure(description: "libsqlite3 could not be loaded (install libsqlite3-dev)")
        }
        defer { dlclose(library) }
        func symbol<T>(_ name: String, _ type: T.Type) throws -> T {
            guard let pointer = dlsym(library, name) else { throw Failure(description: "no \(name) in libsqlite3") }
            return unsafeBitCast(pointer, to: type)
        }
        let open = try symbol("sqlite3_open", Open.self)
        let exec = try symbol("sqlite3_exec", Exec.self)
        let close = try symbol("sqlite3_close", Close.self)
        let free = try symbol("sqlite3_free", Free.self)
        var database: OpaquePointer?
        guard open(path, &database) == 0 else {
            _ = close(database)
            throw Failure(description: "cannot open \(path)")
        }
        defer { _ = close(database) }
        var message: UnsafeMutablePointer<CChar>?
        guard exec(database, sql, nil, nil, &message) != 0 else { return nil }
        defer { free(message) }
        return message.map { String(cString: $0) } ?? "SQLite error"
    }
}
