import Foundation
import SSTCore
import SSTPKI

/// A fresh directory under the system's temporary directory, removed when the test is done with it.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sst-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The permission bits of a file, e.g. `0o600`.
func permissions(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as! NSNumber).intValue & 0o777
}

/// A school identity of Ekbackens skola on Södermalm.
func schoolIdentity(
    _ node: String = "school-ekbacken-1",
    school: String = "Ekbackens skola"
) throws
    -> CertificateIdentity
{
    try CertificateIdentity(node: NodeID(node)!, role: "school", school: school, stadsdel: "Södermalm")
}

/// The absolute path of an executable found on `PATH`, or `nil`.
func executable(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}
