import Foundation
import Testing

/// `sst hub recovery open | status | close` as processes: only on a hub that rejoined after a restore, audited.
@Suite struct HubRecoveryCommandTests {
    @Test(.timeLimit(.minutes(10)))
    func theWindowOpensOnARejoinedHubOnlyAndCloses() throws {
        try withScratchDirectory { scratch in
            let hub = try Node.hub("hub-sodermalm", in: scratch)
            let school = try Node.school("ekbacken-a", in: scratch)
            expectRefusal(
                try SST.run(["hub", "recovery", "open", "--data", hub.data]),
                mentions: ["has not taken a new node id", "sst node rejoin"]
            )
            expectRefusal(
                try SST.run(["hub", "recovery", "open", "--data", school.data]),
                mentions: ["is a school node", "hub's data directory"]
            )
            try hub.sst(["node", "rejoin", "--data", hub.data, "--node-id", "hub-sodermalm-r2"])
            expectRefusal(
                try SST.run(["hub", "recovery", "open", "--data", hub.data, "--until", "2000-01-01T00:00:00Z"]),
                mentions: ["not in the future"]
            )
            expectRefusal(
                try SST.run(["hub", "recovery", "open", "--data", hub.data, "--until", "snart"]),
                mentions: ["--until \"snart\""]
            )
            #expect(try hub.sst(["hub", "recovery", "status", "--data", hub.data]).out.contains("closed"))
            let opened = try hub.sst(["hub", "recovery", "open", "--data", hub.data, "--until", "7d"])
            #expect(opened.out.contains("window open since") && opened.out.contains("hub-sodermalm"))
            let status = try hub.sst(["hub", "recovery", "status", "--data", hub.data, "--json"])
            #expect(status.out.contains("\"open\": true") && status.out.contains("\"hub-sodermalm\""))
            #expect(try hub.sst(["hub", "recovery", "close", "--data", hub.data]).out.contains("closed"))
            #expect(try hub.sst(["hub", "recovery", "close", "--data", hub.data]).out.contains("No recovery window"))
            let audit = try hub.sst(["audit", "list", "--data", hub.data, "--json"]).out
            #expect(audit.contains("recovery window opened") && audit.contains("recovery window closed"))
        }
    }
}
