import Foundation
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import Testing

/// The school and district hub the privacy tests run between.
enum PrivacyNodes {
    static let school = "Ekbackens skola"
    static let otherSchool = "Skarpnäcks skola"
    static let stadsdel = "Södermalm"
    static let schoolNode = NodeID("ekbacken-1")!
    static let otherSchoolNode = NodeID("skarpnack-1")!
    static let hubNode = NodeID("hub-sodermalm")!
    /// 2027-01-15T08:00Z, the test clocks' start.
    static let start: UInt64 = 1_800_000_000_000
    static let day: UInt64 = 86_400_000
    /// Every consent scope of the default policy.
    static let allScopes = ["identity", "absence", "school_assessment", "sst_case", "social_support_flag"]

    static let schoolIdentity = NodeIdentity(node: schoolNode, role: .school, school: school, stadsdel: stadsdel)
    static let hubIdentity = NodeIdentity(node: hubNode, role: .hub, stadsdel: stadsdel)
    static let schoolPeer = PeerIdentity(node: schoolNode, role: .school, school: school, stadsdel: stadsdel)
    static let otherSchoolPeer = PeerIdentity(
        node: otherSchoolNode,
        role: .school,
        school: otherSchool,
        stadsdel: stadsdel
    )
    static let hubPeer = PeerIdentity(node: hubNode, role: .hub, stadsdel: stadsdel)

    /// The default policy with the text changed (a municipality's own policy file).
    static func policy(replacing old: String, with new: String) throws -> Policy {
        let text = PolicyLoader.defaultPolicyText.replacingOccurrences(of: old, with: new)
        #expect(text != PolicyLoader.defaultPolicyText, "the default policy has no \(old)")
        return try PolicyLoader.load(Data(text.utf8))
    }
}

/// A school node and its hub, each on its own test clock, in memory or as real database files (WAL).
struct PrivacyPair {
    let school: Store
    let hub: Store
    let schoolClock: TestPhysicalClock
    let hubClock: TestPhysicalClock
    /// For file-backed pairs: holds `school/sst.sqlite` and `hub/sst.sqlite`.
    let directory: TemporaryDirectory?

    static func inMemory(policy: Policy = .default) throws -> PrivacyPair {
        let schoolClock = TestPhysicalClock(PrivacyNodes.start)
        let hubClock = TestPhysicalClock(PrivacyNodes.start)
        return PrivacyPair(
            school: try Store.inMemory(
                identity: PrivacyNodes.schoolIdentity,
                policy: policy,
                physicalClock: schoolClock
            ),
            hub: try Store.inMemory(identity: PrivacyNodes.hubIdentity, policy: policy, physicalClock: hubClock),
            schoolClock: schoolClock,
            hubClock: hubClock,
            directory: nil
        )
    }

    /// Both nodes in real files; `policyText`, when given, is installed as each node's `policy.json`.
    static func files(policyText: String? = nil) throws -> PrivacyPair {
        let directory = try TemporaryDirectory()
        let schoolClock = TestPhysicalClock(PrivacyNodes.start)
        let hubClock = TestPhysicalClock(PrivacyNodes.start)
        func create(_ name: String, _ identity: NodeIdentity, _ clock: TestPhysicalClock) throws -> Store {
            try FileManager.default.createDirectory(atPath: directory.path(name), withIntermediateDirectories: true)
            if let policyText {
                try Data(policyText.utf8).write(to: directory.url.appendingPathComponent("\(name)/policy.json"))
            }
            return try Store.create(at: directory.path("\(name)/sst.sqlite"), identity: identity, physicalClock: clock)
        }
        return PrivacyPair(
            school: try create("school", PrivacyNodes.schoolIdentity, schoolClock),
            hub: try create("hub", PrivacyNodes.hubIdentity, hubClock),
            schoolClock: schoolClock,
            hubClock: hubClock,
            directory: directory
        )
    }

    /// The database file and its WAL of `node` ("school" or "hub"), by file name.
    func databaseFiles(_ node: String) throws -> [(name: String, bytes: Data)] {
        let directory = try #require(directory, "database files exist only for a file-backed pair")
        return ["sst.sqlite", "sst.sqlite-wal"].compactMap { name in
            let path = directory.path("\(node)/\(name)")
            return FileManager.default.contents(atPath: path).map { ("\(node)/\(name)", $0) }
        }
    }

    /// Moves both clocks forward together.
    func advance(days: UInt64) {
        schoolClock.advance(by: days * PrivacyNodes.day)
        hubClock.advance(by: days * PrivacyNodes.day)
    }

    /// School → hub: what the school holds after the hub's cursor, filtered for social services at the
    /// school, applied at the hub as coming from the school's verified certificate.
    @discardableResult
    func syncToHub() throws -> BoundaryExport {
        let since = try hub.cursor(for: PrivacyNodes.schoolNode)
        let export = try school.exportChanges(forSide: .social, peer: PrivacyNodes.hubPeer, since: since)
        try hub.apply(export.changeSet, from: PrivacyNodes.schoolPeer)
        return export
    }

