import Foundation
import GRDB
import Testing

/// Databases made by earlier releases open with today's `sst` and migrate to today's layout, keeping every value,
/// stamp, conflict and cursor. Each fixture is a school and its hub as an earlier `sst` left them after a sync:
/// `Fixtures/layout-1` (commit e46bd5e) with one `sst_field` row per field, before `record-stamps-1`;
/// `Fixtures/layout-2` (commit 387467f) with stamps per record and one `sst_log` row per field, before
/// `log-per-write-1`.
@Suite struct LayoutMigrationTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures", isDirectory: true)

    /// The layouts of the store: a row of `sst_field` per field (1), a row of `sst_log` per field (2), a row of
    /// `sst_log` per write of a record's fields (3, today's).
    static let todaysLayout = 3

    /// A fixture and what its school's `sst status` said when it was made.
    struct Fixture: CustomTestStringConvertible, Sendable {
        let name: String
        let layout: Int
        let sequence: Int64
        let peers: [String: Int64]
        var directory: URL { LayoutMigrationTests.fixtures.appendingPathComponent(name, isDirectory: true) }
        var testDescription: String { name }

        static let layout1 = Fixture(
            name: "layout-1",
            layout: 1,
            sequence: 365,
            peers: ["ekbacken-2": 176, "hub-1": 216]
        )
        static let layout2 = Fixture(
            name: "layout-2",
            layout: 2,
            sequence: 321,
            peers: ["ekbacken-2": 165, "hub-1": 117]
        )
    }

    /// A data directory in `scratch/name` holding a copy of the fixture's `name.sqlite`.
    static func fixtureNode(
        _ name: String,
        id: String,
        in scratch: URL,
        from fixture: Fixture = .layout1
    ) throws -> Node {
        let node = Node(id: id, directory: scratch.appendingPathComponent(name, isDirectory: true))
        try FileManager.default.createDirectory(at: node.directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: fixture.directory.appendingPathComponent("\(name).sqlite"),
            to: node.directory.appendingPathComponent("sst.sqlite")
        )
        return node
    }

    /// `sst dump` as the fixture's dumps were taken (text, without `--json`).
    static func dump(_ node: Node) throws -> Data {
        try sst(["dump", "--data", node.data]).stdout
    }

    /// Reads a node's database directly (only to look at its layout; the node is not running).
    static func inspect<T>(_ node: Node, _ read: (Database) throws -> T) throws -> T {
        let queue = try DatabaseQueue(path: node.directory.appendingPathComponent("sst.sqlite").path)
        return try queue.read(read)
    }

    /// Every table's schema and rows, as text: what a database holds, whatever SQLite did to its pages.
    static func contents(_ node: Node) throws -> [String] {
        try inspect(node) { db in
            let tables = try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master ORDER BY type, name")
            var contents = tables.map { "\($0["name"] as String): \($0["sql"] as String? ?? "")" }
            for table in tables.map({ $0["name"] as String }) where try db.tableExists(table) {
                contents += try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"").map { "\(table) \($0)" }
            }
            return contents
        }
    }

    /// The number of stamps the log holds, and the layout the database is in (see ``todaysLayout``).
    static func stamps(_ node: Node) throws -> (count: Int, layout: Int) {
        try inspect(node) { db in
            if try db.tableExists("sst_field") {
                return (try Int.fetchOne(db, sql: "SELECT count(*) FROM sst_field") ?? -1, 1)
            }
            if try db.columns(in: "sst_log").contains(where: { $0.name == "field" }) {
                return (try Int.fetchOne(db, sql: "SELECT count(*) FROM sst_log") ?? -1, 2)
            }
            return (try Int.fetchOne(db, sql: "SELECT sum(width) FROM sst_log") ?? -1, 3)
        }
    }

    /// The values a node holds as received from the school side, in either layout.
    static func receivedFromSchool(_ node: Node) throws -> Int {
        try inspect(node) { db in
            if try db.tableExists("sst_field") {
                return try Int.fetchOne(db, sql: "SELECT count(*) FROM sst_field WHERE source_side = 'school'") ?? -1
            }
            let counts = try String.fetchAll(db, sql: "SELECT DISTINCT entity FROM sst_log").map {
                "SELECT count(*) AS n FROM \"\($0)\" r, json_each(r._stamps) s WHERE s.value ->> 3 = 'school'"
            }
            return try Int.fetchOne(db, sql: "SELECT sum(n) FROM (\(counts.joined(separator: " UNION ALL ")))") ?? -1
        }
    }

    @Test(.timeLimit(.minutes(10)), arguments: [Fixture.layout1, .layout2])
    func aSchoolAndAHubOfAnEarlierLayoutMigrateDumpTheSameBackUpAndSync(_ fixture: Fixture) throws {
        try withScratchDirectory { scratch in
            let school = try Self.fixtureNode("school", id: "ekbacken-1", in: scratch, from: fixture)
            let hub = try Self.fixtureNode("hub", id: "hub-1", in: scratch, from: fixture)
            let stampsBefore = [try Self.stamps(school), try Self.stamps(hub)]
            #expect(stampsBefore.allSatisfy { $0.layout == fixture.layout })
            let receivedBefore = try Self.receivedFromSchool(hub)
            #expect(receivedBefore > 100)

            // Opening migrates; the state is the same, byte for byte, and every stamp has its log row.
            for (node, name, before) in [(school, "school", stampsBefore[0]), (hub, "hub", stampsBefore[1])] {
                let expected = try Data(contentsOf: fixture.directory.appendingPathComponent("\(name).dump"))
                let dumped = try Self.dump(node)
                #expect(dumped == expected, "the \(name)'s dump changed in the migration")
                let after = try Self.stamps(node)
                #expect(after == (before.count, Self.todaysLayout), "\(name): \(before) → \(after)")
            }
            // Every change since 0, exported for the node's own side: the same stamps, contexts and log order.
            for (node, name, side) in [(school, "school", "school"), (hub, "hub", "social")] {
                let file = scratch.appendingPathComponent("\(name).changes.json")
                try node.sst(["changes", "export", "--data", node.data, "--out", file.path, "--for", side])
                let expected = try Data(contentsOf: fixture.directory.appendingPathComponent("\(name).changes.json"))
                #expect(try Data(contentsOf: file) == expected, "the \(name)'s log changed in the migration")
            }
            // The hub still knows which values it received from the school side (the consent sweep needs it).
            #expect(try Self.receivedFromSchool(hub) == receivedBefore)

            // The clock, the sequence and the cursors are kept, as the fixture's status-school.txt shows them.
            let status = try school.status()
            #expect(status.sequence == fixture.sequence && status.conflicts == 1)
            #expect(status.peers == fixture.peers)

            // A backup taken after the migration is a data directory of the new layout with the same state.
            let backup = Node(id: school.id, directory: scratch.appendingPathComponent("school-backup"))
            try sst(["backup", "--data", school.data, "--out", backup.data])
            #expect(try Self.dump(backup) == (try Self.dump(school)))

            // The migrated nodes sync: a report of concern for a new pupil crosses to the hub (legal duty).
            let district = try LoopbackDistrict.issue(hub: hub, school: school, in: scratch)
            let (server, port) = try district.serve(hub)
            defer { server.terminate() }
            let (pupil, absence) = (newRecordID(), newRecordID())
            try school.set("pupil", pupil, ["given_name=Nya", "family_name=Testsson", "grade=8"])
            try school.set("absence", absence, ["pupil_id=\(pupil)", "unexcused_minutes=600"])
            try school.set("concern_report", newRecordID(), ["pupil_id=\(pupil)", "concern=Frånvaro sedan oktober."])
            let synced = try school.sst(district.syncArguments(school, port: port))
            #expect(synced.out.contains("Pushed"), "\(synced)")
            server.terminate()
            _ = try server.wait()
            #expect(try hub.get("pupil", pupil)["given_name"]?.value == .string("Nya"))
            #expect(try hub.get("pupil", pupil)["grade"]?.value == .integer(8))
            // The absence needs a consent the pupil has none of: it stays at the school.
            let absent = try SST.run(["record", "get", "--data", hub.data, "--entity", "absence", "--id", absence])
            expectRefusal(absent, mentions: ["no absence"])
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func aDataDirectoryMigratedByANewerReleaseIsRefusedUntouched() throws {
        try withScratchDirectory { scratch in
            let school = try Self.fixtureNode("school", id: "ekbacken-1", in: scratch)
            try school.sst(["status", "--data", school.data])
            // A later release's migration, as it would record itself.
            let queue = try DatabaseQueue(path: school.directory.appendingPathComponent("sst.sqlite").path)
            try queue.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('from-a-later-release-1')")
            }
            try queue.close()
            let before = try Self.contents(school)
            for command in [
                ["status"], ["dump"], ["record", "set", "--entity", "pupil", "--id", newRecordID(), "grade=7"],
            ] {
                let result = try SST.run(command + ["--data", school.data])
                expectRefusal(result, mentions: ["newer release", "Upgrading a node"])
            }
            #expect(try Self.contents(school) == before)
        }
    }

    /// A school database of the earlier layout made `copies` times bigger with SQL in that layout: every
    /// record and its `sst_field` rows again under new ids (the first eight hex digits replaced) and new
    /// sequence numbers, so that the migration takes long enough to be killed in the middle.
    static func grownFixture(in scratch: URL, copies: Int) throws -> Node {
        let node = try fixtureNode("school", id: "ekbacken-1", in: scratch)
        let queue = try DatabaseQueue(path: node.directory.appendingPathComponent("sst.sqlite").path)
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE TEMP TABLE copy (n INTEGER PRIMARY KEY);
                    WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < ?)
                    INSERT INTO copy SELECT n FROM k;
                    """,
                arguments: [copies]
            )
            let newID = "printf('%08x', copy.n) || substr(%@, 9)"
            let entities = try String.fetchAll(db, sql: "SELECT DISTINCT entity FROM sst_field")
            for entity in entities {
                let columns = try db.columns(in: entity).map(\.name).filter { $0 != "id" }
                let quoted = columns.map { "\"\($0)\"" }.joined(separator: ", ")
                try db.execute(
                    sql: "INSERT INTO \"\(entity)\" (id, \(quoted)) SELECT "
                        + newID.replacingOccurrences(of: "%@", with: "id") + ", \(quoted) FROM \"\(entity)\", copy"
                )
            }
            let top = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM sst_field") ?? 0
            try db.execute(
                sql: """
                    INSERT INTO sst_field (entity, record_id, field, hlc, node, context, seq, source_side)
                    SELECT entity, \(newID.replacingOccurrences(of: "%@", with: "record_id")), field, hlc, node, context,
                        seq + copy.n * ?, source_side FROM sst_field, copy
                    """,
                arguments: [top]
            )
            try db.execute(sql: "UPDATE sst_state SET last_seq = (SELECT max(seq) FROM sst_field)")
        }
        try queue.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        return node
    }

    @Test(.timeLimit(.minutes(10)))
    func aKillDuringTheMigrationLeavesTheEarlierLayoutUsable() throws {
        try withScratchDirectory { scratch in
            let pristine = try Self.grownFixture(in: scratch.appendingPathComponent("pristine"), copies: 800)
            let stampsBefore = try Self.stamps(pristine)
            #expect(stampsBefore.layout == 1 && stampsBefore.count > 100_000)

            // A complete migration, and how long opening takes with it.
            let complete = try pristine.copy(to: scratch, as: "complete")
            let started = Date()
            try complete.sst(["status", "--data", complete.data])
            let duration = Date().timeIntervalSince(started)
            let after = try Self.dump(complete)
            #expect(try Self.stamps(complete) == (stampsBefore.count, Self.todaysLayout))

            let delays = [0.02] + [0.2, 0.35, 0.5, 0.65, 0.8, 0.95].map { $0 * duration }
            var outcomes: [String] = []
            var killedMidMigration = 0
            for (number, delay) in delays.enumerated() {
                let victim = try pristine.copy(to: scratch, as: "victim-\(number)")
                let run = try SSTRun(["status", "--data", victim.data])
                usleep(UInt32(delay * 1_000_000))
                run.killNow()
                let result = try run.wait()
                let walGrowth = victim.walSize
                let state = try Self.stamps(victim)
                if state.layout < Self.todaysLayout {
                    // An earlier layout, whole (the first, or the second when the kill fell between the two
                    // migrations or in the second): every stamp, and a database SQLite finds sound.
                    #expect(state.count == stampsBefore.count, "a kill after \(delay) s lost stamps")
                    let check = try Self.inspect(victim) { db in try String.fetchAll(db, sql: "PRAGMA integrity_check")
                    }
                    #expect(check == ["ok"], "a kill after \(delay) s: \(check)")
                    if result.killedBySignal && walGrowth > 0 { killedMidMigration += 1 }
                } else {
                    #expect(state.count == stampsBefore.count)
                }
                let ending = result.killedBySignal ? "killed" : "finished"
                let layout = state.layout < Self.todaysLayout ? "layout \(state.layout)" : "migrated"
                outcomes.append("\(Int(delay * 1000)) ms: \(ending) → \(layout) (WAL \(walGrowth) bytes)")
                // The next open migrates to the same state as an uninterrupted one.
                #expect(try Self.dump(victim) == after, "after a kill at \(delay) s the migration did not complete")
            }
            print(
                "aKillDuringTheMigrationLeavesTheEarlierLayoutUsable: \(stampsBefore.count) stamps, a full open "
                    + "\(Int(duration * 1000)) ms; " + outcomes.joined(separator: "; ")
            )
            #expect(killedMidMigration >= 1, "no kill landed while the migration was writing: \(outcomes)")
        }
    }
}
