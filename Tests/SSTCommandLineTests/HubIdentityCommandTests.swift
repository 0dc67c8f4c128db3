import Foundation
import Testing

/// A node syncs only with a hub certificate of the district (`sst pki issue --role hub` adds the hub name, and
/// refuses it on a school's certificate), and once it synced, only with that hub's node id until `sst sync
/// --accept-hub` names another: as an administrator runs the commands.
struct HubIdentityCommandTests {
    @Test(.timeLimit(.minutes(10)))
    func issueAddsTheHubNameToAHubAndRefusesItOnASchool() throws {
        try withScratchDirectory { scratch in
            let ca = scratch.appendingPathComponent("ca").path
            try sst(["pki", "init", "--out", ca])
            let schoolTLS = scratch.appendingPathComponent("school-tls").path
            for dns in ["hub.sst-sync.invalid", "*.sst-sync.invalid"] {
                let refused = try SST.run(
                    ["pki", "issue", "--ca", ca, "--node-id", "ekbacken-2", "--role", "school", "--school", ekbacken]
                        + ["--dns", "ekbacken.example.se", "--dns", dns, "--out", schoolTLS]
                )
                expectRefusal(refused, mentions: ["sst-sync.invalid", "only hub certificates"])
                #expect(!FileManager.default.fileExists(atPath: schoolTLS + "/node.pem"))
            }
            let hubTLS = scratch.appendingPathComponent("hub-tls").path
            let issued = try sst(
                ["pki", "issue", "--ca", ca, "--node-id", "hub-sodermalm", "--role", "hub"] + ["--out", hubTLS]
            )
            #expect(issued.out.contains("hub.sst-sync.invalid"), "\(issued)")
            let shown = try sst(["pki", "show", "--cert", hubTLS + "/node.pem"])
            #expect(shown.out.contains("Hub name    hub.sst-sync.invalid"), "\(shown)")

            // A hub that takes a new id says that every school must be told to follow it.
            let hub = try Node.hub("hub-sodermalm", in: scratch)
            let rejoin = try hub.sst(["node", "rejoin", "--data", hub.data, "--node-id", "hub-sodermalm-r2"])
            #expect(rejoin.out.contains("sst sync --data SCHOOL-DIR --accept-hub hub-sodermalm-r2"), "\(rejoin)")
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func syncRefusesAHubWithAnotherIDUntilAcceptHubNamesIt() throws {
        try withScratchDirectory { scratch in
            let school = try Node.school("ekbacken-1", in: scratch)
            let hub = try Node.hub("hub-sodermalm", in: scratch)
            let district = try LoopbackDistrict.issue(hub: hub, school: school, in: scratch)
            do {
                let (server, port) = try district.serve(hub)
                defer { server.terminate() }
                try school.sst(district.syncArguments(school, port: port))
            }
            try school.set("pupil", newRecordID(), ["given_name=Åsa", "family_name=Öberg"])

            // Another hub of the district, with a hub certificate of its own, at the address the school syncs with.
            let other = try Node.hub("hub-kungsholmen", in: scratch)
            let otherTLS = scratch.appendingPathComponent("hub-kungsholmen-tls").path
            try sst(["pki", "issue", "--ca", district.ca, "--node-id", other.id, "--role", "hub", "--out", otherTLS])
            let server = try SSTRun(
                ["hub", "serve", "--data", other.data, "--listen", "127.0.0.1:0", "--cert", otherTLS + "/node.pem"]
                    + ["--key", otherTLS + "/node-key.pem", "--client-ca", district.ca + "/ca.pem"]
                    + ["--revoked", district.ca + "/revoked.json"]
            )
            defer { server.terminate() }
            let port = try server.listeningPort()
            let sync = ["sync", "--data", school.data, "--hub", "https://127.0.0.1:\(port)"]

            let hubSequence = try other.status().sequence
            let refused = try SST.run(sync)
            expectRefusal(refused, mentions: ["hub-kungsholmen", "hub-sodermalm", "--accept-hub hub-kungsholmen"])
            let json = try SST.run(sync + ["--json"])
            #expect(json.status != 0 && json.out.contains("hubChanged"), "\(json)")
            #expect(try other.status().sequence == hubSequence, "the refused school pushed to the other hub")

            expectRefusal(try SST.run(sync + ["--accept-hub", "hub kungsholmen"]), mentions: ["not a node id"])
            try school.sst(sync + ["--accept-hub", "hub-kungsholmen"])
            try school.sst(sync)  // The pin moved.
        }
    }
}
