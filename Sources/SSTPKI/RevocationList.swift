import Foundation
import SSTCore
import X509

/// The district's deny list, `revoked.json` in the CA folder, which the hub reads:
///
/// ```json
/// {"format": "sst-revocations", "version": 1,
///  "revoked": [{"node": "…", "serial": "hex", "revokedAt": "ISO8601", "reason": "…"}]}
/// ```
///
/// `sst pki init` writes an empty list (``writeEmpty(inCA:)``); `sst pki revoke` adds entries. The hub needs the
/// file: ``RevocationWatcher`` refuses to start without it (``loadRequired(path:)``) and reloads it while the hub
/// runs. Only ``revoke(node:reason:caDirectory:now:)`` treats a missing file (a CA folder made before the empty
/// list was written) as an empty list, and writes it.
public struct RevocationList: Hashable, Sendable {
    /// The file name in the CA folder.
    public static let fileName = "revoked.json"
    static let format = "sst-revocations"
    static let version = 1

    /// One revoked certificate.
    public struct Entry: Codable, Hashable, Sendable {
        /// The node the certificate was issued to.
        public var node: String
        /// The certificate's serial number in hex (any case, `:` separators allowed).
        public var serial: String
        public var revokedAt: Date
        /// Why, in the administrator's words.
        public var reason: String?

        public init(node: String, serial: String, revokedAt: Date, reason: String? = nil) {
            self.node = node
            self.serial = serial
            self.revokedAt = revokedAt
            self.reason = reason
        }
    }

    /// The entries in file order.
    public let entries: [Entry]
    private let serials: Set<String>
    private let nodes: Set<String>

    /// A list of `entries`.
    public init(entries: [Entry] = []) {
        self.entries = entries
        self.serials = Set(entries.map { SerialHex.normalized($0.serial) })
        self.nodes = Set(entries.map(\.node))
    }

    /// Whether the certificate with this serial number (hex, any case, `:` separators allowed) is revoked.
    public func isRevoked(serial: String) -> Bool {
        serials.contains(SerialHex.normalized(serial))
    }

    /// Whether the certificate with this serial number is revoked.
    public func isRevoked(serial: Certificate.SerialNumber) -> Bool {
        serials.contains(serial.hexString)
    }

    /// Whether any certificate of `node` was revoked. Revocation is per certificate: a node issued a new
    /// certificate after a revocation is still named here, so check ``isRevoked(serial:)`` to decide
    /// whether a given certificate may connect.
    public func isRevoked(node: NodeID) -> Bool {
        nodes.contains(node.rawValue)
    }

    /// The path of `revoked.json` in a CA folder.
    public static func path(inCA caDirectory: String) -> String {
        PKIFiles.path(caDirectory, fileName)
    }

    /// The empty list as `sst pki init` writes it, for a CA folder made before it did.
    public static let emptyFileText = #"{"format": "sst-revocations", "version": 1, "revoked": []}"#

    /// Loads the list of a CA folder; a missing file means nothing is revoked.
    public static func load(fromCA caDirectory: String) throws -> RevocationList {
        try load(path: path(inCA: caDirectory))
    }

    /// Loads a revocation list file; a missing file means nothing is revoked. A damaged file is an error
    /// (``PKIError/Code-swift.struct/corruptFile``) that names the file.
    public static func load(path: String) throws -> RevocationList {
        guard PKIFiles.exists(path) else { return RevocationList() }
        return try loadRequired(path: path)
    }

    /// Loads a revocation list file that must exist, as a hub does: a missing file is an error
    /// (``PKIError/Code-swift.struct/notFound``) that names the file and says how to make an empty one; an
    /// unreadable one is ``PKIError/Code-swift.struct/unreadable``, a damaged one
    /// ``PKIError/Code-swift.struct/corruptFile``. A hub never takes a missing deny list for an empty one: a
    /// list deleted by mistake would let every revoked certificate back in.
    public static func loadRequired(path: String) throws -> RevocationList {
        let remedy =
            "`sst pki init` writes an empty list in the CA folder; for an older CA folder, restore revoked.json "
            + "from a backup, or if nothing was ever revoked write \(emptyFileText) to it."
        guard PKIFiles.exists(path) else {
            throw PKIError(.notFound, "the revocation list \(path) does not exist", remedy: remedy)
        }
        let data = try PKIFiles.read(path, what: "the revocation list", remedy: "Check its permissions. " + remedy)
        return try decode(data, path: path)
    }

