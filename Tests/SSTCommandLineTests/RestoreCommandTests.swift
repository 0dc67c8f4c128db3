import Foundation
import Testing

/// docs/operations.md, "Restoring a node from a backup", as an administrator runs it: `sst hub serve` and `sst sync`
/// as processes over HTTPS on 127.0.0.1, a copy of the data directory as the backup, `sst node rejoin` and a
/// certificate for the new id.
@Suite struct RestoreCommandTests {
    @Test(.timeLimit(.minutes(10)))
    func restoredNodeIsRefusedRejoinsUnderANewIDAndGetsItsCaseWorkBack() throws {
        try withScratchDirectory { scratch in
            let school = try Node.school("ekbacken-1", in: scratch)
            let hub = try Node.hub("hub-sodermalm", in: scratch)
            let pupil = newRecordID()
            let guardian = newRecordID()
            let caseID = newRecordID()
            try school.set("pupil", pupil, ["given_name=Åsa", "family_name=Öberg", "personnummer=20160315-2388"])
            try school.set("guardian", guardian, ["pupil_id=\(pupil)", "given_name=Karin", "has_custody=true"])
            try school.grantConsent(pupil: pupil, scopes: "identity,sst_case", givenBy: [guardian])
            try school.set("case", caseID, ["pupil_id=\(pupil)", "category=absence", "plan=Samtal med kurator"])
            let district = try LoopbackDistrict.issue(hub: hub, school: school, in: scratch)
            let (server, port) = try district.serve(hub)
            defer { server.terminate() }
            try school.sst(district.syncArguments(school, port: port))

            // The nightly backup; the next day's work reaches the hub; then the disk fails.
            let backups = scratch.appendingPathComponent("backups")
            try FileManager.default.createDirectory(at: backups, withIntermediateDirectories: true)
            let restored = Node(id: school.id, directory: backups.appendingPathComponent("ekbacken-1"))
            try school.sst(["backup", "--data", school.data, "--out", restored.data])
            expectRefusal(
                try SST.run(["backup", "--data", school.data, "--out", restored.data]),
                mentions: ["already holds files", "new --out directory"]
            )
            // The hub is backed up while it serves.
            let hubBackup = backups.appendingPathComponent("hub").path
            let backedUp = try decode(
                [String: JSONValue].self,
                try hub.sst(["backup", "--data", hub.data, "--out", hubBackup, "--json"])
            )
            #expect(backedUp["node"] == .string("hub-sodermalm") && backedUp["role"] == .string("hub"))
            #expect(try Node(id: hub.id, directory: URL(fileURLWithPath: hubBackup)).status().node == "hub-sodermalm")
            try school.set("case", caseID, ["plan=Samtal med kurator varje vecka"])
            try school.sst(district.syncArguments(school, port: port))

            let restoredStatus = try restored.sst(["status", "--data", restored.data])
            #expect(restoredStatus.out.contains("restored from a backup taken"), "\(restoredStatus)")
            let refused = try SST.run(district.syncArguments(restored, port: port))
            expectRefusal(refused, mentions: ["restored from a backup", "sst node rejoin"])

            let help = try SST.run(["node", "rejoin", "--help"])
            #expect(help.status == 0 && help.out.contains("restored from a backup"), "\(help)")
            // A certificate for the new id first; rejoin stores it for later syncs.
            let newTLS = scratch.appendingPathComponent("school-r2-tls").path
            try sst(
                ["pki", "issue", "--ca", district.ca, "--node-id", "ekbacken-1-r2", "--role", "school"]
                    + ["--school", ekbacken, "--stadsdel", sodermalm, "--out", newTLS]
            )
            expectRefusal(
                try SST.run(
                    ["node", "rejoin", "--data", restored.data, "--node-id", "ekbacken-1-r3"]
                        + ["--cert", newTLS + "/node.pem", "--key", newTLS + "/node-key.pem"]
                ),
                mentions: ["ekbacken-1-r2's", "ekbacken-1-r3"]
            )
            #expect(try restored.status().node == "ekbacken-1", "a refused rejoin changed the node")
            let rejoin = try restored.sst(
                ["node", "rejoin", "--data", restored.data, "--node-id", "ekbacken-1-r2"]
                    + ["--cert", newTLS + "/node.pem", "--key", newTLS + "/node-key.pem"]
            )
            #expect(rejoin.out.contains("Node ekbacken-1 is now ekbacken-1-r2"), "\(rejoin)")
            #expect(rejoin.out.contains("sst pki revoke --ca CA-DIR --node-id ekbacken-1 "), "\(rejoin)")
            #expect(rejoin.out.contains("sst sync --data \(restored.data)\n"), "\(rejoin)")
            #expect(try restored.status().node == "ekbacken-1-r2")
            let audit = try restored.sst(["audit", "list", "--data", restored.data])
            #expect(audit.out.contains("rejoined"), "\(audit)")

            // Given the old id's certificate it refuses before connecting; with what rejoin stored it syncs.
            expectRefusal(
                try SST.run(district.syncArguments(restored, port: port)),
                mentions: ["ekbacken-1-r2", "sst pki issue --node-id ekbacken-1-r2"]
            )
            try sst(["pki", "revoke", "--ca", district.ca, "--node-id", "ekbacken-1", "--reason", "återställd"])
            try restored.sst(["sync", "--data", restored.data])
            let status = try restored.sst(["status", "--data", restored.data, "--json"])
            #expect(status.out.contains("\"restoredBackup\": null"), "\(status)")
            #expect(try restored.get("case", caseID)["plan"]?.value == .string("Samtal med kurator varje vecka"))
            #expect(try hub.get("case", caseID)["plan"]?.value == .string("Samtal med kurator varje vecka"))
            // The old id's certificate is revoked: the copy that was not restored can no longer sync.
            expectRefusal(try SST.run(district.syncArguments(school, port: port)), mentions: ["revoked"])
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func rejoinPrintsWhatToDoForASchoolAndAHubAndRefusesAnIDInUse() throws {
        try withScratchDirectory { scratch in
            let node = try Node.school("ekbacken-1", in: scratch)
            try node.set("pupil", newRecordID(), ["given_name=Åsa", "family_name=Öberg"])
            expectRefusal(
                try SST.run(["node", "rejoin", "--data", node.data, "--node-id", "ekbacken-1"]),
                mentions: ["already this node's id", "never used"]
            )
            expectRefusal(
                try SST.run(["node", "rejoin", "--data", node.data, "--node-id", "ekbacken 1"]),
                mentions: ["not a node id"]
            )
            #expect(try node.status().node == "ekbacken-1")
            let copy = try node.copy(to: scratch, as: "copy")
            let printed = try copy.sst(["node", "rejoin", "--data", copy.data, "--node-id", "ekbacken-1-r2"])
            #expect(
                printed.out.contains("sst pki issue --ca CA-DIR --node-id ekbacken-1-r2 --role school --school"),
                "\(printed)"
            )
            #expect(printed.out.contains("--cert CERT-DIR/node.pem --key CERT-DIR/node-key.pem"), "\(printed)")
            let hub = try Node.hub("hub-sodermalm", in: scratch)
            let hubRejoin = try hub.sst(["node", "rejoin", "--data", hub.data, "--node-id", "hub-sodermalm-r2"])
            #expect(hubRejoin.out.contains("--node-id hub-sodermalm-r2 --role hub --stadsdel"), "\(hubRejoin)")
            #expect(hubRejoin.out.contains("sst hub serve --data \(hub.data) --cert CERT-DIR/node.pem"), "\(hubRejoin)")
            #expect(try hub.status().node == "hub-sodermalm-r2")
            let result = try node.sst(["node", "rejoin", "--data", node.data, "--node-id", "ekbacken-1-r2", "--json"])
            let json = try decode([String: JSONValue].self, result)
            #expect(json["previousNodeId"] == .string("ekbacken-1"))
            #expect(json["nodeId"] == .string("ekbacken-1-r2"))
            #expect(json["lastSequence"] == .integer(2))
            #expect(json["settingsUpdated"] == .bool(false))
        }
    }
}
