import Foundation
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore

/// A random history between one or two nodes of a school and their hub, all in real database files on one
/// clock: writes of records that carry a unique text (meetings, assessments, health notes), purges
/// (*gallring*), deletions, syncs of either kind, backups (`Store.backup`), restores from a copy of an older
/// backup under a new node id (`Store.rejoin`), and change-set files exported and imported late.
struct PurgeHistory {
    /// A node of the history, as it stands now (a restore replaces its store and id).
    struct Member {
        var node: NodeID
        var store: Store
        /// Its database file.
        var path: String
        let role: NodeIdentity.Role
        /// Its backups so far, oldest first.
        var backups: [String] = []

        var peer: PeerIdentity {
            PeerIdentity(
                node: node,
                role: role,
                school: role == .school ? PurgeHistory.school : nil,
                stadsdel: "Södermalm"
            )
        }
    }

    /// A record the history wrote, with every text it ever gave it.
    struct Written {
        let entity: String
        let record: RecordID
        var texts: [String]
    }

    static let school = "Ekbackens skola"
    static let textField = ["meeting": "notes", "school_assessment": "summary", "health_note": "text"]

    var rng: SplitMix64
    let clock = TestPhysicalClock(1_800_000_000_000)
    let directory: TemporaryDirectory
    private(set) var members: [Member]
    let pupil = RecordID.random()
    let caseID = RecordID.random()
    private(set) var written: [Written] = []
    /// Change-set files exported at a school node, to import later anywhere in the school.
    private var files: [ChangeSet] = []
    private(set) var restores = 0
    private(set) var refusals = 0

    var schools: [Int] { members.indices.filter { members[$0].role == .school } }
    var hub: Int { members.firstIndex { $0.role == .hub }! }

    /// One or two school nodes and a hub; the first school writes the pupil, a guardian, a consent to every scope
    /// and a case, and everyone has them before the history starts.
    init(seed: UInt64) throws {
        rng = SplitMix64(seed: seed)
        directory = try TemporaryDirectory()
        let schoolCount = Int.random(in: 1...2, using: &rng)
        var members: [Member] = []
        for index in 0..<schoolCount {
            let node = NodeID("ekbacken-\(index + 1)")!
            let identity = NodeIdentity(node: node, role: .school, school: Self.school, stadsdel: "Södermalm")
            let path = directory.path("\(node).sqlite")
            members.append(
                Member(node: node, store: try Self.create(identity, at: path, clock), path: path, role: .school)
            )
        }
        let hubID = NodeID("hub-sodermalm")!
        let hubIdentity = NodeIdentity(node: hubID, role: .hub, stadsdel: "Södermalm")
        let hubPath = directory.path("\(hubID).sqlite")
        members.append(
            Member(node: hubID, store: try Self.create(hubIdentity, at: hubPath, clock), path: hubPath, role: .hub)
        )
        self.members = members
        let first = members[0].store
        let guardian = RecordID.random()
        try first.set(
            entity: "pupil",
            record: pupil,
            values: [
                "given_name": .string("Åsa"), "family_name": .string("Öberg"), "school": .string(Self.school),
                "stadsdel": .string("Södermalm"), "personnummer": .string("20160315-2388"),
            ]
        )
        try first.set(
            entity: "guardian",
            record: guardian,
            values: ["pupil_id": .string(pupil.rawValue), "has_custody": .boolean(true)]
        )
        try first.grantConsent(
            ConsentRequest(
                pupil: pupil,
                scopes: ["identity", "absence", "school_assessment", "sst_case", "social_support_flag"],
                answers: ConsentAnswers(givenBy: [guardian], pupilView: "Ja.", pupilConsent: true),
                method: "written"
            )
        )
        try first.set(
            entity: "case",
            record: caseID,
            values: ["pupil_id": .string(pupil.rawValue), "category": .string("absence")]
        )
        try settle()
    }

    private static func create(_ identity: NodeIdentity, at path: String, _ clock: TestPhysicalClock) throws -> Store {
        try Store.create(at: path, identity: identity, physicalClock: clock)
    }

    // MARK: Steps

