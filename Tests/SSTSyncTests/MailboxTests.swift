import Foundation
import GRDB
import SSTCore
import SSTPKI
import SSTPrivacy
import SSTSealing
import SSTServices
import SSTStore
import SSTSync
import ServiceLifecycle
import Testing

/// A school of two nodes that never meet, relaying through the hub's sealed mailbox, and a node of another school.
private struct MailboxSchool {
    static let school = "Ekbacken"
    let district: TestDistrict
    let hub: TestNode
    let first: TestNode
    let second: TestNode
    let other: TestNode

    init() throws {
        district = try TestDistrict()
        hub = try TestNode("hub", role: .hub, district: district)
        first = try TestNode("ekbacken-1", school: Self.school, stadsdel: "Söder", district: district)
        second = try TestNode("ekbacken-2", school: Self.school, stadsdel: "Söder", district: district)
        other = try TestNode("solbacken-1", school: "Solbacken", stadsdel: "Söder", district: district)
        try SchoolKeyFile.save(
            SchoolKey.generate(school: Self.school, epoch: 1, now: first.clock.milliseconds()),
            directory: first.dataDirectory
        )
    }

    func key(_ node: TestNode) throws -> SchoolKey? { try SchoolKeyFile.load(directory: node.dataDirectory) }

    /// Runs the hub with the district's revocation list and the mailbox limits given.
    func withHub<T: Sendable>(
        limits: MailboxService.Limits = MailboxService.Limits(),
        _ body: @Sendable (_ port: Int) async throws -> T
    ) async throws -> T {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var service = HubService.Configuration()
        service.mailboxLimits = limits
        let application = try HubServer.application(
            store: hub.store,
            configuration: HubServer.Configuration(
                listen: ListenAddress(host: "127.0.0.1", port: 0),
                tls: hub.tls,
                revokedPath: district.revokedPath,
                service: service
            ),
            physicalClock: hub.clock,
            logger: quietLogger
        ) { port in
            continuation.yield(port)
        }
        let group = ServiceGroup(configuration: .init(services: [application], logger: quietLogger))
        return try await SyncServer.run(group, ports: ports, finishing: continuation, body)
    }
}

extension TestNode {
    /// Syncs with the hub at `port` and relays through the school's mailbox, as `sst sync` does.
    @discardableResult
    func relaySync(port: Int) async throws -> SyncReport {
        try await withSynchronizer(port: port) { synchronizer in
            var synchronizer = synchronizer
            synchronizer.mailbox = MailboxRelay.Settings(dataDirectory: dataDirectory, tls: tls)
            return try await synchronizer.sync()
        }
    }

    /// The mailbox as this node's certificate reaches it.
    func withMailbox<T>(port: Int, _ body: (any MailboxTransport) async throws -> T) async throws -> T {
        try await HTTPSyncTransport.withTransport(
            configuration: .init(hubURL: "https://127.0.0.1:\(port)", connectTimeout: .seconds(2)),
            tls: try tls.clientConfiguration(verifyHostname: true),
            logger: quietLogger
        ) { try await body($0) }
    }
}

/// The problem a mailbox request was refused with, or nil when it succeeded.
private func refusal<T>(_ body: () async throws -> T) async -> Problem? {
    do {
        _ = try await body()
        return nil
    } catch let failure as SyncFailure {
        return failure.problem
    } catch {
        return nil
    }
}

/// Whether any file of `directory` holds `text` (UTF-8) anywhere in its bytes.
private func bytes(of directory: String, contain text: String) throws -> Bool {
    let needle = Data(text.utf8)
    for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(name))
        if data.range(of: needle) != nil { return true }
    }
    return false
}

@Suite("Sealed mailbox: a school's nodes relay through the hub")
struct MailboxTests {
    static let healthCanary = "Kanariefågel-hälsoanteckning-7731"
    static let nameCanary = "Kanarieberit"