    /// Writes an empty `revoked.json` into the CA folder when there is none (``DistrictCA/create(in:name:days:now:)``
    /// calls it), so that a hub can be pointed at it from the start.
    public static func writeEmpty(inCA caDirectory: String) throws {
        let path = path(inCA: caDirectory)
        guard !PKIFiles.exists(path) else { return }
        try RevocationList().write(to: path)
    }

    static func decode(_ data: Data, path: String) throws -> RevocationList {
        do {
            let file = try PKIJSON.decoder.decode(File.self, from: data)
            guard file.format == format, file.version == version else {
                throw PKIJSON.FormatMismatch(expected: "\"format\": \"\(format)\", \"version\": \(version)")
            }
            for (index, entry) in file.revoked.enumerated() {
                guard SerialHex.isValid(entry.serial) else {
                    throw BadEntry(text: "revoked[\(index)].serial \"\(entry.serial)\" is not a hex serial number")
                }
                guard NodeID(entry.node) != nil else {
                    throw BadEntry(text: "revoked[\(index)].node \"\(entry.node)\" is not a node id")
                }
            }
            return RevocationList(entries: file.revoked)
        } catch {
            throw PKIError(
                .corruptFile,
                "the revocation list \(path) is damaged: \(PKIJSON.describe(error))",
                remedy: "Fix the JSON or restore it from a backup; until then the last list read stays in force."
            )
        }
    }

    /// Replaces the file at `path` in one step: the hub reads the old list or the new one, never half of one.
    func write(to path: String) throws {
        let file = File(format: Self.format, version: Self.version, revoked: entries)
        try PKIFiles.writeAtomically(try PKIJSON.encoder.encode(file), to: path)
    }

    /// Revokes every certificate the CA in `caDirectory` issued to `node` (found in `issued.json`), adding them to
    /// the CA folder's `revoked.json` in one atomic replace. Returns the entries added: empty when all of them
    /// were revoked already. Throws ``PKIError/Code-swift.struct/unknownNode`` when the CA never issued to `node`.
    @discardableResult
    public static func revoke(
        node: NodeID,
        reason: String? = nil,
        caDirectory: String,
        now: Date = Date()
    ) throws -> [Entry] {
        let caPath = PKIFiles.path(caDirectory, DistrictCA.certificateFileName)
        guard PKIFiles.exists(caPath) else {
            throw PKIError(
                .notFound,
                "\(caDirectory) is not a CA folder: \(caPath) does not exist",
                remedy: "Give --ca the folder made by `sst pki init`."
            )
        }
        return try PKIFiles.withLock(on: caDirectory) {
            let serials = try IssuedIndex.load(from: caDirectory).serials(of: node)
            guard !serials.isEmpty else {
                throw PKIError(
                    .unknownNode,
                    "the CA in \(caDirectory) never issued a certificate to node \(node)",
                    remedy: "Check the node id against \(PKIFiles.path(caDirectory, IssuedIndex.fileName))."
                )
            }
            let current = try load(fromCA: caDirectory)
            let added = serials.filter { !current.isRevoked(serial: $0) }.map {
                Entry(node: node.rawValue, serial: $0, revokedAt: now, reason: reason)
            }
            if !added.isEmpty {
                try RevocationList(entries: current.entries + added).write(to: path(inCA: caDirectory))
            }
            return added
        }
    }

    private struct File: Codable {
        var format: String
        var version: Int
        var revoked: [Entry]
    }

    private struct BadEntry: Error, CustomStringConvertible {
        let text: String
        var description: String { text }
    }
}
