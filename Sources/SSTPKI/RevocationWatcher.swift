import Foundation
import SSTCore
import X509

/// The hub's view of `revoked.json`, reloaded whenever the file changes, so that `sst pki revoke` takes effect
/// without restarting the hub.
///
/// Every question (``isRevoked(serial:)``, ``list``) first compares the file's modification time, size and inode
/// with the last ones read (one `stat`), and reloads the file when they differ. The watcher fails closed: it does
/// not start without a readable list, and a list that is removed, made unreadable or damaged while it runs keeps
/// the last good list in force (a deleted deny list never lets a revoked certificate back in); the error, which
/// names the file, is in ``lastError`` and is passed once to `onError` (to log it) until the file is fixed.
public final class RevocationWatcher: @unchecked Sendable {
    /// The watched file.
    public let path: String
    private let onError: (@Sendable (PKIError) -> Void)?
    private let lock = NSLock()
    // Guarded by `lock`.
    private var current: RevocationList
    private var stamp: FileStamp?
    private var error: PKIError?

    /// Watches the revocation list at `path`. Throws when the file is missing, unreadable or damaged
    /// (``RevocationList/loadRequired(path:)``), so that a hub never starts without its deny list.
    public init(path: String, onError: (@Sendable (PKIError) -> Void)? = nil) throws {
        self.path = path
        self.onError = onError
        let stamp = FileStamp(path: path)
        self.current = try RevocationList.loadRequired(path: path)
        self.stamp = stamp
    }

    /// Watches `revoked.json` in a CA folder.
    public convenience init(caDirectory: String, onError: (@Sendable (PKIError) -> Void)? = nil) throws {
        try self.init(path: RevocationList.path(inCA: caDirectory), onError: onError)
    }

    /// The list in force, after reloading the file if it changed.
    public var list: RevocationList {
        refresh()
        return lock.withLock { current }
    }

    /// Why the file in its current state could not be read, or `nil` when the list in force is the file's.
    public var lastError: PKIError? {
        refresh()
        return lock.withLock { error }
    }

    /// Whether the certificate with this serial number (hex) is revoked, by the list in force.
    public func isRevoked(serial: String) -> Bool {
        list.isRevoked(serial: serial)
    }

    /// Whether the certificate with this serial number is revoked, by the list in force.
    public func isRevoked(serial: Certificate.SerialNumber) -> Bool {
        list.isRevoked(serial: serial)
    }

    /// Whether any certificate of `node` was revoked, by the list in force (see ``RevocationList/isRevoked(node:)``).
    public func isRevoked(node: NodeID) -> Bool {
        list.isRevoked(node: node)
    }

    /// Reloads the file if its modification time, size or inode changed since it was last read (or it appeared or
    /// disappeared). Returns `false` while the file is missing, unreadable or damaged (the last good list stays in
    /// force).
    @discardableResult
    public func refresh() -> Bool {
        let now = FileStamp(path: path)
        let reported: PKIError? = lock.withLock {
            guard now != stamp else { return nil }
            stamp = now
            do {
                current = try RevocationList.loadRequired(path: path)
                error = nil
                return nil
            } catch let failure as PKIError where failure.code == .notFound {
                error = PKIError(
                    .notFound,
                    "the revocation list \(path) was removed; the last list read stays in force",
                    remedy: "Put revoked.json back (from the CA folder or a backup); the hub reads it again at once."
                )
            } catch let failure as PKIError {
                error = failure
            } catch {
                self.error = PKIError(.unreadable, "cannot read the revocation list \(path): \(error)")
            }
            return error
        }
        if let reported {
            onError?(reported)
            return false
        }
        return lock.withLock { error == nil }
    }
}

/// What identifies one version of a file cheaply: modification time, size and inode (a rename over the file, as
/// an atomic write does, changes the inode even within the same clock tick). `nil` for a missing file.
struct FileStamp: Equatable {
    let modified: Date?
    let size: UInt64?
    let inode: UInt64?

    init?(path: String) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        modified = attributes[.modificationDate] as? Date
        size = (attributes[.size] as? NSNumber)?.uint64Value
        inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value
    }
}
