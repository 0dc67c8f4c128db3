import Foundation
import GRDB
import SSTCore
import SSTPrivacy
import SSTStore
import Testing

/// The audit trail is append-only and hash-chained: triggers refuse UPDATE and DELETE, and once someone
/// with file access drops them, `verifyAudit` still names the entry that was edited, removed or moved.
@Suite struct PrivacyAuditTamperTests {
    enum Tampering: String, CaseIterable, CustomTestStringConvertible {
        case editOneEntry
        case deleteOneEntry
        case swapTwoEntries

        var testDescription: String { rawValue }
    }

    /// A school node in a real file with a few audited crossings; returns it and its database path.
    func auditedSchool() throws -> (store: Store, path: String, directory: TemporaryDirectory) {
        let pair = try PrivacyPair.files()
        for name in ["Åsa", "Björn", "Märta"] {
            let pupil = try PrivacyPupil.write(on: pair.school, ["given_name": .string(name)])
            try pupil.grant(["identity", "sst_case"], on: pair.school)
            try pupil.add("case", on: pair.school, ["plan": .string("Plan för \(name)")])
            try pair.syncToHub()
        }
        let directory = try #require(pair.directory)
        let count = try pair.school.auditEntries().count
        #expect(count >= 5, "the test needs a few entries, has \(count)")
        #expect(try pair.school.verifyAudit().problems.isEmpty)
        return (pair.school, directory.path("school/sst.sqlite"), directory)
    }

    @Test func theTriggersRefuseUpdateAndDeleteOfAuditEntries() throws {
        let (store, path, directory) = try auditedSchool()
        let before = try store.auditEntries()
        let queue = try DatabaseQueue(path: path)
        for sql in [
            "UPDATE sst_audit SET entry = replace(entry, 'sent', 'received') WHERE seq = 2",
            "DELETE FROM sst_audit WHERE seq = 2",
            "DELETE FROM sst_audit",
        ] {
            let error = #expect(throws: DatabaseError.self, "\(sql)") {
                try queue.write { db in try db.execute(sql: sql) }
            }
            #expect(error?.message?.contains("append-only") == true, "\(String(describing: error))")
        }
        try queue.close()
        #expect(try store.auditEntries() == before)
        #expect(try store.verifyAudit().problems.isEmpty)
        _ = directory
    }

    @Test(arguments: Tampering.allCases)
    func verifyNamesTheEntryThatWasTamperedWith(_ tampering: Tampering) throws {
        let (store, path, directory) = try auditedSchool()
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER sst_audit_no_update")
            try db.execute(sql: "DROP TRIGGER sst_audit_no_delete")
            switch tampering {
            case .editOneEntry:
                // Someone turns a crossing to social services into one the other way.
                let before = try String.fetchOne(db, sql: "SELECT entry FROM sst_audit WHERE seq = 3")
                try db.execute(
                    sql:
                        "UPDATE sst_audit SET entry = replace(entry, 'school_to_social', 'social_to_school') WHERE seq = 3"
                )
                #expect(try String.fetchOne(db, sql: "SELECT entry FROM sst_audit WHERE seq = 3") != before)
            case .deleteOneEntry:
                try db.execute(sql: "DELETE FROM sst_audit WHERE seq = 3")
                #expect(db.changesCount == 1)
            case .swapTwoEntries:
                // Rows 2 and 4 trade everything but their sequence numbers.
                try db.execute(
                    sql: """
                        CREATE TEMP TABLE swap AS SELECT * FROM sst_audit WHERE seq IN (2, 4);
                        UPDATE sst_audit SET (at_ms, kind, entry, previous_hash, hash) = (
                            SELECT at_ms, kind, entry, previous_hash, hash FROM swap
                            WHERE swap.seq = CASE sst_audit.seq WHEN 2 THEN 4 ELSE 2 END
                        ) WHERE seq IN (2, 4);
                        DROP TABLE swap;
                        """
                )
            }
        }
        try queue.close()
        let problems = try store.verifyAudit().problems
        // Each line of words must appear together in one problem.
        let expected: [[String]] =
            switch tampering {
            case .editOneEntry: [["entry 3", "edited"]]
            case .deleteOneEntry: [["3", "removed"]]
            case .swapTwoEntries: [["entry 2"], ["entry 4"]]
            }
        #expect(!problems.isEmpty, "\(tampering) went unnoticed")
        for words in expected {
            #expect(
                problems.contains { problem in words.allSatisfy(problem.contains) },
                "no problem names \(words): \(problems)"
            )
        }
        // Entries before the tampering are not blamed.
        #expect(!problems.contains { $0.hasPrefix("entry 1 ") }, "\(problems)")
        _ = directory
    }
}
