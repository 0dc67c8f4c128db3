import Foundation

/// The content codings of sync bodies (`Protocol/sync.md`, "Content coding"): a request body is gzip or
/// uncompressed; an answer is gzip when the client accepts it.
enum ContentCoding: String, Sendable {
    case identity
    case gzip

    /// The codings a hub reads in request bodies, as a 415 answer names them (also in its `Accept-Encoding`).
    static let supported = "gzip, identity"

    /// The coding of a request body by its `Content-Encoding` header (absent or `identity`: uncompressed);
    /// a 415 problem for any other coding, or for more than one.
    static func ofRequest(_ header: String?) throws(Problem) -> ContentCoding {
        let codings = (header ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty && $0 != "identity" }
        switch codings {
        case []:
            return .identity
        case ["gzip"], ["x-gzip"]:
            return .gzip
        default:
            throw Problem.unsupportedEncoding(header ?? "")
        }
    }

    /// Whether an `Accept-Encoding` header lets the answer be gzip: `gzip` (or `x-gzip`), or else `*`, with a
    /// weight above 0 (RFC 9110 §12.5.3). No header: the answer stays uncompressed.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        var gzip: Double?
        var any: Double?
        for element in header.split(separator: ",") {
            let parts = element.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = parts.first?.lowercased(), !name.isEmpty else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                if pair.count == 2, pair[0].lowercased() == "q" {
                    weight = Double(pair[1]) ?? 0
                }
            }
            switch name {
            case "gzip", "x-gzip": gzip = max(gzip ?? 0, weight)
            case "*": any = weight
            default: break
            }
        }
        return (gzip ?? any ?? 0) > 0
    }

    /// A request body in `coding` as the JSON it carries: a gzip body is decompressed up to `limit` bytes
    /// (413 past it, however small the compressed body), and refused with a 400 when it is not valid gzip.
    static func decode(_ body: Data, _ coding: ContentCoding, limit: Int) throws(Problem) -> Data {
        switch coding {
        case .identity:
            return body
        case .gzip:
            do throws(GzipCodec.Failure) {
                return try GzipCodec.decompress(body, limit: limit)
            } catch .tooLarge {
                throw Problem.bodyTooLarge(limit: limit, decompressed: true)
            } catch {
                throw Problem.malformed(
                    "the request body says Content-Encoding: gzip but cannot be decompressed: \(error)"
                )
            }
        }
    }
}

extension Problem {
    /// A 415 for a request body in a content coding the hub does not read.
    static func unsupportedEncoding(_ encoding: String) -> Problem {
        Problem(
            status: 415,
            code: Codes.malformedRequest,
            title: "Unsupported content encoding",
            detail: "the request body is encoded as \"\(encoding)\"; this hub reads \(ContentCoding.supported) "
                + "(uncompressed) bodies",
            remedy: "Send the body gzip-compressed with Content-Encoding: gzip, or uncompressed without "
                + "Content-Encoding."
        )
    }
}