    /// One random step.
    mutating func step() throws {
        clock.advance(by: UInt64.random(in: 1...5_000, using: &rng))
        let schools = self.schools
        let school = schools.randomElement(using: &rng)!
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<28: try write(on: school)
        case 28..<38: try purge(on: school)
        case 38..<43: try delete(on: school)
        case 43..<53:
            let other = schools.randomElement(using: &rng)!
            if other != school { try exchange(from: school, to: other) }
        case 53..<70: try push(school)
        case 70..<84: try pull(school)
        case 84..<90: try backUp(Bool.random(using: &rng) ? school : hub)
        case 90..<94: try restore(Int.random(in: 0..<4, using: &rng) == 0 ? hub : school)
        case 94..<97:
            let since = Int64.random(in: 0...2, using: &rng)
            files.append(try members[school].store.exportChanges(since: since))
        default:
            guard let file = files.randomElement(using: &rng) else { return }
            let store = members[school].store
            try refusable { _ = try store.apply(file) }
        }
    }

    private mutating func write(on index: Int) throws {
        let entity = ["meeting", "school_assessment", "health_note"].randomElement(using: &rng)!
        let text = "GALLRA-\(written.count)-\(UInt32.random(in: 0...UInt32.max, using: &rng))-X"
        var which = written.indices.filter { written[$0].entity == entity }.randomElement(using: &rng)
        if which == nil || Int.random(in: 0..<3, using: &rng) == 0 {
            written.append(Written(entity: entity, record: RecordID.random(using: &rng), texts: []))
            which = written.count - 1
        }
        let record = written[which!].record
        var values: [String: Value] = [Self.textField[entity]!: .string(text)]
        values[entity == "meeting" ? "case_id" : "pupil_id"] = .string(
            entity == "meeting" ? caseID.rawValue : pupil.rawValue
        )
        do {
            try members[index].store.set(entity: entity, record: record, values: values)
            written[which!].texts.append(text)
        } catch let error as StoreError where error.code == .purged {
            // A purged record is never written again: the rule, not a failure.
        }
    }

    /// A record the node holds with its values (purged or not): the one a person can cull or delete there.
    private mutating func heldRecord(on index: Int) throws -> Written? {
        let store = members[index].store
        let held = try written.filter { try store.record(entity: $0.entity, record: $0.record) != nil }
        return held.randomElement(using: &rng)
    }

    private mutating func purge(on index: Int) throws {
        guard let target = try heldRecord(on: index) else { return }
        do {
            _ = try members[index].store.purge(entity: target.entity, record: target.record)
        } catch let error as StoreError where error.code == .purged {}
    }

    private mutating func delete(on index: Int) throws {
        guard let target = try heldRecord(on: index) else { return }
        do {
            _ = try members[index].store.delete(entity: target.entity, record: target.record)
        } catch let error as StoreError where error.code == .purged {}
    }

    /// Runs `body`; a change set refused whole (and audited) is counted, not a failure: it changed nothing.
    private mutating func refusable(_ body: () throws -> Void) throws {
        do { try body() } catch is ChangeSetError { refusals += 1 }
    }

    /// School node to school node, as the mailbox or a peer sync carries it (from the cursor).
    mutating func exchange(from source: Int, to target: Int) throws {
        let (from, to) = (members[source], members[target])
        let changeSet = try from.store.exportChanges(since: try to.store.cursor(for: from.node))
        try refusable { _ = try to.store.apply(changeSet) }
    }

    /// A school's push to the hub: what the hub lacks after its cursor, filtered for social services.
    mutating func push(_ school: Int) throws {
        let (from, hub) = (members[school], members[self.hub])
        let since = try hub.store.cursor(for: from.node)
        let export = try from.store.exportChanges(forSide: .social, peer: hub.peer, since: since)
        try refusable { _ = try hub.store.apply(export.changeSet, from: from.peer) }
    }

    /// The hub's answer to a school's pull.
    mutating func pull(_ school: Int) throws {
        let (to, hub) = (members[school], members[self.hub])
        let since = try to.store.cursor(for: hub.node)
        let export = try hub.store.exportChanges(forSide: .school, peer: to.peer, since: since)
        try refusable { _ = try to.store.apply(export.changeSet, from: hub.peer) }
    }

    private mutating func backUp(_ index: Int) throws {
        let path = directory.path("backup-\(members[index].node)-\(members[index].backups.count).sqlite")
        _ = try members[index].store.backup(to: path)
        members[index].backups.append(path)
    }

    /// Restores the member from a copy of one of its backups (any, the oldest included) and rejoins it under a
    /// new id, as `sst node rejoin` does.
    private mutating func restore(_ index: Int) throws {
        guard let backup = members[index].backups.randomElement(using: &rng) else { return }
        restores += 1
        let path = directory.path("restored-\(restores).sqlite")
        try FileManager.default.copyItem(atPath: backup, toPath: path)
        let store = try Store.open(at: path, physicalClock: clock)
        let node = NodeID("\(members[index].role == .hub ? "hub" : "ekbacken")-r\(restores)")!
        try store.rejoin(as: node)
        members[index].store = store
        members[index].path = path
        members[index].node = node
        members[index].backups = []
    }

    /// Every node syncs with every other the way it can, three rounds, with no refusal allowed.
    mutating func settle() throws {
        clock.advance(by: 1_000)
        for _ in 0..<3 {
            for source in schools {
                for target in schools where target != source {
                    let (from, to) = (members[source], members[target])
                    _ = try to.store.apply(try from.store.exportChanges(since: try to.store.cursor(for: from.node)))
                }
            }
            for school in schools {
                let (node, hub) = (members[school], members[self.hub])
                let pushed = try node.store.exportChanges(
                    forSide: .social,
                    peer: hub.peer,
                    since: try hub.store.cursor(for: node.node)
                )
                _ = try hub.store.apply(pushed.changeSet, from: node.peer)
                let pulled = try hub.store.exportChanges(
                    forSide: .school,
                    peer: node.peer,
                    since: try node.store.cursor(for: hub.node)
                )
                _ = try node.store.apply(pulled.changeSet, from: hub.peer)
            }
        }
    }
}