    /// Writes at ekbacken-1 a pupil with consent and a case (unless `withCase` is false), a pupil without consent
    /// and a health note.
    private func writeSchoolData(
        at node: TestNode,
        withCase: Bool = true
    ) throws -> (consented: TestPupil, hidden: TestPupil, note: RecordID) {
        let consented = try TestPupil(at: node, consent: withCase ? ["identity", "sst_case"] : [])
        if withCase { _ = try consented.openCase(at: node) }
        let hidden = try TestPupil(at: node, givenName: Self.nameCanary, personnummer: "20120202-0002")
        let note = RecordID.random()
        try node.store.set(
            entity: "health_note",
            record: note,
            assignments: [("pupil_id", hidden.pupil.rawValue), ("text", Self.healthCanary)]
        )
        return (consented, hidden, note)
    }

    @Test("a second node joins by envelope and gets everything of its school; no other school, no plaintext at the hub")
    func twoNodesRelay() async throws {
        let school = try MailboxSchool()
        let written = try writeSchoolData(at: school.first)
        let back = RecordID.random()
        try await school.withHub { port in
            // ekbacken-2 has no key yet: it waits, and the hub has seen it.
            let waiting = try await school.second.relaySync(port: port)
            #expect(waiting.mailbox?.outcome == .waitingForKey)
            // ekbacken-1 wraps the key for it and posts its changes, sealed.
            let posting = try await school.first.relaySync(port: port)
            #expect(posting.mailbox?.outcome == .relayed)
            #expect(posting.mailbox?.envelopesPosted == 1)
            #expect((posting.mailbox?.changesPosted ?? 0) > 0)
            // ekbacken-2 takes the key, applies the blobs, and then pulls the school's case work from the hub.
            let joined = try await school.second.relaySync(port: port)
            #expect(joined.mailbox?.outcome == .relayed)
            #expect(joined.mailbox?.installedKey == (try school.key(school.first))?.id)
            #expect(try school.second.store.values("health_note", written.note)?["text"] == .string(Self.healthCanary))
            #expect(
                try school.second.store.values("pupil", written.hidden.pupil)?["given_name"] == .string(Self.nameCanary)
            )
            #expect(try school.second.store.consentSummaries(pupil: written.consented.pupil).count == 1)
            #expect(try school.second.store.values("pupil", written.consented.pupil) != nil)
            // Its writes come back the other way.
            try school.second.store.set(
                entity: "health_note",
                record: back,
                assignments: [("pupil_id", written.hidden.pupil.rawValue), ("text", "Skrivet på ekbacken-2")]
            )
            try await school.second.relaySync(port: port)
            try await school.first.relaySync(port: port)
            #expect(try school.first.store.values("health_note", back)?["text"] == .string("Skrivet på ekbacken-2"))
            // Another school's node receives none of it.
            try await school.other.relaySync(port: port)
            #expect(try school.other.store.values("health_note", written.note) == nil)
            #expect(try school.other.store.values("pupil", written.hidden.pupil) == nil)
            #expect(try school.other.store.values("pupil", written.consented.pupil) == nil)
        }
        // The hub, stopped: its files hold neither the health note nor the name of the pupil without consent.
        #expect(try !bytes(of: school.hub.dataDirectory, contain: Self.healthCanary))
        #expect(try !bytes(of: school.hub.dataDirectory, contain: Self.nameCanary))
        #expect(try !bytes(of: school.hub.dataDirectory, contain: "Skrivet på ekbacken-2"))
        // …while ekbacken-2's do (the check can find them).
        #expect(try bytes(of: school.second.dataDirectory, contain: Self.healthCanary))
    }

    @Test("another school's certificate can neither read, write nor compact a school's mailbox")
    func otherSchoolRefused() async throws {
        let school = try MailboxSchool()
        _ = try writeSchoolData(at: school.first)
        let key = try #require(try school.key(school.first))
        try await school.withHub { port in
            try await school.first.relaySync(port: port)
            let before = try school.hub.store.mailboxState(school: MailboxSchool.school)
            #expect(before.latest > 0)
            let forged = try Sealing.seal(Data("{}".utf8), kind: .changes, sender: NodeID("solbacken-1")!, key: key)
            let snapshot = try Sealing.seal(Data("{}".utf8), kind: .snapshot, sender: NodeID("solbacken-1")!, key: key)
            try await school.other.withMailbox(port: port) { mailbox in
                let write = await refusal { try await mailbox.postMailbox(try forged.encoded()) }
                #expect(write?.statusCode == 403)
                let compact = await refusal { try await mailbox.postMailboxSnapshot(try snapshot.encoded(), covers: 1) }
                #expect(compact?.statusCode == 403)
                // Reading: its own school's mailbox only, which holds nothing of Ekbacken's.
                let listing = try await mailbox.mailbox(since: 0, limit: 100)
                #expect(listing.blobs.isEmpty)
                #expect(listing.keyID == nil)
                let members = try await mailbox.mailboxMembers()
                #expect(members.members.map(\.node) == ["solbacken-1"])
                #expect(try await mailbox.mailboxKey() == nil)
            }
            // A hub's certificate is no school node's.
            try await school.hub.withMailbox(port: port) { mailbox in
                #expect(await refusal { try await mailbox.mailbox(since: 0, limit: 10) }?.statusCode == 403)
            }
            #expect(try school.hub.store.mailboxState(school: MailboxSchool.school) == before)
            let refused = try school.hub.store.auditEntries().filter { $0.entry.kind == .refused }
            #expect(refused.filter { $0.entry.peer == "solbacken-1" }.count >= 2)
        }
    }

    @Test("a blob altered at the hub is refused by name, nothing of it applied, the cursor unmoved")
    func tamperedBlob() async throws {
        let school = try MailboxSchool()
        // No case work: ekbacken-2's boundary pull has nothing it needs the consents for.
        let written = try writeSchoolData(at: school.first, withCase: false)
        try await school.withHub { port in
            try await school.second.relaySync(port: port)
            try await school.first.relaySync(port: port)
            // Flip one bit of the first blob's ciphertext in the hub's database.
            let database = try DatabaseQueue(path: "\(school.hub.dataDirectory)/\(Store.fileName)")
            try await database.write { db in
                let row = try #require(
                    try Row.fetchOne(db, sql: "SELECT seq, bytes FROM sst_mailbox_blob ORDER BY seq LIMIT 1")
                )
                let sequence: Int64 = row["seq"]
                var object = try #require(
                    try JSONSerialization.jsonObject(with: row["bytes"] as Data) as? [String: Any]
                )
                var ciphertext = try #require(Data(base64Encoded: object["ciphertext"] as? String ?? ""))
                ciphertext[0] ^= 0x01
                object["ciphertext"] = ciphertext.base64EncodedString()
                let altered = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                try db.execute(
                    sql: "UPDATE sst_mailbox_blob SET bytes = ? WHERE seq = ?",
                    arguments: [altered, sequence]
                )
            }
            let report = try await school.second.relaySync(port: port)
            let mailbox = try #require(report.mailbox)
            #expect(mailbox.outcome == .failed)
            #expect(mailbox.message?.contains("mailbox blob 1 from ekbacken-1") == true)
            #expect(mailbox.blobsApplied == 0)
            #expect(try school.second.store.mailboxCursors().pulledUpTo == 0)
            #expect(try school.second.store.values("health_note", written.note) == nil)
            #expect(try school.second.store.values("pupil", written.hidden.pupil) == nil)
        }
    }

    @Test("a revoked member makes the next node to sync rotate; the old key opens nothing left at the hub")
    func rotation() async throws {
        let school = try MailboxSchool()
        _ = try writeSchoolData(at: school.first)
        let old = try #require(try school.key(school.first))
        try await school.withHub { port in
            try await school.second.relaySync(port: port)
            try await school.first.relaySync(port: port)
            try await school.second.relaySync(port: port)
            #expect(try school.key(school.second) == old)
            try school.district.revoke("ekbacken-2")
            let report = try await school.first.relaySync(port: port)
            #expect(report.mailbox?.rotated == true)
            let new = try #require(try school.key(school.first))
            #expect(new.epoch == 2)
            #expect(new.id != old.id)
            let entries = try school.hub.store.mailboxEntries(school: MailboxSchool.school, since: 0, limit: 1000)
            #expect(!entries.isEmpty)
            for entry in entries {
                let blob = try SealedBlob.decode(entry.bytes)
                #expect(throws: SealingError.self) { try Sealing.open(blob, with: old) }
                #expect(throws: Never.self) { try Sealing.open(blob, with: new) }
            }
            #expect(try school.hub.store.mailboxEnvelope(school: MailboxSchool.school, node: "ekbacken-2") == nil)
            let stale = try Sealing.seal(Data("{}".utf8), kind: .changes, sender: NodeID("ekbacken-1")!, key: old)
            try await school.first.withMailbox(port: port) { mailbox in
                let problem = await refusal { try await mailbox.postMailbox(try stale.encoded()) }
                #expect(problem?.statusCode == 409)
                #expect(problem?.code == "oldKey")
                let listing = try await mailbox.mailbox(since: 0, limit: 10)
                #expect(listing.rotationNeeded == false)
            }
        }
    }

    @Test("after a purge at a node, its next sync posts a snapshot and the blobs holding the value are gone")
    func compactionAfterPurge() async throws {
        let school = try MailboxSchool()
        let written = try writeSchoolData(at: school.first)
        try await school.withHub { port in
            try await school.first.relaySync(port: port)
            let before = try school.hub.store.mailboxEntries(school: MailboxSchool.school, since: 0, limit: 1000)
            #expect(before.count == 1)
            try school.first.store.purge(entity: "health_note", record: written.note)
            let report = try await school.first.relaySync(port: port)
            #expect(report.mailbox?.snapshotPosted == true)
            let after = try school.hub.store.mailboxEntries(school: MailboxSchool.school, since: 0, limit: 1000)
            #expect(Set(after.map(\.sequence)).isDisjoint(with: before.map(\.sequence)))
            #expect(after.contains { $0.header.kind == .snapshot })
            // The snapshot, opened, holds no value of the note any more.
            let key = try #require(try school.key(school.first))
            for entry in after {
                let plaintext = try Sealing.open(try SealedBlob.decode(entry.bytes), with: key)
                #expect(plaintext.range(of: Data(Self.healthCanary.utf8)) == nil)
            }
            #expect(try school.first.store.mailboxCursors().snapshotDue == false)
        }
    }

    @Test("the listing advises compaction past the limit, and a post far past it is refused until a snapshot")
    func storageBound() async throws {
        let school = try MailboxSchool()
        _ = try writeSchoolData(at: school.first)
        try await school.withHub(limits: MailboxService.Limits(adviseBytes: 100, refuseBytes: 5_000)) { port in
            let first = try await school.first.relaySync(port: port)
            #expect(first.mailbox?.snapshotPosted == false)
            // Its blob passed 100 bytes: the next sync's listing advises compaction, and the node posts a snapshot;
            // the one after has nothing to compact.
            let second = try await school.first.relaySync(port: port)
            #expect(second.mailbox?.snapshotPosted == true)
            let third = try await school.first.relaySync(port: port)
            #expect(third.mailbox?.snapshotPosted == false)
            let key = try #require(try school.key(school.first))
            let large = try Sealing.seal(
                Data(repeating: 0x41, count: 6_000),
                kind: .changes,
                sender: NodeID("ekbacken-1")!,
                key: key
            )
            try await school.first.withMailbox(port: port) { mailbox in
                let problem = await refusal { try await mailbox.postMailbox(try large.encoded()) }
                #expect(problem?.statusCode == 409)
                #expect(problem?.code == "mailboxFull")
            }
        }
    }

    @Test("a node lost without a backup is rebuilt from the recovery file and one sync")
    func restoreWithoutBackup() async throws {
        let school = try MailboxSchool()
        _ = try writeSchoolData(at: school.first)
        let recovery = RecoveryFile.text(for: try #require(try school.key(school.first)))
        let replacement = try TestNode(
            "ekbacken-3",
            school: MailboxSchool.school,
            stadsdel: "Söder",
            district: school.district
        )
        try await school.withHub { port in
            try await school.first.relaySync(port: port)
            // ekbacken-1 is lost; ekbacken-3 starts empty with the key from the rektor's recovery file.
            try SchoolKeyFile.install(
                try RecoveryFile.read(recovery),
                school: MailboxSchool.school,
                directory: replacement.dataDirectory
            )
            let report = try await replacement.relaySync(port: port)
            #expect(report.mailbox?.outcome == .relayed)
            #expect(try replacement.store.dumpText() == school.first.store.dumpText())
        }
    }
}
