import Foundation
import SSTCore
import SSTPKI
import SSTStore
import SSTSync

/// One node of the demo: its store, certificate files and data directory.
struct DemoNode: Sendable {
    let name: String
    let identity: NodeIdentity
    let store: Store
    let tls: TLSFiles
    let directory: String
}

/// The demo's district in a temporary directory: a CA, a hub and three schools in two stadsdelar.
struct DemoWorld: Sendable {
    let directory: String
    let clock: DemoClock
    let hub: DemoNode
    let schools: [DemoNode]

    static let schoolSpecs = [
        ("ekbacken-1", "Ekbackens skola", "Södermalm"), ("rosendal-1", "Rosendalsskolan", "Södermalm"),
        ("vasa-1", "Vasaskolan", "Kungsholmen"),
    ]

    /// Creates the CA, the certificates and the four node databases under `directory`.
    static func create(in directory: String) throws -> DemoWorld {
        let clock = DemoClock()
        let ca = try DistrictCA.create(in: "\(directory)/ca")
        func node(
            _ id: String,
            role: NodeIdentity.Role,
            name: String,
            school: String?,
            stadsdel: String?
        ) throws
            -> DemoNode
        {
            let identity = NodeIdentity(node: NodeID(id)!, role: role, school: school, stadsdel: stadsdel)
            let folder = "\(directory)/\(id)"
            try ca.issue(
                for: CertificateIdentity(node: identity.node, role: role.rawValue, school: school, stadsdel: stadsdel),
                into: "\(folder)/certificate"
            )
            let store = try Store.create(at: "\(folder)/\(Store.fileName)", identity: identity, physicalClock: clock)
            let tls = TLSFiles(
                certificate: "\(folder)/certificate/\(NodeCertificate.certificateFileName)",
                key: "\(folder)/certificate/\(NodeCertificate.keyFileName)",
                ca: "\(folder)/certificate/\(DistrictCA.certificateFileName)"
            )
            return DemoNode(name: name, identity: identity, store: store, tls: tls, directory: folder)
        }
        let hub = try node("hub-stockholm", role: .hub, name: "Socialtjänsten (hub)", school: nil, stadsdel: nil)
        let schools = try schoolSpecs.map { id, school, stadsdel in
            try node(id, role: .school, name: school, school: school, stadsdel: stadsdel)
        }
        return DemoWorld(directory: directory, clock: clock, hub: hub, schools: schools)
    }
}
