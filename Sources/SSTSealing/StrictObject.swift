import Foundation
import SSTCore

/// A JSON object read strictly: a `format` and `version` of its own, no member named twice, no member unknown,
/// every member of its type. Errors are ``SealingError``s naming `what` and the member.
struct StrictObject {
    let members: [String: CanonicalJSON]
    let what: String
    let remedy: String

    /// Parses `data` as the object of `format`, version 1, holding exactly `names` besides format and version.
    init(_ data: Data, what: String, format: String, names: Set<String>, remedy: String) throws(SealingError) {
        self.what = what
        self.remedy = remedy
        let parsed: CanonicalJSON
        do {
            parsed = try JSONDecoder().decode(CanonicalJSON.self, from: data)
        } catch {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.hasPrefix("{") && !text.hasSuffix("}") {
                throw SealingError(.truncated, "\(what) is cut short: its JSON text ends early", remedy: remedy)
            }
            throw SealingError(.malformed, "\(what) is not JSON", remedy: remedy)
        }
        if let path = JSONDuplicateMembers.first(in: data) {
            throw SealingError(
                .malformed,
                "\(what) names the member \"\(path.joined(separator: "."))\" twice",
                remedy: remedy
            )
        }
        guard case .object(let members) = parsed else {
            throw SealingError(.malformed, "\(what) is not a JSON object", remedy: remedy)
        }
        self.members = members
        guard case .string(format) = members["format"] else {
            throw SealingError(.malformed, "\(what) is not of the format \"\(format)\"", remedy: remedy)
        }
        guard case .integer(let version) = members["version"] else {
            throw SealingError(.malformed, "\(what) has no integer \"version\"", remedy: remedy)
        }
        guard version == 1 else {
            throw SealingError(
                .malformed,
                "\(what) is of version \(version); this sst reads version 1",
                remedy: "Upgrade sst on this node to the version of the node that made it."
            )
        }
        let unknown = Set(members.keys).subtracting(names).subtracting(["format", "version"])
        if let name = unknown.sorted().first {
            throw SealingError(.malformed, "\(what) has an unknown member \"\(name)\"", remedy: remedy)
        }
    }

    func string(_ name: String) throws(SealingError) -> String {
        guard case .string(let value) = members[name] else { throw missing(name, "a string") }
        return value
    }

    func integer(_ name: String) throws(SealingError) -> Int64 {
        guard case .integer(let value) = members[name] else { throw missing(name, "an integer") }
        return value
    }

    func bool(_ name: String) throws(SealingError) -> Bool {
        guard case .bool(let value) = members[name] else { throw missing(name, "true or false") }
        return value
    }

    func base64(_ name: String) throws(SealingError) -> [UInt8] {
        guard case .string(let value) = members[name], let bytes = Self.canonicalBase64(value) else {
            throw missing(name, "base64 text")
        }
        return bytes
    }

    /// The bytes of base64 text in its one canonical form (padding, no line breaks, unused bits zero), or nil:
    /// text that decodes to the same bytes as other text would let a changed file mean the same.
    static func canonicalBase64(_ text: String) -> [UInt8]? {
        guard let data = Data(base64Encoded: text), data.base64EncodedString() == text else { return nil }
        return Array(data)
    }

    private func missing(_ name: String, _ type: String) -> SealingError {
        SealingError(.malformed, "\(what) has no member \"\(name)\" holding \(type)", remedy: remedy)
    }
}

extension CanonicalJSON {
    /// The canonical bytes of this value, as files and the hub store them.
    var canonicalData: Data { Data(rendered().utf8) }

    static func base64(_ bytes: some Sequence<UInt8>) -> CanonicalJSON {
        .string(Data(bytes).base64EncodedString())
    }
}
