import Foundation
import SSTCore
import SSTPrivacy
import SSTStore
import SSTSync
import Testing

/// A node whose clock is far ahead is refused with the offset named; its changes wait and sync once the
/// clocks agree.
@Suite(.timeLimit(.minutes(10)))
struct ClockTests {
    let district: TestDistrict
    let hub: TestNode
    let school: TestNode

    init() throws {
        district = try TestDistrict()
        hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
        school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
    }

    @Test func nodeADayAheadIsRefusedNamingTheOffsetAndSyncsOnceItsClockIsRight() async throws {
        let pupil = try TestPupil(at: school)
        let report = try pupil.reportConcern(at: school)
        school.clock.advance(by: TestClock.day)
        try await withHub(hub) { port in
            do {
                try await school.sync(port: port)
                Issue.record("a node a day ahead synced")
            } catch let failure as SyncFailure {
                #expect(failure.problem?.statusCode == 422)
                #expect(failure.code == "clockAhead")
                #expect(failure.message.contains("24 h ahead"), "\(failure.message)")
                #expect(failure.message.contains("allowed offset is 5 min"), "\(failure.message)")
            }
            #expect(try hub.store.lastSequence() == 0)
            #expect(try SyncStateFile(directory: school.dataDirectory).load().lastError?.code == "clockAhead")

            school.clock.advance(by: -TestClock.day)
            try await school.sync(port: port)
            #expect(try hub.store.values("concern_report", report) != nil)
            #expect(try SyncStateFile(directory: school.dataDirectory).load().lastError == nil)
        }
    }

    @Test func changesStampedADayAheadAreRefusedAndWaitUntilTheHubsTimeReachesThem() async throws {
        school.clock.advance(by: TestClock.day)
        let pupil = try TestPupil(at: school)
        let report = try pupil.reportConcern(at: school)
        school.clock.advance(by: -TestClock.day)
        let changeSet = try school.store.exportChanges(for: PeerIdentity(node: hub.identity.node, role: .hub), since: 0)
        try await withHub(hub) { port in
            try await HTTPSyncTransport.withTransport(
                configuration: .init(hubURL: "https://127.0.0.1:\(port)"),
                tls: try school.tls.clientConfiguration(verifyHostname: true),
                logger: quietLogger
            ) { transport in
                do {
                    _ = try await transport.push(changeSet)
                    Issue.record("changes a day ahead were applied")
                } catch let failure as SyncFailure {
                    #expect(failure.code == "clockAhead")
                    #expect(failure.message.contains("allowed offset is 5 min"), "\(failure.message)")
                }
                #expect(try hub.store.lastSequence() == 0)
                hub.clock.advance(by: TestClock.day)
                _ = try await transport.push(changeSet)
            }
            #expect(try hub.store.values("concern_report", report) != nil)
        }
    }
}
