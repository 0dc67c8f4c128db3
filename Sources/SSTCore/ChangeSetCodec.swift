#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads and writes change sets as JSON, refusing damaged files, other formats and newer versions
/// with a ``ChangeSetError`` before anything is applied.
public enum ChangeSetCodec {
    private struct Header: Decodable {
        let format: String?
        let version: Int?
    }

    public static func encode(_ changeSet: ChangeSet) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(changeSet)
    }

    /// The change set in `data`, or the ``ChangeSetError`` that says why it is not one. A member named twice in
    /// one object, at any depth, is refused as `corrupt`: `JSONDecoder` would keep one of the two silently.
    public static func decode(_ data: Data) throws(ChangeSetError) -> ChangeSet {
        // The reader gives up on any repeated member, so only sets it does not read need the scan.
        if let changeSet = ChangeSetReader.read(data) { return changeSet }
        return try decodeWithJSONDecoder(data)
    }

    /// Decodes with `JSONDecoder`: every version, and the error message for anything malformed.
    static func decodeWithJSONDecoder(_ data: Data) throws(ChangeSetError) -> ChangeSet {
        let decoder = JSONDecoder()
        let header: Header?
        do {
            header = try decoder.decode(Header.self, from: data)
        } catch DecodingError.dataCorrupted {
            throw ChangeSetError(
                .corrupt,
                "the change set is not valid JSON (\(data.count) bytes; truncated or damaged?)",
                remedy: "Export it again from the sending node and copy the whole file."
            )
        } catch {
            header = nil  // Valid JSON of another shape: not an object, or members of other types.
        }
        if let duplicate = JSONDuplicateMembers.first(in: data) {
            throw ChangeSetError(
                .corrupt,
                "the change set is malformed: it names the member \(duplicate.joined(separator: ".")) twice in one "
                    + "object",
                remedy: resend
            )
        }
        guard let header, header.format == ChangeSet.formatName else {
            throw ChangeSetError(
                .notAChangeSet,
                "the file is JSON but not an SST change set (it has no \"format\": \"\(ChangeSet.formatName)\")",
                remedy: "Give the file written by `sst changes export`."
            )
        }
        guard let version = header.version else {
            throw ChangeSetError(
                .corrupt,
                "the change set has no protocol \"version\"",
                remedy: "Export it again from the sending node."
            )
        }
        guard version <= ChangeSet.currentVersion else {
            throw ChangeSetError(
                .newerVersion,
                "the change set uses protocol version \(version); this node reads up to version "
                    + "\(ChangeSet.currentVersion)",
                remedy: "Upgrade SST Sync on this node, then import the file again."
            )
        }
        do {
            return try decoder.decode(ChangeSet.self, from: data)
        } catch let error as DecodingError {
            throw ChangeSetError(.corrupt, "the change set is malformed: \(describe(error))", remedy: resend)
        } catch {
            throw ChangeSetError(.corrupt, "the change set is malformed: \(error)", remedy: resend)
        }
    }

    private static let resend = "Export it again from the sending node; if it fails again, report it as a bug."

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath)): the member \"\(key.stringValue)\" is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
