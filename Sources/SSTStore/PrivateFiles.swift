import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A node's data is personal data about children: its data directory is private to the user that runs the node
/// (mode 0700) and every file in it, and every copy it makes (backups, change-set files), readable and writable by
/// that user only (0600). Files are created with those modes, never made private afterwards, so that no other
/// user can read them even for a moment; files left readable by an older version are made private when the store
/// opens them.
public enum PrivateFiles {
    /// The mode of a node's files: read and write for the owner only.
    public static let fileMode: mode_t = 0o600
    /// The mode of a node's data directory and of a backup directory.
    public static let directoryMode: mode_t = 0o700

    /// Creates `path` (and missing parents) as a private directory, or makes an existing one private. Refuses a
    /// path that exists and is not a directory.
    public static func makeDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw PrivateFileError("\(path) exists and is not a directory", remedy: "Choose another directory.")
            }
        } else {
            do {
                try FileManager.default.createDirectory(
                    atPath: path,
                    withIntermediateDirectories: true,
                    attributes: [.posixPermissions: Int(directoryMode)]
                )
            } catch {
                throw PrivateFileError(
                    "cannot create the directory \(path): \((error as NSError).localizedDescription)",
                    remedy: "Check the path and the permissions of its parent."
                )
            }
        }
        try restrict(path, to: directoryMode)
    }

    /// Makes the directory that holds a node's database private (0700), unless it is shared by design: the root
    /// directory, or one with the sticky bit (such as `/tmp`), which is never a node's own data directory.
    static func restrictDataDirectory(ofDatabaseAt databasePath: String) throws {
        let directory = URL(fileURLWithPath: databasePath).deletingLastPathComponent().standardizedFileURL.path
        var info = stat()
        guard directory != "/", stat(directory, &info) == 0, info.st_mode & S_ISVTX == 0 else { return }
        guard info.st_mode & 0o777 != directoryMode else { return }
        try restrict(directory, to: directoryMode)
    }

    /// Creates the database file at `path` with mode 0600 when there is none, before SQLite opens it (SQLite then
    /// creates the `-wal` and `-shm` files with the database file's mode), or makes an existing database and its
    /// `-wal` and `-shm` files private.
    static func prepareDatabaseFile(_ path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
            if descriptor >= 0 {
                close(descriptor)
                try restrict(path, to: fileMode)  // `open` applies the umask, which may only remove bits: set them.
                return
            }
            guard errno == EEXIST else {
                throw PrivateFileError(
                    "cannot create \(path): \(String(cString: strerror(errno)))",
                    remedy: "Check that the directory exists and is writable."
                )
            }
        }
        for suffix in ["", "-wal", "-shm", "-journal"] where FileManager.default.fileExists(atPath: path + suffix) {
            try restrictIfNeeded(path + suffix, to: fileMode)
        }
    }

    /// Replaces `path` with `data` in one step: a private temporary file beside it (mode 0600 from its creation),
    /// written, flushed and renamed over the old file, so a reader or a crash sees the old contents or the new,
    /// never half of them, and no other user ever sees either.
    public static func write(_ data: Data, to path: String) throws {
        let target = URL(fileURLWithPath: path)
        let temporary = target.deletingLastPathComponent()
            .appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString.prefix(8)).tmp").path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        guard descriptor >= 0 else {
            throw PrivateFileError(
                "cannot write \(path): \(String(cString: strerror(errno)))",
                remedy: "Check that the directory exists and is writable."
            )
        }
        var failure = writeAll(data, to: descriptor)
        if failure == 0 && fsync(descriptor) != 0 { failure = errno }
        close(descriptor)
        if failure == 0 && rename(temporary, path) != 0 { failure = errno }
        guard failure == 0 else {
            unlink(temporary)
            throw PrivateFileError(
                "cannot write \(path): \(String(cString: strerror(failure)))",
                remedy: "Check that the directory exists and is writable, and that the disk has room."
            )
        }
    }

    /// Copies the file at `source` to a new private file at `target` (refusing to overwrite one).
    public static func copy(_ source: String, to target: String) throws {
        guard !FileManager.default.fileExists(atPath: target) else {
            throw PrivateFileError("\(target) already exists", remedy: "Copy into a new directory.")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: source))
        } catch {
            throw PrivateFileError(
                "cannot read \(source): \((error as NSError).localizedDescription)",
                remedy: "Check its permissions."
            )
        }
        try write(data, to: target)
    }

    /// Sets the permission bits of `path` to `mode`.
    static func restrict(_ path: String, to mode: mode_t) throws {
        guard chmod(path, mode) == 0 else {
            throw PrivateFileError(
                "cannot make \(path) private (mode \(String(mode, radix: 8))): \(String(cString: strerror(errno)))",
                remedy: "Run the node as the user that owns its data directory, or fix the owner with chown."
            )
        }
    }

    private static func restrictIfNeeded(_ path: String, to mode: mode_t) throws {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o777 != mode else { return }
        try restrict(path, to: mode)
    }
}

/// Writes all of `data` to `descriptor`; returns 0, or the `errno` of the failure.
private func writeAll(_ data: Data, to descriptor: Int32) -> Int32 {
    data.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += written
        }
        return 0
    }
}

/// A node file that could not be created or made private.
public struct PrivateFileError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public let remedy: String

    public init(_ message: String, remedy: String) {
        self.message = message
        self.remedy = remedy
    }

    public var description: String { "\(message). \(remedy)" }
}
