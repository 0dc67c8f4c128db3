import Foundation
import Logging
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync
import Testing

/// A school node restored from a backup older than its last sync: refused as it is, it syncs again under a new
/// node id (`Store.rejoin(as:)`, `sst node rejoin`) over real HTTPS.
@Suite(.timeLimit(.minutes(10)))
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

    /// The nightly backup (`sst backup`): the database as of one moment.
    func takeBackup() throws {
        try FileManager.default.createDirectory(atPath: backup, withIntermediateDirectories: true)
        try school.store.backup(to: "\(backup)/\(Store.fileName)")
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

    /// The school syncs, is backed up, does `work` the next day and syncs it; then it is restored from the backup
    /// and rejoins. Returns the rejoined node.
    func restoredAfter(_ work: () throws -> Void) async throws -> TestNode {
        try await withHub(hub) { port in try await school.sync(port: port) }
        try takeBackup()
        clock.advance(by: TestClock.day)
        try work()
        try await withHub(hub) { port in try await school.sync(port: port) }
        clock.advance(by: 3_600_000)
        return try await withHub(hub) { port in try await restoreAndRejoin(port: port) }
    }

    /// Syncs and returns the failure it must end with.
    func failingSync(_ node: TestNode) async throws -> SyncFailure {
        try await withHub(hub) { port in
            do {
                try await node.sync(port: port)
            } catch let failure as SyncFailure {
                return failure
            }
            Issue.record("the sync went through")
            return SyncFailure(.local, "", remedy: "")
        }
    }

    @Test func aConsentGrantedAfterTheBackupIsRecordedAgainThenTheCaseComesBack() async throws {
        let pupil = try TestPupil(at: school)
        let caseID = try pupil.openCase(at: school)
        let rejoined = try await restoredAfter { try pupil.grantConsent(at: school) }
        // The hub sends the case back under a consent this node never saw: its pull is refused, naming the pupil.
        let failure = try await failingSync(rejoined)
        #expect(failure.kind == .local)
        #expect(failure.message.contains("of \(caseID) (pupil \(pupil.pupil))"))
        #expect(failure.remedy.contains("restored from a backup") && failure.remedy.contains("sst consent grant"))
        #expect(try rejoined.store.values("case", caseID) == school.store.values("case", caseID))

        try pupil.grantConsent(at: rejoined)
        try await withHub(hub) { port in try await rejoined.sync(port: port) }
        #expect(try rejoined.store.values("case", caseID) == hub.store.values("case", caseID))
    }

    @Test func aConsentWithdrawnAfterTheBackupIsWithdrawnAgainThenThePushGoesThrough() async throws {
        let pupil = try TestPupil(at: school, consent: ["identity", "sst_case"])
        let caseID = try pupil.openCase(at: school)
        let consent = try #require(try school.store.consentSummaries(pupil: pupil.pupil).first)
        let rejoined = try await restoredAfter { try school.store.withdrawConsent(id: consent.id) }
        #expect(try hub.store.values("pupil", pupil.pupil)?["given_name"] == nil)

        // The restored node still holds the consent in force and sends the pupil's data: the hub refuses it.
        let failure = try await failingSync(rejoined)
        #expect(failure.kind == .refused)
        #expect(failure.message.contains("\(pupil.pupil)"))
        #expect(failure.remedy.contains("restored from a backup") && failure.remedy.contains("sst consent withdraw"))

        try rejoined.store.withdrawConsent(id: consent.id)
        try await withHub(hub) { port in try await rejoined.sync(port: port) }
        #expect(try hub.store.values("pupil", pupil.pupil)?["given_name"] == nil)
        #expect(try hub.store.values("case", caseID)?["plan"] == nil)
    }

    @Test func aPupilEnteredAfterTheBackupIsEnteredAgainUnderItsIDThenTheCaseComesBack() async throws {
        var late: (pupil: TestPupil, caseID: RecordID)?
        let rejoined = try await restoredAfter {
            let pupil = try TestPupil(at: school, givenName: "Sune", consent: ["identity", "sst_case"])
            late = (pupil, try pupil.openCase(at: school, plan: "Plan skriven efter säkerhetskopian."))
        }
        let (pupil, caseID) = try #require(late)
        #expect(try rejoined.store.values("pupil", pupil.pupil) == nil)

        let failure = try await failingSync(rejoined)
        #expect(failure.message.contains("of \(caseID) (pupil \(pupil.pupil))"))
        #expect(failure.remedy.contains("sst record set --entity pupil --id \(pupil.pupil)"))

        // The school enters the pupil again under its id, a guardian and the consent on paper.
        let again = try TestPupil(
            at: rejoined,
            reusing: pupil.pupil,
            givenName: "Sune",
            consent: ["identity", "sst_case"]
        )
        #expect(again.pupil == pupil.pupil)
        try await withHub(hub) { port in try await rejoined.sync(port: port) }
        let atHub = try #require(try hub.store.values("case", caseID))
        #expect(atHub["plan"] == .string("Plan skriven efter säkerhetskopian."))
        #expect(try rejoined.store.values("case", caseID) == atHub)
    }

    @Test func aRestoredNodeThatWorkedOfflinePastTheHubsCursorIsStillRefused() async throws {
        let pupil = try TestPupil(at: school, consent: ["identity", "sst_case"])
        let caseID = try pupil.openCase(at: school)
        try await withHub(hub) { port in try await school.sync(port: port) }
        try takeBackup()
        clock.advance(by: TestClock.day)
        try school.store.set(entity: "case", record: caseID, assignments: [("plan", "Plan efter säkerhetskopian.")])
        try await withHub(hub) { port in try await school.sync(port: port) }

        // Restored while the hub is unreachable, the school works on: its log grows past what the hub has of it,
        // so only the backup's mark can tell that the hub holds changes this database never had.
        clock.advance(by: 3_600_000)
        let restored = try TestNode(opening: backup, tls: school.tls, clock: clock)
        let hubCursor = try hub.store.cursor(for: school.identity.node)
        var plans = 0
        while try restored.store.lastSequence() <= hubCursor {
            plans += 1
            try restored.store.set(entity: "case", record: caseID, assignments: [("plan", "Offline, plan \(plans).")])
        }
        let failure = try await failingSync(restored)
        #expect(failure.kind == .local && failure.message.contains("restored from a backup"))
        #expect(failure.remedy.contains("sst node rejoin"))

        try restored.store.rejoin(as: NodeID("ekbacken-1-r2")!)
        let rejoined = try restored.reopened(
            tls: district.issue("ekbacken-1-r2", school: "Ekbackens skola", stadsdel: "Södermalm")
        )
        try await withHub(hub) { port in try await rejoined.sync(port: port) }
        #expect(try hub.store.values("case", caseID)?["plan"] == .string("Offline, plan \(plans)."))
        #expect(try rejoined.store.values("case", caseID) == hub.store.values("case", caseID))
    }

    @Test func aBackupRestoredBeforeTheNodeSyncedAgainGoesOnUnderItsID() async throws {
        let pupil = try TestPupil(at: school, consent: ["identity", "sst_case"])
        let caseID = try pupil.openCase(at: school)
        try await withHub(hub) { port in try await school.sync(port: port) }
        try takeBackup()
        clock.advance(by: TestClock.day)
        let restored = try TestNode(opening: backup, tls: school.tls, clock: clock)
        #expect(try restored.store.backupMark() != nil)
        try restored.store.set(entity: "case", record: caseID, assignments: [("plan", "Efter återställningen.")])
        try await withHub(hub) { port in try await restored.sync(port: port) }
        #expect(try restored.store.backupMark() == nil)
        #expect(try hub.store.values("case", caseID)?["plan"] == .string("Efter återställningen."))
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
