import Foundation

/// How a node reaches its hub, kept in `sync.json` in its data directory so that `sst sync` and
/// `sst node serve` need the flags only once.
public struct SyncSettings: Codable, Hashable, Sendable {
    /// The file's name in a node's data directory.
    public static let fileName = "sync.json"

    /// The hub's base URL, `https://HOST:PORT`.
    public var hubURL: String
    /// The node's certificate, key and the district CA (absolute paths).
    public var tls: TLSFiles
    /// Field changes per batch; `nil` for the default.
    public var batchSize: Int?
    /// Whether push bodies are sent gzip-compressed (`Content-Encoding: gzip`); on unless the file says
    /// `"gzipRequestBodies": false`. Answers are accepted gzip-compressed either way.
    public var gzipRequestBodies: Bool

    public init(hubURL: String, tls: TLSFiles, batchSize: Int? = nil, gzipRequestBodies: Bool = true) {
        self.hubURL = hubURL
        self.tls = tls
        self.batchSize = batchSize
        self.gzipRequestBodies = gzipRequestBodies
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        hubURL = try container.decode(String.self, forKey: .hubURL)
        tls = try container.decode(TLSFiles.self, forKey: .tls)
        batchSize = try container.decodeIfPresent(Int.self, forKey: .batchSize)
        // Files written before gzip bodies have no such member: on by default.
        gzipRequestBodies = try container.decodeIfPresent(Bool.self, forKey: .gzipRequestBodies) ?? true
    }

    private enum CodingKeys: String, CodingKey {
        case hubURL, tls, batchSize, gzipRequestBodies
    }

    /// The settings with each given value replacing the stored one (`nil`: keep it); throws naming what is still
    /// missing.
    public static func resolve(
        stored: SyncSettings?,
        hubURL: String?,
        certificate: String?,
        key: String?,
        ca: String?,
        batchSize: Int?,
        gzipRequestBodies: Bool? = nil
    ) throws -> SyncSettings {
        let values = [
            ("--hub", hubURL ?? stored?.hubURL), ("--cert", certificate.map(absolute) ?? stored?.tls.certificate),
            ("--key", key.map(absolute) ?? stored?.tls.key), ("--ca", ca.map(absolute) ?? stored?.tls.ca),
        ]
        let missing = values.filter { $0.1 == nil }.map(\.0)
        guard missing.isEmpty, let url = values[0].1, let cert = values[1].1, let key = values[2].1,
            let ca = values[3].1
        else {
            throw SyncSetupError(
                "this node has no stored hub settings for \(missing.joined(separator: ", "))",
                remedy: "Give --hub URL --cert F --key F --ca F (`sst node serve` stores them for later)."
            )
        }
        guard url.lowercased().hasPrefix("https://") else {
            throw SyncSetupError("the hub URL \(url) is not https://", remedy: "Give --hub https://HOST:PORT.")
        }
        return SyncSettings(
            hubURL: url,
            tls: TLSFiles(certificate: cert, key: key, ca: ca),
            batchSize: batchSize ?? stored?.batchSize,
            gzipRequestBodies: gzipRequestBodies ?? stored?.gzipRequestBodies ?? true
        )
    }

    /// The same settings with another certificate and key (after `sst node rejoin`).
    public func replacingCertificate(_ certificate: String, key: String) -> SyncSettings {
        var settings = self
        settings.tls = TLSFiles(certificate: Self.absolute(certificate), key: Self.absolute(key), ca: tls.ca)
        return settings
    }

    /// The settings stored in `directory`, or `nil`.
    public static func load(directory: String) throws -> SyncSettings? {
        let path = Self.path(directory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(SyncSettings.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw SyncSetupError(
                "cannot read the hub settings \(path): \(error)",
                remedy: "Delete the file and give --hub --cert --key --ca again."
            )
        }
    }

    /// Stores the settings in `directory` (atomically).
    public func save(directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: Self.path(directory)), options: .atomic)
        } catch {
            throw SyncSetupError("cannot store the hub settings: \(error)", remedy: "Check the --data directory.")
        }
    }

    private static func path(_ directory: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent(fileName).path
    }

    private static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
