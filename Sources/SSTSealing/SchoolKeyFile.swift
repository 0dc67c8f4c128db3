import Foundation
import SSTCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The school key in a node's data directory, `school-key.json`, mode 0600, replaced atomically.
///
/// JSON: `{"format": "sst-school-key", "version": 1, "school", "keyID", "epoch", "createdAtMilliseconds",
/// "key": B64, "sealed": BOOL}`. `sealed` turns true, and never back, once the node has sealed something with
/// the key (``markUsed(directory:)``): from then on the key is never replaced by another of the same epoch.
public enum SchoolKeyFile {
    public static let fileName = "school-key.json"
    static let format = "sst-school-key"
    static let lockFileName = ".school-key.lock"

    /// A failure to read or write the key file, with what to do about it.
    public struct FileError: Error, CustomStringConvertible, Sendable {
        public let message: String
        public let remedy: String
        public var description: String { "\(message). \(remedy)" }
    }

    /// The key file's contents: the key and whether the node has sealed anything with it.
    public struct Entry: Hashable, Sendable {
        public let key: SchoolKey
        /// Whether this node has sealed something with the key.
        public let sealed: Bool
    }

    /// What ``install(_:directory:)`` did.
    public enum Installation: String, Sendable {
        /// The node had no key; now it has this one.
        case installed
        /// The node already had this very key: nothing changed.
        case alreadyInstalled
        /// The node had an unused key of the same epoch (from `sst init`), now replaced.
        case replacedUnused
        /// The node had a key of an earlier epoch, now replaced by this later one.
        case rotated
    }

    /// The path of the key file in `directory`.
    public static func path(directory: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent(fileName).path
    }

    /// The node's school key, or nil when the node has none (yet); throws when the file is damaged.
    public static func load(directory: String) throws -> SchoolKey? {
        try loadEntry(directory: directory)?.key
    }

    /// The key file's contents, or nil when the node has no key file.
    public static func loadEntry(directory: String) throws -> Entry? {
        let path = path(directory: directory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw FileError(
                message: "cannot read the school key \(path): \(error.localizedDescription)",
                remedy: "Check the file's owner and permissions (it must be readable by the node's user only)."
            )
        }
        do throws(SealingError) {
            let object = try StrictObject(
                data,
                what: "the school key file \(path)",
                format: format,
                names: ["school", "keyID", "epoch", "createdAtMilliseconds", "key", "sealed"],
                remedy: ""
            )
            let created = try object.integer("createdAtMilliseconds")
            let epoch = try object.integer("epoch")
            guard created >= 0, (1...Int64(Int32.max)).contains(epoch) else {
                throw SealingError(
                    .malformed,
                    "the school key file \(path) has an impossible epoch or date",
                    remedy: ""
                )
            }
            let key = try SchoolKey.validated(
                school: object.string("school"),
                id: object.string("keyID"),
                epoch: Int(epoch),
                createdAtMilliseconds: UInt64(created),
                material: object.base64("key"),
                what: "the school key file \(path)"
            )
            return Entry(key: key, sealed: try object.bool("sealed"))
        } catch {
            throw FileError(
                message: "the school key file is damaged: \(error.message)",
                remedy: "Restore it from the rektor's recovery file with `sst school-key recover`, or have another "
                    + "node of the school wrap the key for this node (`sst school-key wrap`); move the damaged file "
                    + "away first."
            )
        }
    }

    /// Stores `key` as the node's key, not yet used (or keeping the used mark when it is the key already stored).
    public static func save(_ key: SchoolKey, directory: String) throws {
        try withLock(directory: directory) {
            let sealed = try loadEntry(directory: directory).map { $0.key == key && $0.sealed } ?? false
            try write(Entry(key: key, sealed: sealed), directory: directory)
        }
    }

    /// Records that this node has sealed something with its key. Call it before a sealed blob leaves the node.
    /// Throws when the node has no key.
    public static func markUsed(directory: String) throws {
        try withLock(directory: directory) {
            guard let entry = try loadEntry(directory: directory) else {
                throw FileError(
                    message: "this node has no school key (\(path(directory: directory)) is missing)",
                    remedy: "Install the school's key with `sst school-key import` or `sst school-key recover`."
                )
            }
            guard !entry.sealed else { return }
            try write(Entry(key: entry.key, sealed: true), directory: directory)
        }
    }

    /// Whether this node has sealed anything with its key; false when it has no key.
    public static func isUsed(directory: String) throws -> Bool {
        try loadEntry(directory: directory)?.sealed ?? false
    }

