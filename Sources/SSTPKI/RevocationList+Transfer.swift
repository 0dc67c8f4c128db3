import Foundation

extension RevocationList {
    /// The list as `revoked.json` holds it (`{"format": "sst-revocations", "version": 1, "revoked": […]}`), which the
    /// hub serves at `GET /v2/revocations` so that school nodes learn the district's list.
    public func fileData() throws -> Data {
        try PKIJSON.encoder.encode(Transfer(format: Self.format, version: Self.version, revoked: entries))
    }

    /// Reads a list in the format of `revoked.json` (``fileData()``); `source` names where it came from in the error
    /// (``PKIError/Code-swift.struct/corruptFile``) when it is damaged.
    public static func decode(_ data: Data, from source: String) throws -> RevocationList {
        try decode(data, path: source)
    }

    private struct Transfer: Encodable {
        var format: String
        var version: Int
        var revoked: [Entry]
    }
}
