import Foundation

#if canImport(GRDBSQLite)
import GRDBSQLite
#elseif canImport(SQLite3)
import SQLite3
#endif

#if canImport(Glibc)
import Glibc
#endif

/// Writes a database file's dirty pages to the disk a slice of the file at a time, waiting for each slice,
/// before the sync that makes them durable (Linux only: `sync_file_range`).
///
/// A sync of the database file after a checkpoint hands the disk every page the checkpoint copied at once,
/// and a push's commit, which syncs only the log file, queues behind them on the same disk: in one of B10's
/// runs the checkpointer's sync took 155 ms and a push that began beside it 124 ms. Written a slice at a time,
/// no more than a slice's pages are ever ahead of a push. The sync that follows is unchanged; this only
/// decides when the pages go, never whether they are durable.
struct DatabaseFileWriteBack {
    /// The descriptor SQLite holds open on the database file.
    private let descriptor: Int32
    /// `sync_file_range`, found at run time: Swift's Glibc module leaves it out (it is a GNU extension).
    private let syncFileRange: SyncFileRange

    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32

    /// At most this many slices per write-back, and none smaller than ``smallestSlice``.
    static let slices: Int64 = 16
    static let smallestSlice: Int64 = 64 << 20

    /// The write-back of the main database file of `connection`, at `path`; nil where it cannot be done (not
    /// Linux, a VFS other than SQLite's unix one, or a descriptor that is not that file's), and the sync then
    /// writes everything at once as before.
    init?(connection: OpaquePointer, path: String) {
        #if os(Linux)
        guard let symbol = dlsym(nil, "sync_file_range") else { return nil }
        var vfs: UnsafeMutablePointer<sqlite3_vfs>?
        var file: UnsafeMutablePointer<sqlite3_file>?
        guard sqlite3_file_control(connection, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) == SQLITE_OK,
            let name = vfs?.pointee.zName, String(cString: name).hasPrefix("unix"),
            sqlite3_file_control(connection, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK, let file
        else { return nil }
        // SQLite's unix VFS keeps the descriptor after three pointers (its methods, its VFS, its inode's
        // locks) in every version with write-ahead logs. The file it names is checked against the path below,
        // so a different layout finds nothing rather than the wrong file.
        let candidate = UnsafeRawPointer(file).load(
            fromByteOffset: 3 * MemoryLayout<UnsafeRawPointer>.stride,
            as: Int32.self
        )
        var open = stat()
        var named = stat()
        guard candidate >= 0, fstat(candidate, &open) == 0, stat(path, &named) == 0,
            open.st_dev == named.st_dev, open.st_ino == named.st_ino
        else { return nil }
        descriptor = candidate
        syncFileRange = unsafeBitCast(symbol, to: SyncFileRange.self)
        #else
        return nil
        #endif
    }

    /// Writes the file's dirty pages slice by slice, each slice's pages on the disk before the next slice's
    /// start. Best effort: a failure leaves the rest to the sync that follows.
    func writeInSlices() {
        #if os(Linux)
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size > 0 else { return }
        let size = Int64(status.st_size)
        let slice = max(Self.smallestSlice, (size + Self.slices - 1) / Self.slices)
        let flags = UInt32(1 | 2 | 4)  // SYNC_FILE_RANGE_WAIT_BEFORE | _WRITE | _WAIT_AFTER
        var offset: Int64 = 0
        while offset < size {
            guard syncFileRange(descriptor, offset, slice, flags) == 0 else { return }
            offset += slice
        }
        #endif
    }
}
