import Foundation
import Logging
import SSTCore
import SSTPrivacy
import SSTStore
import SSTSync
import Testing

/// A school node restored from a backup older than its last sync: refused as it is, it syncs again under a new
/// node id (`Store.rejoin(as:)`, `sst node rejoin`) over real HTTPS.
@Suite(.timeLimit(.minutes(2)))
struct RestoreFromBackupTests {
    let district: TestDistrict
    let clock = TestClock()
    let hub: TestNode
    let school: TestNode
    let backup: String

    init() throws {
        district = try TestDistrict()
        hub = try TestNode("hub-stockholm", role: .hub, district: district, clock: clock)
        school = try TestNode(
            "ekbacken-1",
            school: "Ekbackens skola",
            stadsdel: "Södermalm",
            district: district,
            clock: clock
        )
        backup = district.directory.path("backup/ekbacken-1")
    }

    /// The nightly backup: a copy of the data directory's database while the node is idle.
    func takeBackup() throws {
        try FileManager.default.createDirectory(atPath: backup, withIntermediateDirectories: true)
        for suffix in ["", "-wal"] {
            let source = "\(school.dataDirectory)/\(Store.fileName)\(suffix)"
            guard FileManager.default.fileExists(atPath: source) else { continue }
            try FileManager.default.copyItem(atPath: source, toPath: "\(backup)/\(Store.fileName)\(suffix)")
        }
    }

    /// The backup restored, refused by the hub's cursor, rejoined as `ekbacken-1-r2` with its own certificate.
    func restoreAndRejoin(port: Int) async throws -> TestNode {
        let restored = try TestNode(opening: backup, tls: school.tls, clock: clock)
        do {
            try await restored.sync(port: port)
            Issue.record("a node restored from a backup older than its last sync synced")
        } catch let failure as SyncFailure {
            #expect(failure.kind == .local)
            #expect(failure.message.contains("restored from a backup"))
            #expect(failure.remedy.contains("sst node rejoin"))
        }
        try restored.store.rejoin(as: NodeID("ekbacken-1-r2")!)
        return try restored.reopened(
            tls: district.issue("ekbacken-1-r2", school: "Ekbackens skola", stadsdel: "Södermalm")
        )
    }

    @Test func restoredNodeRejoinsUnderANewIDAndGetsBackTheCaseWorkItSentSinceTheBackup() async throws {
        let pupil = try TestPupil(at: school, consent: ["identity", "sst_case"])
        let caseID = try pupil.openCase(at: school, plan: "Plan före säkerhetskopian.")
        try await withHub(hub) { port in try await school.sync(port: port) }
        try takeBackup()

        // The next day the school works on and syncs; then its disk fails.
        clock.advance(by: TestClock.day)
        try school.store.set(
            entity: "case",
            record: caseID,
            assignments: [("plan", "Plan efter säkerhetskopian."), ("phase", "planning")]
        )
        try await withHub(hub) { port in try await school.sync(port: port) }
        let atHub = try #require(try hub.store.values("case", caseID))
        #expect(atHub["plan"] == .string("Plan efter säkerhetskopian."))

        clock.advance(by: 3_600_000)
        let hub = self.hub
        let rejoined = try await withHub(hub) { port in
            let rejoined = try await restoreAndRejoin(port: port)
            let restoredLog = try rejoined.store.lastSequence()
            let report = try await rejoined.sync(port: port)
            // The whole restored log went again under the new id; what the old id sent since came back.
            #expect(report.acknowledged == restoredLog)
            #expect(try hub.store.cursor(for: rejoined.identity.node) == restoredLog)
            #expect(report.pulledChanges > 0)
            return rejoined
        }
        // What the old id sent after the backup came back; the hub kept what it had.
        #expect(try rejoined.store.values("case", caseID) == atHub)
        #expect(try hub.store.values("case", caseID) == atHub)
        #expect(try rejoined.store.auditEntries().contains { $0.entry.kind == .rejoined })

        // New work at the restored node reaches the hub under its new id.
        clock.advance(by: 60_000)
        try rejoined.store.set(entity: "case", record: caseID, assignments: [("plan", "Plan efter återställningen.")])
        try await withHub(hub) { port in try await rejoined.sync(port: port) }
        let plan = try #require(try hub.store.record(entity: "case", record: caseID)?["plan"])
        #expect(plan.value == .string("Plan efter återställningen."))
        #expect(plan.stamp.node == NodeID("ekbacken-1-r2")!)
    }

    @Test func rejoinedNodeRefusesToSyncWithTheOldIDsCertificate() async throws {
        try TestPupil(at: school, consent: ["identity"])
        try school.store.rejoin(as: NodeID("ekbacken-1-r2")!)
        do {
            try await NodeSynchronizer.withHTTP(
                store: school.store,
                dataDirectory: school.dataDirectory,
                settings: SyncSettings(hubURL: "https://127.0.0.1:9", tls: school.tls),
                logger: quietLogger
            ) { _ in Issue.record("a synchronizer was made with another node's certificate") }
        } catch let error as SyncSetupError {
            #expect(error.message.contains("ekbacken-1's") && error.message.contains("ekbacken-1-r2's"))
            #expect(error.remedy.contains("sst pki issue --node-id ekbacken-1-r2"))
        }
    }
}
