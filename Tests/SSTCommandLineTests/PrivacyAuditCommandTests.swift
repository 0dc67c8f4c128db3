import Foundation
import Testing

/// `sst audit verify` on a real database file: intact, it exits 0; after someone with file access
/// drops the append-only triggers and edits, deletes or swaps entries, it exits non-zero and names them.
@Suite struct PrivacyAuditCommandTests {
    enum Tampering: String, CaseIterable, CustomTestStringConvertible {
        case editOneEntry
        case deleteOneEntry
        case swapTwoEntries

        var testDescription: String { rawValue }

        var sql: String {
            switch self {
            case .editOneEntry:
                "UPDATE sst_audit SET entry = replace(entry, 'school_to_social', 'social_to_school') WHERE seq = 3"
            case .deleteOneEntry:
                "DELETE FROM sst_audit WHERE seq = 3"
            case .swapTwoEntries:
                """
                CREATE TEMP TABLE swap AS SELECT * FROM sst_audit WHERE seq IN (2, 4);
                UPDATE sst_audit SET (at_ms, kind, entry, previous_hash, hash) = (
                    SELECT at_ms, kind, entry, previous_hash, hash FROM swap
                    WHERE swap.seq = CASE sst_audit.seq WHEN 2 THEN 4 ELSE 2 END
                ) WHERE seq IN (2, 4);
                """
            }
        }

        /// What the TAMPERED lines must name: each group of words together on one line.
        var phrases: [[String]] {
            switch self {
            case .editOneEntry: [["entry 3", "edited"]]
            case .deleteOneEntry: [["3", "removed"]]
            case .swapTwoEntries: [["entry 2"], ["entry 4"]]
            }
        }
    }

    /// A school node whose pupil's data was exported for social services twice: several audit entries.
    func auditedSchool(in scratch: URL) throws -> Node {
        let school = try Node.school("ekbacken-1", in: scratch)
        let pupil = newRecordID()
        let guardian = newRecordID()
        try school.set("pupil", pupil, ["given_name=Åsa", "family_name=Öberg", "personnummer=20160315-2388"])
        try school.set("guardian", guardian, ["pupil_id=\(pupil)", "given_name=Karin", "has_custody=true"])
        try school.grantConsent(pupil: pupil, scopes: "identity,sst_case", givenBy: [guardian])
        try school.set("case", newRecordID(), ["pupil_id=\(pupil)", "category=absence", "plan=Samtal med kurator"])
        for name in ["första.json", "andra.json"] {
            try school.export(for: "social", to: scratch.appendingPathComponent(name))
        }
        let verified = try school.sst(["audit", "verify", "--data", school.data])
        #expect(verified.out.contains("intact"), "\(verified)")
        let list = try school.sst(["audit", "list", "--data", school.data, "--json"])
        let entries = try decode([JSONValue].self, list)
        #expect(entries.count >= 5, "the test needs a few entries: \(list)")
        return school
    }

    @Test(.timeLimit(.minutes(10)))
    func theAuditTrailRefusesUpdateAndDeleteWhileItsTriggersStand() throws {
        try withScratchDirectory { scratch in
            let school = try auditedSchool(in: scratch)
            let before = try school.sst(["audit", "list", "--data", school.data, "--json"]).out
            for sql in [
                "UPDATE sst_audit SET entry = replace(entry, 'school_to_social', 'social_to_school') WHERE seq = 2",
                "DELETE FROM sst_audit WHERE seq = 2",
            ] {
                let error = try RawSQLite.execute(sql, on: school.databasePath)
                #expect(error?.contains("append-only") == true, "\(sql) → \(error ?? "accepted")")
            }
            #expect(try school.sst(["audit", "list", "--data", school.data, "--json"]).out == before)
            try school.sst(["audit", "verify", "--data", school.data])
        }
    }

    @Test(.timeLimit(.minutes(10)), arguments: Tampering.allCases)
    func auditVerifyExitsNonZeroAndNamesTheTamperedEntry(_ tampering: Tampering) throws {
        try withScratchDirectory { scratch in
            let school = try auditedSchool(in: scratch)
            let sql = "DROP TRIGGER sst_audit_no_update; DROP TRIGGER sst_audit_no_delete; " + tampering.sql
            let error = try RawSQLite.execute(sql, on: school.databasePath)
            try #require(error == nil, "the tampering itself failed: \(error ?? "")")

            let result = try SST.run(["audit", "verify", "--data", school.data])
            #expect(!result.killedBySignal && result.status != 0, "tampering went unnoticed: \(result)")
            #expect(result.out.contains("TAMPERED"), "\(result)")
            let tampered = result.out.split(separator: "\n").filter { $0.hasPrefix("TAMPERED") }
            for words in tampering.phrases {
                #expect(
                    tampered.contains { line in words.allSatisfy(line.contains) },
                    "no TAMPERED line names \(words): \(result)"
                )
            }
            #expect(result.err.contains("altered"), "\(result)")
            #expect(!result.out.contains("intact"), "\(result)")
        }
    }
}
