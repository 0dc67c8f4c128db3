import Logging
import SSTCore
import SSTStore
import SSTSync

/// `sst demo`: a district hub and three schools in two stadsdelar on loopback, with consent for some pupils,
/// an outage of the hub while the schools keep writing, a conflicting edit, and convergence once it is back.
///
/// Everything runs in this process over real HTTPS with mutual TLS, in a directory the caller provides.
public struct DemoScenario: Sendable {
    let world: DemoWorld
    let logger: Logger
    let say: @Sendable (String) -> Void

    /// Sets up the district (CA, certificates, four databases) in `directory`.
    public init(directory: String, logger: Logger, say: @escaping @Sendable (String) -> Void) throws {
        world = try DemoWorld.create(in: directory)
        self.logger = logger
        self.say = say
    }

    /// Runs the demo and returns the report; `converged` says whether every replica agreed at the end.
    public func run() async throws -> DemoReport {
        say("1. District PKI: a CA and certificates for \(world.hub.identity.node) and \(world.schools.count) schools.")
        let pupils = try writePupils()
        let sharedCase = try requireDemo(pupils.first?.caseID)
        let social = try socialServicesWork(pupils)
        try await withHub("3. Hub up") { port in
            try await syncEveryone(port: port, label: "   first sync")
            try socialServicesReceive(pupils)
            try await syncEveryone(port: port, label: "   after social services' work")
        }
        try await workWhileTheHubIsDown(pupils)
        try await editConcurrently(sharedCase)
        try await withHub("6. Hub back") { port in
            try await syncEveryone(port: port, label: "   catching up")
            try await syncEveryone(port: port, label: "   converging")
        }
        return try DemoReport(world: world, pupils: pupils, social: social, conflictCase: sharedCase)
    }

    /// Step 2: every school records its pupils.
    private func writePupils() throws -> [DemoRecords] {
        say("2. Schools record pupils, guardians, consents, absence, cases and health notes:")
        let pupils = try DemoPupil.all.map { spec in
            try DemoRecords.write(spec, at: world.schools[spec.school], today: world.clock.today)
        }
        for (index, school) in world.schools.enumerated() {
            let own = pupils.filter { $0.spec.school == index }
            say(
                "   \(school.name) (\(school.identity.stadsdel ?? "")): \(own.count) pupils, "
                    + "\(own.filter { !$0.spec.consent.isEmpty }.count) with consent"
            )
        }
        return pupils
    }

    /// Step 4: a simulated week of absence figures with the hub down, and a sync that cannot reach it.
    private func workWhileTheHubIsDown(_ pupils: [DemoRecords]) async throws {
        say("4. The hub goes down. The schools keep working for a simulated week:")
        for day in 1...7 {
            world.clock.advance(days: 1)
            for records in pupils where records.absence != nil {
                try DemoRecords.writeAbsence(
                    records.pupil,
                    at: world.schools[records.spec.school].store,
                    today: world.clock.today,
                    unexcused: 240 + 45 * day,
                    id: records.absence
                )
            }
        }
        let school = world.schools[0]
        if case .failure(let failure) = await sync(school, port: 1) {
            let pending = try SyncStateFile(directory: school.directory).load()
                .pending(lastSequence: try school.store.lastSequence())
            say("   \(school.identity.node) tries to sync: \(failure.kind); \(pending) local writes wait on the node.")
        }
    }

    /// Step 5: the same case plan rewritten at a school and at the hub while they are apart.
    private func editConcurrently(_ caseID: RecordID) async throws {
        say("5. A conflicting edit while apart: Åsa's case plan is rewritten at Ekbackens skola and at the hub.")
        try await rewritePlanThroughTheStaffAPI(
            at: world.schools[0],
            caseID: caseID,
            plan: "Skolan: studiestöd två eftermiddagar i veckan och anpassat schema."
        )
        try world.hub.store.set(
            entity: EntityName.case,
            record: caseID,
            assignments: [(FieldName.plan, "Socialtjänsten: föräldrastöd i grupp och kontaktperson.")]
        )
    }

    /// The social side's own records at the hub: a support decision (only its yes/no flag crosses, with
    /// consent) and a child-welfare investigation (never crosses).
    private func socialServicesWork(_ pupils: [DemoRecords]) throws -> DemoSocialRecords {
        let store = world.hub.store
        let social = DemoSocialRecords(support: .random(), investigation: .random())
        let asa = try requireDemo(pupils.first { $0.spec.consent.contains("social_support_flag") })
        try store.set(
            entity: EntityName.socialSupport,
            record: social.support,
            assignments: [
                (FieldName.pupilID, asa.pupil.rawValue), (FieldName.hasOngoingSupport, "true"),
                (FieldName.decisionNotes, "Beslut: kontaktfamilj från december."),
            ]
        )
        let reported = try requireDemo(pupils.first { $0.concern != nil })
        try store.set(
            entity: EntityName.socialInvestigation,
            record: social.investigation,
            assignments: [
                (FieldName.pupilID, reported.pupil.rawValue), (FieldName.notes, "Barnavårdsutredning inledd."),
            ]
        )
        return social
    }

    /// The hub acknowledges the report of concern it received (the receipt crosses back by legal duty).
    private func socialServicesReceive(_ pupils: [DemoRecords]) throws {
        guard let concern = pupils.first(where: { $0.concern != nil })?.concern else { return }
        try world.hub.store.set(
            entity: EntityName.concernReport,
            record: concern,
            assignments: [
                (FieldName.receivedAt, "\(world.clock.today)T09:30:00Z"), (FieldName.investigationOpened, "true"),
            ]
        )
    }

    private func withHub(_ label: String, _ body: @Sendable (Int) async throws -> Void) async throws {
        let hub = world.hub
        try await HubServer.withRunning(
            store: hub.store,
            configuration: HubServer.Configuration(listen: ListenAddress(host: "127.0.0.1", port: 0), tls: hub.tls),
            physicalClock: world.clock,
            logger: logger
        ) { port in
            say("\(label): \(hub.identity.node) listens on https://127.0.0.1:\(port) (mutual TLS).")
            try await body(port)
        }
    }

    private func syncEveryone(port: Int, label: String) async throws {
        var lines: [String] = []
        for school in world.schools {
            switch await sync(school, port: port) {
            case .success(let report):
                lines.append("\(school.identity.node) ↑\(report.pushedChanges) ↓\(report.pulledChanges)")
            case .failure(let failure):
                throw failure
            }
        }
        say("\(label): " + lines.joined(separator: ", ") + " field changes")
    }

    private func sync(_ school: DemoNode, port: Int) async -> Result<SyncReport, SyncFailure> {
        do {
            return try await NodeSynchronizer.withHTTP(
                store: school.store,
                dataDirectory: school.directory,
                settings: SyncSettings(hubURL: "https://127.0.0.1:\(port)", tls: school.tls),
                session: SyncSession.Configuration(
                    maxAttempts: 2,
                    backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(50))
                ),
                physicalClock: world.clock,
                connectTimeout: .milliseconds(500),
                logger: logger
            ) { await $0.syncResult() }
        } catch {
            return .failure(SyncFailure(.local, "\(error)", remedy: ""))
        }
    }
}

/// The value, or a setup error (the demo's data always has it).
private func requireDemo<T>(_ value: T?) throws -> T {
    guard let value else { throw SyncSetupError("the demo data is incomplete", remedy: "Report this as a bug.") }
    return value
}
