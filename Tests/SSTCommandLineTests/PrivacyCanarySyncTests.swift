import Foundation
import Testing

/// The canary pupils over real HTTPS with mutual TLS: `sst hub serve` and `sst sync` run as processes on
/// loopback, with certificates from `sst pki`. No marker may reach the hub's database file or WAL, what
/// the hub logged, or what `sst sync --verbose` printed — and what may cross did.
@Suite struct PrivacyCanarySyncTests {
    @Test(.timeLimit(.minutes(10)))
    func nothingForbiddenCrossesThroughSyncOverHTTPS() throws {
        try withScratchDirectory { scratch in
            let school = try Node.school("ekbacken-1", in: scratch)
            let hub = try Node.hub("hub-sodermalm", in: scratch)
            let scenario = try CanaryScenario.write(on: school)
            let district = try LoopbackDistrict.issue(hub: hub, school: school, in: scratch)
            let (server, port) = try district.serve(hub)
            let synced = try school.sst(district.syncArguments(school, port: port) + ["--verbose"])
            server.terminate()
            let served = try server.wait(timeout: 30)
            #expect(served.status == 0, "the hub shuts down cleanly on SIGTERM: \(served)")

            let hubFiles = hub.databaseFiles()
            #expect(!hubFiles.isEmpty)
            expectNoMarker(scenario.forbidden, in: hubFiles + outputs("hub serve", served) + outputs("sync", synced))
            let hubBytes = hubFiles.map(\.bytes).reduce(Data(), +)
            for allowed in CanaryScenario.allowed {
                #expect(markerOccurs(allowed, in: hubBytes), "\(allowed) is missing from the hub's database")
            }
            #expect(try hub.get("case", scenario.bjornCase)["plan"]?.value == .string("ALLOWED-B-plan"))

            // The district's report at the hub: counts of the few canary pupils, suppressed; no identity.
            let report = try hub.sst(["report", "--data", hub.data, "--json"])
            let table = try hub.sst(["report", "--data", hub.data])
            let printed = outputs("report --json", report) + outputs("report", table)
            expectNoMarker(scenario.forbidden + CanaryScenario.allowed + [scenario.bjorn], in: printed)
            let json = try decode(JSONValue.self, report)
            guard case .object(let top) = json, case .array(let stadsdelar)? = top["stadsdelar"],
                case .object(let row)? = stadsdelar.first
            else {
                Issue.record("unexpected report: \(report)")
                return
            }
            #expect(stadsdelar.count == 1)
            #expect(row["stadsdel"] == .string(sodermalm))
            #expect(row["pupilsWithCase"] == .string("<5"), "a handful of pupils is never counted out")
            #expect(table.out.contains("pupils with a case") && table.out.contains("<5"))
            expectRefusal(
                try SST.run(["report", "--data", school.data]),
                mentions: ["school node", "hub's data directory"]
            )
        }
    }
}
