import Foundation
import SSTCore
import SSTStore
import SSTSync
import Testing

/// `sst status` counts what waits for the hub, not what came from it.
@Suite(.timeLimit(.minutes(10)))
struct SyncStatusPendingTests {
    @Test func changesPulledFromTheHubAreNotPendingAndLocalWritesAre() async throws {
        let district = try TestDistrict()
        let hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
        let school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
        let pupil = try TestPupil(at: school, consent: ["identity", "sst_case"])
        let sstCase = try pupil.openCase(at: school)
        try await withHub(hub) { port in
            try await school.sync(port: port)
            // Social services write to the shared case at the hub; the school pulls it.
            try hub.store.set(entity: "case", record: sstCase, values: ["plan": .string("Föräldrastöd i grupp.")])
            let report = try await school.sync(port: port)
            #expect(report.pulledChanges > 0)
        }
        func pending() throws -> Int64 {
            try SyncStatus(dataDirectory: school.dataDirectory, store: school.store, now: school.clock.milliseconds())
                .pending
        }
        #expect(try pending() == 0)
        try school.store.set(
            entity: "pupil",
            record: pupil.pupil,
            values: ["grade": .integer(8), "class_name": .string("8B")]
        )
        #expect(try pending() == 2)
    }
}
