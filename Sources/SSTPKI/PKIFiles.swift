import Crypto
import Foundation
import SwiftASN1
import X509

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// File handling shared by the CA, node certificates and the JSON files of the CA folder.
enum PKIFiles {
    /// The file name of the lock that serialises changes to `issued.json` and `revoked.json`.
    static let lockFileName = ".sst-pki.lock"

    /// `directory/name`, relative when `directory` is, so that messages show the paths the user typed.
    static func path(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// Creates `directory` (and its parents) if needed.
    static func createDirectory(_ directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw PKIError(
                .unwritable,
                "cannot create the folder \(directory): \(reason(error))",
                remedy: "Check the path and its permissions."
            )
        }
    }

    /// Writes a new file that must not exist yet, created with `mode` so that its contents are never readable by
    /// others, not even for a moment: the mode is given to `open(2)`, never set afterwards.
    static func writeNew(_ text: String, to path: String, mode: mode_t) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard descriptor >= 0 else {
            let code = errno
            if code == EEXIST {
                throw PKIError(
                    .alreadyExists,
                    "\(path) already exists and is never overwritten",
                    remedy: "Choose another --out folder, or move the old files away first if you mean to replace them."
                )
            }
            throw PKIError(
                .unwritable,
                "cannot create \(path): \(String(cString: strerror(code)))",
                remedy: "Check that the folder exists and is writable."
            )
        }
        defer { close(descriptor) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                let code = errno
                unlink(path)
                throw PKIError(.unwritable, "cannot write \(path): \(String(cString: strerror(code)))")
            }
            bytes = bytes.dropFirst(written)
        }
        fsync(descriptor)
    }

    /// Replaces `path` with `data` in one step (a temporary file renamed over it): a reader sees the old or the
    /// new contents, never half of them.
    static func writeAtomically(_ data: Data, to path: String) throws {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw PKIError(
                .unwritable,
                "cannot write \(path): \(reason(error))",
                remedy: "Check that the folder exists and is writable."
            )
        }
    }

    /// The contents of `path`; `what` names the file in errors ("the CA certificate").
    static func read(_ path: String, what: String, remedy: String) throws -> Data {
        guard exists(path) else {
            throw PKIError(.notFound, "\(what) \(path) does not exist", remedy: remedy)
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PKIError(.unreadable, "cannot read \(what) \(path): \(reason(error))", remedy: remedy)
        }
    }

    /// Reads a PEM certificate file.
    static func readCertificate(_ path: String, what: String = "the certificate", remedy: String) throws -> Certificate
    {
        let data = try read(path, what: what, remedy: remedy)
        do {
            return try Certificate(pemEncoded: String(decoding: data, as: UTF8.self))
        } catch {
            throw PKIError(
                .invalidCertificate,
                "\(what) \(path) is not a PEM certificate (\(error))",
                remedy: remedy
            )
        }
    }

    /// Reads a PEM private key file (PKCS#8 or SEC1) and checks that it is an ECDSA P-256 key.
    static func readPrivateKey(_ path: String, what: String, remedy: String) throws -> Certificate.PrivateKey {
        let data = try read(path, what: what, remedy: remedy)
        let key: Certificate.PrivateKey
        do {
            key = try Certificate.PrivateKey(pemEncoded: String(decoding: data, as: UTF8.self))
        } catch {
            throw PKIError(.invalidKey, "\(what) \(path) is not a PEM private key (\(error))", remedy: remedy)
        }
        guard P256.Signing.PublicKey(key.publicKey) != nil else {
            throw PKIError(.invalidKey, "\(what) \(path) is not an ECDSA P-256 key", remedy: remedy)
        }
        return key
    }

    /// Runs `body` holding an exclusive lock on the CA folder, so that two `sst pki issue` or `sst pki revoke`
    /// runs at the same time never lose each other's entries.
    static func withLock<Result>(on directory: String, _ body: () throws -> Result) throws -> Result {
        let lockPath = path(directory, lockFileName)
        let descriptor = open(lockPath, O_RDWR | O_CREAT, 0o600)
        guard descriptor >= 0 else {
            throw PKIError(
                .unwritable,
                "cannot open the lock file \(lockPath): \(String(cString: strerror(errno)))",
                remedy: "Check that the CA folder is writable."
            )
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw PKIError(.unwritable, "cannot lock \(lockPath): \(String(cString: strerror(errno)))")
            }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// A short reason for a Foundation error, without the domain and code noise.
    static func reason(_ error: any Error) -> String {
        if let posix = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(posix.code)))
        }
        return (error as NSError).localizedDescription
    }
}