    /// Installs a key received from another node or a recovery file, refusing what would lose data:
    /// another school's key, a key of an earlier epoch than the node's, and another key of the node's epoch once
    /// the node has sealed something with its own. Changes nothing when it throws.
    @discardableResult
    public static func install(_ key: SchoolKey, school: String, directory: String) throws -> Installation {
        guard key.school == school else {
            throw SealingError(
                .otherSchool,
                "the key is of the school \"\(key.school)\", this node serves \"\(school)\"",
                remedy: "Ask a node of \(school) for a join file made for this node's certificate."
            )
        }
        return try withLock(directory: directory) {
            guard let entry = try loadEntry(directory: directory) else {
                try write(Entry(key: key, sealed: false), directory: directory)
                return .installed
            }
            let old = entry.key
            if old == key { return .alreadyInstalled }
            if old.id == key.id {
                throw SealingError(
                    .tampered,
                    "the key \(key.id) differs from this node's key of the same id",
                    remedy: "The file was altered; make a new one from the school's node."
                )
            }
            if old.epoch > key.epoch {
                throw SealingError(
                    .oldKey,
                    "the key is of epoch \(key.epoch), this node already holds the later epoch \(old.epoch)",
                    remedy: "Nothing changed. Make a join file of the school's current key on a node that has it."
                )
            }
            if old.epoch == key.epoch {
                guard !entry.sealed else {
                    throw SealingError(
                        .otherKey,
                        "this node has already sealed data with its own key \(old.id) of epoch \(old.epoch), so "
                            + "it cannot take the other key \(key.id) of the same epoch",
                        remedy: "Nothing changed. Give the other nodes this node's key instead (`sst school-key "
                            + "wrap` here, `sst school-key import` there), or rotate the school's key."
                    )
                }
                try write(Entry(key: key, sealed: false), directory: directory)
                return .replacedUnused
            }
            try write(Entry(key: key, sealed: false), directory: directory)
            return .rotated
        }
    }

    /// Creates `path`, which must not exist, with mode 0600 from the start and `data`: for join and recovery
    /// files.
    public static func createPrivateFile(_ data: Data, at path: String) throws {
        try PrivateFile.create(path, with: data)
    }

    private static func write(_ entry: Entry, directory: String) throws {
        let key = entry.key
        let json = CanonicalJSON.object([
            "format": .string(format), "version": .integer(1), "school": .string(key.school),
            "keyID": .string(key.id), "epoch": .integer(Int64(key.epoch)),
            "createdAtMilliseconds": .integer(Int64(clamping: key.createdAtMilliseconds)),
            "key": .base64(key.material), "sealed": .bool(entry.sealed),
        ])
        try PrivateFile.replace(path(directory: directory), with: Data((json.rendered() + "\n").utf8))
    }

    private static func withLock<Result>(directory: String, _ body: () throws -> Result) throws -> Result {
        let lockPath = URL(fileURLWithPath: directory).appendingPathComponent(lockFileName).path
        let descriptor = open(lockPath, O_RDWR | O_CREAT, 0o600)
        guard descriptor >= 0 else {
            throw FileError(
                message: "cannot open \(lockPath): \(String(cString: strerror(errno)))",
                remedy: "Check that the data directory \(directory) exists and is writable."
            )
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw FileError(message: "cannot lock \(lockPath): \(String(cString: strerror(errno)))", remedy: "")
            }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}

/// Files readable by their owner only, written whole or not at all.
enum PrivateFile {
    /// Replaces `path` with `data`: a temporary file created with mode 0600 in the same directory, synced, then
    /// renamed over `path`. A reader sees the old or the new contents, never part of them.
    static func replace(_ path: String, with data: Data) throws {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: .min ... .max))"
        try create(temporary, with: data)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw SchoolKeyFile.FileError(message: "cannot replace \(path): \(reason)", remedy: "Check the folder.")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let folder = open(directory, O_RDONLY)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }

    /// Creates `path`, which must not exist, with mode 0600 and `data`.
    static func create(_ path: String, with data: Data) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw SchoolKeyFile.FileError(
                message: "cannot create \(path): \(reason)",
                remedy: errno == EEXIST
                    ? "Choose another file name; existing files are never overwritten." : "Check the folder."
            )
        }
        defer { close(descriptor) }
        var bytes = Array(data)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                unlink(path)
                throw SchoolKeyFile.FileError(message: "cannot write \(path): \(reason)", remedy: "Check the disk.")
            }
            bytes = bytes.dropFirst(written)
        }
        guard fsync(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw SchoolKeyFile.FileError(message: "cannot write \(path): \(reason)", remedy: "Check the disk.")
        }
    }
}
