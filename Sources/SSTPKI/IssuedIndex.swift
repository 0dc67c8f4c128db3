import Foundation
import SSTCore
import X509

/// The CA folder's record of every node certificate it issued, `issued.json`, so that `sst pki revoke` can find a
/// node's serial numbers by its node id:
///
/// ```json
/// {"format": "sst-issued", "version": 1,
///  "issued": [{"node": "…", "serial": "hex", "role": "school", "school": "…", "stadsdel": "…",
///              "notValidBefore": "ISO8601", "notValidAfter": "ISO8601", "issuedAt": "ISO8601"}]}
/// ```
public struct IssuedIndex: Hashable, Sendable {
    /// The file name in the CA folder.
    public static let fileName = "issued.json"
    static let format = "sst-issued"
    static let version = 1

    /// One issued certificate.
    public struct Entry: Codable, Hashable, Sendable {
        public var node: String
        /// The serial number in lower-case hex.
        public var serial: String
        public var role: String
        public var school: String?
        public var stadsdel: String?
        public var notValidBefore: Date
        public var notValidAfter: Date
        public var issuedAt: Date

        init(_ issued: NodeCertificate, issuedAt: Date) {
            node = issued.identity.node.rawValue
            serial = issued.serial
            role = issued.identity.role
            school = issued.identity.school
            stadsdel = issued.identity.stadsdel
            notValidBefore = issued.certificate.notValidBefore
            notValidAfter = issued.certificate.notValidAfter
            self.issuedAt = issuedAt
        }
    }

    /// Every certificate issued, oldest first.
    public var entries: [Entry]

    /// The serial numbers of every certificate issued to `node`.
    public func serials(of node: NodeID) -> [String] {
        entries.filter { $0.node == node.rawValue }.map(\.serial)
    }

    /// Loads `issued.json` from a CA folder; a missing file is an empty index.
    public static func load(from caDirectory: String) throws -> IssuedIndex {
        let path = PKIFiles.path(caDirectory, fileName)
        guard PKIFiles.exists(path) else { return IssuedIndex(entries: []) }
        let data = try PKIFiles.read(path, what: "the index of issued certificates", remedy: "Check its permissions.")
        do {
            let file = try PKIJSON.decoder.decode(File.self, from: data)
            guard file.format == format, file.version == version else {
                throw PKIJSON.FormatMismatch(expected: "\"format\": \"\(format)\", \"version\": \(version)")
            }
            return IssuedIndex(entries: file.issued)
        } catch {
            throw PKIError(
                .corruptFile,
                "\(path) is damaged: \(PKIJSON.describe(error))",
                remedy: "Restore it from a backup, or fix the JSON by hand."
            )
        }
    }

    /// Replaces `issued.json` in the CA folder in one step.
    func write(to caDirectory: String) throws {
        let file = File(format: Self.format, version: Self.version, issued: entries)
        try PKIFiles.writeAtomically(try PKIJSON.encoder.encode(file), to: PKIFiles.path(caDirectory, Self.fileName))
    }

    private struct File: Codable {
        var format: String
        var version: Int
        var issued: [Entry]
    }
}

/// JSON coding of the CA folder's files: sorted keys, indented, ISO 8601 dates.
enum PKIJSON {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// The file's `format` or `version` is not the expected one.
    struct FormatMismatch: Error, CustomStringConvertible {
        let expected: String
        var description: String { "it is not this kind of file or not this version (expected \(expected))" }
    }

    /// A one-line reason for a decoding failure, naming the field.
    static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return String(describing: error) }
        let context: DecodingError.Context
        switch decoding {
        case .dataCorrupted(let value): context = value
        case .keyNotFound(let key, let value):
            return "missing \"\(key.stringValue)\"" + at(value.codingPath)
        case .typeMismatch(_, let value): context = value
        case .valueNotFound(_, let value): context = value
        @unknown default: return String(describing: error)
        }
        let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
        return (underlying ?? context.debugDescription) + at(context.codingPath)
    }

    private static func at(_ path: [any CodingKey]) -> String {
        guard !path.isEmpty else { return "" }
        let components = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return " at \(components)"
    }
}
