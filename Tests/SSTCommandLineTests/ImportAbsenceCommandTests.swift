import Foundation
import Testing

/// `sst import absence` and `sst staff add --role` with real `sst` processes (issue 20).
@Suite struct ImportAbsenceCommandTests {
    @Test(.timeLimit(.minutes(10)))
    func anAttendanceExportIsImportedOnceAndABadHeaderImportsNothing() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sst-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let school = try Node.school("ekbacken-1", in: scratch)
        let pupil = newRecordID()
        try school.set("pupil", pupil, ["given_name=Åsa", "family_name=Öberg", "personnummer=20130101-0003"])

        // Windows-1252 with semicolons, as a Swedish spreadsheet saves it; one row names no pupil here.
        let csv =
            "Personnummer;Från;Till;Schemalagd tid;Giltig frånvaro;Ogiltig frånvaro\r\n"
            + "20130101-0003;2026-09-01;2026-09-30;6000;600;1200\r\n"
            + "20110303-0001;2026-09-01;2026-09-30;6000;0;0\r\n"
        let file = scratch.appendingPathComponent("franvaro.csv")
        try #require(csv.data(using: .windowsCP1252)).write(to: file)
        let first = try SST.run(["import", "absence", "--data", school.data, file.path])
        #expect(first.status == 1 && first.out.contains("Imported 1 row(s); 0 unchanged; 1 not imported."))
        #expect(first.out.contains("line 3: no pupil with personnummer 20110303-0001"))
        let sequence = try school.status().sequence
        let again = try SST.run(["import", "absence", "--data", school.data, file.path])
        #expect(again.out.contains("Imported 0 row(s); 1 unchanged"))
        #expect(try school.status().sequence == sequence, "a re-import changes nothing")

        let bad = scratch.appendingPathComponent("fel.csv")
        try Data("Namn;Datum\nÅsa;2026-09-01\n".utf8).write(to: bad)
        let refused = try SST.run(["import", "absence", "--data", school.data, bad.path])
        #expect(refused.status != 0 && refused.err.contains("lacks personnummer") && refused.err.contains("nothing"))
        #expect(try school.status().sequence == sequence)
    }

    @Test(.timeLimit(.minutes(10)))
    func staffAreAddedWithARole() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sst-roles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let school = try Node.school("ekbacken-1", in: scratch)
        try sst([
            "staff", "add", "--data", school.data, "--name", "Maj Mentor", "--role", "mentor", "--classes", "8B,9A",
        ])
        try sst(["staff", "add", "--data", school.data, "--name", "Eva Ek", "--health-records"])
        let list = try sst(["staff", "list", "--data", school.data]).out
        #expect(list.contains("role mentor of 8B,9A") && list.contains("elevhälsa records"))
        let noClasses = try SST.run(["staff", "add", "--data", school.data, "--name", "Per", "--role", "mentor"])
        #expect(noClasses.status != 0 && noClasses.err.contains("--classes"))
        let unknown = try SST.run(["staff", "add", "--data", school.data, "--name", "Per", "--role", "rektor"])
        #expect(unknown.status != 0 && unknown.err.contains("elevhalsa, sst or mentor"))
        let stadsdel = try SST.run(["staff", "add", "--data", school.data, "--name", "Per", "--stadsdel", "Söder"])
        #expect(stadsdel.status != 0 && stadsdel.err.contains("only at the hub"))
    }
}
