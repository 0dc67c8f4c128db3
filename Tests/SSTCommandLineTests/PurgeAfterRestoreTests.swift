import Foundation
import Testing

/// Purges (*gallring*) and deletions made after a node's backup survive its restore (issue 23, item 2): a node
/// restored from the backup learns of them from the hub (records that crossed) or through its school's sealed
/// mailbox (records only the school holds), and a purged record never comes back. `sst` processes over HTTPS.
@Suite struct PurgeAfterRestoreTests {
    static let notes = "GALLRAT-EFTER-BACKUP-MOTE-4K"
    static let summary = "GALLRAD-EFTER-BACKUP-BEDOMNING-9Z"
    static let healthNote = "GALLRAD-EFTER-BACKUP-HALSA-7Q"

    /// A copy of `node`'s data directory by `sst backup`, as a node of its own in `scratch/backups/<id>`.
    static func backUp(_ node: Node, in scratch: URL) throws -> Node {
        let backups = scratch.appendingPathComponent("backups")
        try FileManager.default.createDirectory(at: backups, withIntermediateDirectories: true)
        let restored = Node(id: node.id, directory: backups.appendingPathComponent(node.id))
        try node.sst(["backup", "--data", node.data, "--out", restored.data])
        return restored
    }

    /// `sst node rejoin` of `restored` as `newID` with a certificate issued for it, and the old id revoked.
    static func rejoin(_ restored: Node, as newID: String, ca: String, in scratch: URL) throws {
        let tls = scratch.appendingPathComponent("\(newID)-tls").path
        try sst(
            ["pki", "issue", "--ca", ca, "--node-id", newID, "--role", "school", "--school", ekbacken]
                + ["--stadsdel", sodermalm, "--out", tls]
        )
        try restored.sst(
            ["node", "rejoin", "--data", restored.data, "--node-id", newID]
                + ["--cert", tls + "/node.pem", "--key", tls + "/node-key.pem"]
        )
        try sst(["pki", "revoke", "--ca", ca, "--node-id", restored.id, "--reason", "återställd"])
    }

    /// Whether `sst record get` shows the record as purged: the marker alone.
    static func isPurged(_ node: Node, _ entity: String, _ record: String) throws -> Bool {
        let fields = try node.get(entity, record)
        return fields.keys.sorted() == ["_purged"] && fields["_purged"]?.value == .bool(true)
    }

