import Foundation
import SSTCore
import SSTPKI
import SSTSync

/// A fresh directory under the system's temporary directory, removed when the test is done with it.
final class TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sst-sync-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A district PKI for tests: a CA in a temporary folder and node certificates issued by it.
final class TestDistrict: Sendable {
    let directory: TemporaryDirectory
    let ca: DistrictCA

    init() throws {
        directory = try TemporaryDirectory()
        ca = try DistrictCA.create(in: directory.path("ca"))
    }

    var caDirectory: String { directory.path("ca") }

    /// The district's `revoked.json` (absent until something is revoked).
    var revokedPath: String { RevocationList.path(inCA: caDirectory) }

    /// Issues a certificate and returns its files; `expired` makes one that ended yesterday.
    func issue(
        _ node: String,
        role: String = "school",
        school: String? = nil,
        stadsdel: String? = nil,
        expired: Bool = false
    ) throws -> TLSFiles {
        let folder = directory.path("nodes/\(node)-\(UUID().uuidString.prefix(8))")
        let identity = try CertificateIdentity(node: NodeID(node)!, role: role, school: school, stadsdel: stadsdel)
        var options = NodeCertificate.Options()
        if expired {
            options.notValidBefore = Date().addingTimeInterval(-10 * 86_400)
            options.notValidAfter = Date().addingTimeInterval(-86_400)
        }
        try ca.issue(for: identity, options: options, into: folder)
        return TLSFiles(
            certificate: "\(folder)/\(NodeCertificate.certificateFileName)",
            key: "\(folder)/\(NodeCertificate.keyFileName)",
            ca: "\(folder)/\(DistrictCA.certificateFileName)"
        )
    }

    /// Revokes every certificate issued to `node`.
    func revoke(_ node: String) throws {
        try RevocationList.revoke(node: NodeID(node)!, caDirectory: caDirectory)
    }
}
