import Foundation
import SSTCore
import SSTPrivacy
import SSTStore
import SSTSync
import Testing

/// A hub and three school nodes in two stadsdelar over real HTTPS: outages, concurrent edits and the
/// school boundary between them.
@Suite(.timeLimit(.minutes(10)))
struct ConvergenceTests {
    let district: TestDistrict
    let clock = TestClock()
    let hub: TestNode
    let ekbacken: TestNode
    let rosendal: TestNode
    let vasa: TestNode

    init() throws {
        district = try TestDistrict()
        hub = try TestNode("hub-stockholm", role: .hub, district: district, clock: clock)
        ekbacken = try TestNode(
            "ekbacken-1",
            school: "Ekbackens skola",
            stadsdel: "Södermalm",
            district: district,
            clock: clock
        )
        rosendal = try TestNode(
            "rosendal-1",
            school: "Rosendalsskolan",
            stadsdel: "Södermalm",
            district: district,
            clock: clock
        )
        vasa = try TestNode("vasa-1", school: "Vasaskolan", stadsdel: "Kungsholmen", district: district, clock: clock)
    }

    var schools: [TestNode] { [ekbacken, rosendal, vasa] }

    /// Every school syncs, twice, so that what one pushed reaches the others through the hub.
    func syncAll(port: Int) async throws {
        for _ in 0..<2 {
            for school in schools { try await school.sync(port: port) }
        }
    }

    @Test func hubDownForAWeekWhileSchoolsWriteThenEverythingConverges() async throws {
        var opened: [(school: TestNode, pupil: TestPupil, id: RecordID)] = []
        var withoutConsent: [(school: TestNode, pupil: TestPupil)] = []
        for (index, school) in schools.enumerated() {
            let pupil = try TestPupil(at: school, givenName: "Åke \(index)", consent: ["identity", "sst_case"])
            opened.append((school, pupil, try pupil.openCase(at: school)))
            withoutConsent.append(
                (school, try TestPupil(at: school, givenName: "Märta \(index)", personnummer: "20140303-0008"))
            )
        }
        try await withHub(hub) { port in try await syncAll(port: port) }
        let cases = opened
        let unshared = withoutConsent

        // The hub is down for a week; the schools keep working.
        for day in 1...7 {
            clock.advance(by: TestClock.day)
            for (school, _, id) in cases {
                try school.store.set(
                    entity: "case",
                    record: id,
                    assignments: [("plan", "Plan dag \(day) på \(school.identity.node).")]
                )
            }
        }
        try await withHub(hub) { port in
            try await syncAll(port: port)
            for (school, pupil, id) in cases {
                let atHub = try #require(try hub.store.values("case", id))
                #expect(atHub["plan"] == .string("Plan dag 7 på \(school.identity.node)."))
                #expect(try hub.store.values("pupil", pupil.pupil)?["given_name"] != nil)
                #expect(try school.store.values("case", id) == atHub)
                for other in schools where other.identity.node != school.identity.node {
                    #expect(
                        try other.store.values("case", id) == nil,
                        "\(other.identity.node) got another school's case"
                    )
                    #expect(try other.store.values("pupil", pupil.pupil) == nil)
                }
            }
            for (_, pupil) in unshared {
                #expect(
                    try hub.store.values("pupil", pupil.pupil)?["given_name"] == nil,
                    "a pupil without consent crossed"
                )
            }
            // Nothing duplicated: syncing again changes nothing anywhere.
            let before = try [hub, ekbacken, rosendal, vasa].map { try $0.store.dumpText() }
            try await syncAll(port: port)
            #expect(try [hub, ekbacken, rosendal, vasa].map { try $0.store.dumpText() } == before)
        }
    }

    @Test func concurrentEditsAtASchoolAndAtTheHubConvergeWithTheConflictKept() async throws {
        let pupil = try TestPupil(at: ekbacken, consent: ["identity", "sst_case"])
        let id = try pupil.openCase(at: ekbacken)
        try await withHub(hub) { port in
            try await ekbacken.sync(port: port)
            clock.advance(by: 1000)
            try ekbacken.store.set(entity: "case", record: id, assignments: [("plan", "Skolans plan: studiestöd.")])
            try hub.store.set(
                entity: "case",
                record: id,
                assignments: [("plan", "Socialtjänstens plan: föräldrastöd.")]
            )
            try await ekbacken.sync(port: port)
            try await ekbacken.sync(port: port)
            #expect(try hub.store.values("case", id) == (try ekbacken.store.values("case", id)))
            let atSchool = try ekbacken.store.conflicts().filter { $0.record == id && $0.field == "plan" }
            let atHub = try hub.store.conflicts().filter { $0.record == id && $0.field == "plan" }
            #expect(atSchool.count == 1 && atHub.count == 1)
            #expect(atSchool.first?.others.count == 1)
        }
    }

    @Test func aSchoolCannotWriteAnotherSchoolsRecords() async throws {
        let pupil = try TestPupil(at: ekbacken, consent: ["identity", "sst_case"])
        let id = try pupil.openCase(at: ekbacken)
        try await withHub(hub) { port in
            try await ekbacken.sync(port: port)
            try rosendal.store.set(entity: "case", record: id, assignments: [("plan", "Skrivet av fel skola.")])
            // Rosendal's own filter withholds a case it has no basis for …
            try await rosendal.sync(port: port)
            #expect(try hub.store.values("case", id)?["plan"] == .string("Motiverande samtal varje vecka."))
            // … and a set that skips the filter is denied by the hub, as the certificate names another school.
            let unfiltered = try rosendal.store.exportChanges(since: 0)
            let forged = ChangeSet(
                origin: rosendal.identity.node,
                side: .school,
                since: try hub.store.cursor(for: rosendal.identity.node),
                upTo: unfiltered.upTo,
                changes: unfiltered.changes,
                policyHash: hub.store.policy.hash
            )
            try await HTTPSyncTransport.withTransport(
                configuration: .init(hubURL: "https://127.0.0.1:\(port)"),
                tls: try rosendal.tls.clientConfiguration(verifyHostname: true),
                logger: quietLogger
            ) { transport in
                do {
                    _ = try await transport.push(forged)
                    Issue.record("a school wrote another school's case")
                } catch let failure as SyncFailure {
                    #expect(failure.problem?.statusCode == 403)
                    #expect(failure.code == "notAuthorized", "\(failure)")
                }
            }
            #expect(try hub.store.values("case", id)?["plan"] == .string("Motiverande samtal varje vecka."))
            // Nor can it read them: its pulls never carried Ekbacken's case or pupil.
            #expect(try rosendal.store.values("pupil", pupil.pupil) == nil)
        }
    }
}