    @Test(.timeLimit(.minutes(10)))
    func purgesAndADeletionOfSharedRecordsAfterTheBackupHoldAfterRestoreAndRejoin() throws {
        try withScratchDirectory { scratch in
            let school = try Node.school("ekbacken-1", in: scratch)
            let hub = try Node.hub("hub-sodermalm", in: scratch)
            let pupil = newRecordID()
            let guardian = newRecordID()
            let caseID = newRecordID()
            let meeting = newRecordID()
            let assessment = newRecordID()
            let absence = newRecordID()
            try school.set("pupil", pupil, ["given_name=Åsa", "family_name=Öberg", "personnummer=20160315-2388"])
            try school.set("guardian", guardian, ["pupil_id=\(pupil)", "given_name=Karin", "has_custody=true"])
            try school.grantConsent(
                pupil: pupil,
                scopes: "identity,sst_case,absence,school_assessment",
                givenBy: [guardian]
            )
            try school.set("case", caseID, ["pupil_id=\(pupil)", "category=absence", "plan=Samtal med kurator"])
            try school.set("meeting", meeting, ["case_id=\(caseID)", "notes=\(Self.notes)"])
            try school.set("school_assessment", assessment, ["pupil_id=\(pupil)", "summary=\(Self.summary)"])
            try school.set("absence", absence, ["pupil_id=\(pupil)", "scheduled_minutes=4711"])
            let district = try LoopbackDistrict.issue(hub: hub, school: school, in: scratch)
            let (server, port) = try district.serve(hub)
            defer { server.terminate() }
            try school.sst(district.syncArguments(school, port: port))
            #expect(try hub.get("meeting", meeting)["notes"]?.value == .string(Self.notes))

            // The nightly backup; the next day the meeting and the assessment are culled, the absence deleted.
            let restored = try Self.backUp(school, in: scratch)
            // A meeting that crosses after the backup: the restored node's history does not show it crossed.
            let later = newRecordID()
            try school.set("meeting", later, ["case_id=\(caseID)", "notes=\(Self.notes)-2"])
            try school.sst(district.syncArguments(school, port: port))
            let oldFile = try school.export(to: scratch.appendingPathComponent("before-the-purge.json"))
            try school.sst(["record", "purge", "--data", school.data, "--entity", "meeting", "--id", later])
            try school.sst(["record", "purge", "--data", school.data, "--entity", "meeting", "--id", meeting])
            try school.sst(
                ["record", "purge", "--data", school.data, "--entity", "school_assessment", "--id", assessment]
            )
            try school.sst(["record", "delete", "--data", school.data, "--entity", "absence", "--id", absence])
            try school.sst(district.syncArguments(school, port: port))
            #expect(try Self.isPurged(hub, "meeting", meeting))
            #expect(try Self.isPurged(hub, "school_assessment", assessment))

            // The disk fails; the backup is restored and rejoins under a new id.
            try Self.rejoin(restored, as: "ekbacken-1-r2", ca: district.ca, in: scratch)
            try restored.sst(["sync", "--data", restored.data])
            try restored.sst(["sync", "--data", restored.data])

            for node in [restored, hub] {
                #expect(try Self.isPurged(node, "meeting", meeting), "the meeting came back at \(node.data)")
                #expect(try Self.isPurged(node, "meeting", later), "the later meeting is not purged at \(node.data)")
                #expect(
                    try Self.isPurged(node, "school_assessment", assessment),
                    "the assessment came back at \(node.data)"
                )
                #expect(try node.get("absence", absence)["_deleted"]?.value == .bool(true), "at \(node.data)")
                expectNoMarker([Self.notes, Self.summary], in: node.databaseFiles())
            }
            // Neither a write nor an old export file brings a purged record back.
            expectRefusal(
                try SST.run([
                    "record", "set", "--data", restored.data, "--entity", "meeting", "--id", meeting, "notes=x",
                ]),
                mentions: ["purged", "new record"]
            )
            try restored.importFile(oldFile)
            for (entity, record) in [("meeting", meeting), ("meeting", later), ("school_assessment", assessment)] {
                #expect(try Self.isPurged(restored, entity, record), "\(entity) \(record) came back by a file")
            }
            expectNoMarker([Self.notes, Self.summary], in: restored.databaseFiles())
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func aHealthNotePurgedAfterTheBackupStaysPurgedThroughTheSchoolsMailbox() throws {
        try withScratchDirectory { scratch in
            let school = try Node.school("ekbacken-1", in: scratch)
            let hub = try Node.hub("hub-sodermalm", in: scratch)
            let pupil = newRecordID()
            let note = newRecordID()
            let kept = newRecordID()
            try school.set("pupil", pupil, ["given_name=Åsa", "family_name=Öberg", "personnummer=20160315-2388"])
            try school.set("health_note", note, ["pupil_id=\(pupil)", "text=\(Self.healthNote)"])
            try school.set("health_note", kept, ["pupil_id=\(pupil)", "text=Glasögon"])
            let recovery = scratch.appendingPathComponent("school-key.txt").path
            try school.sst(["school-key", "recovery", "--data", school.data, "--out", recovery])
            let district = try LoopbackDistrict.issue(hub: hub, school: school, in: scratch)
            let (server, port) = try district.serve(hub)
            defer { server.terminate() }
            try school.sst(district.syncArguments(school, port: port))

            // Backed up; the note is culled and the purge relayed through the mailbox; the disk fails.
            let restored = try Self.backUp(school, in: scratch)
            try school.sst(["record", "purge", "--data", school.data, "--entity", "health_note", "--id", note])
            try school.sst(district.syncArguments(school, port: port))
            let atHub = try SST.run(["record", "get", "--data", hub.data, "--entity", "health_note", "--id", note])
            #expect(atHub.status != 0, "a health note reached the hub: \(atHub)")

            try Self.rejoin(restored, as: "ekbacken-1-r2", ca: district.ca, in: scratch)
            // Keys are not in a backup: without the school key the node cannot read the mailbox yet.
            let waiting = try restored.sst(["sync", "--data", restored.data])
            #expect(waiting.out.contains("waiting for the school key"), "\(waiting)")
            try restored.sst(["school-key", "recover", "--data", restored.data, recovery])
            try restored.sst(["sync", "--data", restored.data])

            #expect(try Self.isPurged(restored, "health_note", note), "the health note came back")
            #expect(try restored.get("health_note", kept)["text"]?.value == .string("Glasögon"))
            expectNoMarker([Self.healthNote], in: restored.databaseFiles())
            // Nothing of the note goes anywhere again, nor comes back by writing it.
            expectRefusal(
                try SST.run(
                    ["record", "set", "--data", restored.data, "--entity", "health_note", "--id", note, "text=x"]
                ),
                mentions: ["purged"]
            )
        }
    }
}