    /// A pupil (family name Åkesson) whose identity the school shared with the hub under an `identity` consent
    /// and then protected, each step synced to the hub: the hub has erased the identity it held.
    func pupilProtectedAfterSharing() throws -> PrivacyPupil {
        let pupil = try PrivacyPupil.write(on: school, ["family_name": .string("Åkesson")])
        try pupil.grant(["identity"], on: school)
        try syncToHub()
        try school.set(entity: "pupil", record: pupil.id, values: ["protected_identity": .boolean(true)])
        try syncToHub()
        return pupil
    }

    /// A second node of the school (`ekbacken-2`, in memory, on the school's clock) holding what the school
    /// holds, as a change-set file between the two would bring it.
    func schoolSibling() throws -> Store {
        let sibling = try Store.inMemory(
            identity: NodeIdentity(
                node: NodeID("ekbacken-2")!,
                role: .school,
                school: PrivacyNodes.school,
                stadsdel: PrivacyNodes.stadsdel
            ),
            physicalClock: schoolClock
        )
        try sibling.apply(try school.exportChanges(since: 0))
        return sibling
    }

    /// Hub → school, the same way round.
    @discardableResult
    func syncToSchool() throws -> BoundaryExport {
        let since = try school.cursor(for: PrivacyNodes.hubNode)
        let export = try hub.exportChanges(forSide: .school, peer: PrivacyNodes.schoolPeer, since: since)
        try school.apply(export.changeSet, from: PrivacyNodes.hubPeer)
        return export
    }
}

/// A pupil written on a school node, with guardians (all with custody unless told otherwise).
struct PrivacyPupil {
    let id: RecordID
    let guardians: [RecordID]
    /// The guardians with custody.
    let custodians: [RecordID]

    /// Writes the pupil and guardians; `guardians` gives each guardian's fields (has_custody defaults to true).
    static func write(
        on store: Store,
        _ fields: [String: Value],
        guardians: [[String: Value]] = [["given_name": .string("Karin")]]
    ) throws -> PrivacyPupil {
        let id = RecordID.random()
        var pupil: [String: Value] = [
            "personnummer": .string("20160315-2388"), "given_name": .string("Åsa"),
            "family_name": .string("Öberg"), "grade": .integer(4), "school": .string(PrivacyNodes.school),
            "stadsdel": .string(PrivacyNodes.stadsdel), "protected_identity": .boolean(false),
        ]
        pupil.merge(fields) { _, new in new }
        try store.set(entity: "pupil", record: id, values: pupil)
        var ids: [RecordID] = []
        var custodians: [RecordID] = []
        for guardian in guardians {
            let guardianID = RecordID.random()
            var values: [String: Value] = [
                "pupil_id": .string(id.rawValue), "family_name": .string("Öberg"), "has_custody": .boolean(true),
            ]
            values.merge(guardian) { _, new in new }
            try store.set(entity: "guardian", record: guardianID, values: values)
            ids.append(guardianID)
            if values["has_custody"] == .boolean(true) { custodians.append(guardianID) }
        }
        return PrivacyPupil(id: id, guardians: ids, custodians: custodians)
    }

    /// Writes a record that concerns this pupil (its `pupil_id` set); returns its id.
    @discardableResult
    func add(_ entity: String, on store: Store, _ fields: [String: Value]) throws -> RecordID {
        let id = RecordID.random()
        var values = fields
        values["pupil_id"] = .string(self.id.rawValue)
        try store.set(entity: entity, record: id, values: values)
        return id
    }

    /// A consent every custodian said yes to, with the child's view and the pupil's own consent given.
    @discardableResult
    func grant(
        _ scopes: [String],
        on store: Store,
        pupilView: String = "Jag vill att skolan och socialtjänsten pratar med varandra.",
        validUntil: CivilDate? = nil
    ) throws -> ConsentSummary {
        try store.grantConsent(
            ConsentRequest(
                pupil: id,
                scopes: scopes,
                purpose: "Samordning i skolsocialt team",
                answers: ConsentAnswers(givenBy: custodians, pupilView: pupilView, pupilConsent: true),
                method: "written",
                validUntil: validUntil,
                recordedBy: "Kurator Lena Sjögren",
                documentRef: "Diarienr 2027-0042"
            )
        )
    }
}

/// Whether `marker`'s UTF-8 bytes occur in `bytes`.
func markerOccurs(_ marker: String, in bytes: Data) -> Bool {
    bytes.range(of: Data(marker.utf8)) != nil
}

/// Expects that no marker occurs in any of `places` (each named in the failure).
func expectNoMarker(
    _ markers: [String],
    in places: [(name: String, bytes: Data)],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    for place in places {
        for marker in markers where markerOccurs(marker, in: place.bytes) {
            Issue.record("\(marker) crossed the boundary: found in \(place.name)", sourceLocation: sourceLocation)
        }
    }
}

/// The audit trail rendered as text, to search for values that must never be written there.
func privacyAuditText(_ store: Store) throws -> Data {
    Data(try store.auditEntries().map { $0.entry.json.rendered() }.joined(separator: "\n").utf8)
}

extension CivilDate {
    /// The date `days` days after the instant `milliseconds`.
    static func day(_ days: Int, after milliseconds: UInt64) -> CivilDate {
        CivilDate(millisecondsSinceEpoch: UInt64(Int64(milliseconds) + Int64(days) * 86_400_000))
    }
}
