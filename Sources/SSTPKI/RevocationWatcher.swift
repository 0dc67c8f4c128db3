import Foundation
import SSTCore
import X509

/// The hub's view of `revoked.json`, reloaded whenever the file changes, so that `sst pki revoke` takes effect
/// without restarting the hub.
///
/// Every question (``isRevoked(serial:)``, ``list``) first compares the file's modification time, size and inode
/// with the last ones read (one `stat`), and reloads the file when they differ. A missing file means nothing is
/// revoked. A damaged file keeps the last good list in force; the error, which names the file, is in
/// ``lastError`` and is passed once to `onError` (to log it) until the file is fixed.
public final class RevocationWatcher: @unchecked Sendable {
    /// The watched file.
    public let path: String
    private let onError: (@Sendable (PKIError) -> Void)?
    private let lock = NSLock()
    // Guarded by `lock`.
    private var current: RevocationList
    private var stamp: FileStamp?
    private var error: PKIError?

    /// Watches the revocation list at `path`. Throws when the file exists but is damaged or unreadable, so that a
    /// hub never starts without its deny list.
    public init(path: String, onError: (@Sendable (PKIError) -> Void)? = nil) throws {
        self.path = path
        self.onError = onError
        let stamp = FileStamp(path: path)
        self.current = try RevocationList.load(path: path)
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

    /// Reloads the file if its modification time, size or inode changed since it was last read. Returns `false`
    /// when the file changed but is damaged (the last good list stays in force).
    @discardableResult
    public func refresh() -> Bool {
        let now = FileStamp(path: path)
        let reported: PKIError? = lock.withLock {
            guard now != stamp else { return nil }
            stamp = now
            do {
                current = try RevocationList.load(path: path)
                error = nil
                return nil
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
