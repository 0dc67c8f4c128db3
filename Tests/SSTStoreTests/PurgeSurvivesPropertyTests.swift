import Foundation
import SSTCore
import SSTStore
import SSTTestSupport
import Testing

/// Issue 23, item 2: a purge (*gallring*) can never be undone by a restore, a file import or a late change set.
/// Random histories (``PurgeHistory``) mix writes, purges, deletions, syncs, backups, restores from copies of
/// older backups and late imports of change-set files between one or two school nodes and their hub; then every
/// node syncs with every other. No node ever holds a value of a record it holds purged, and once everyone has
/// synced, every record any node holds purged is purged (or absent) everywhere, a deletion is a deletion
/// everywhere, and no text ever written to a purged record is left in any node's database file or its WAL.
@Suite struct PurgeSurvivesPropertyTests {
    @Test(.timeLimit(.minutes(15)))
    func noPurgedValueSurvivesBackupsRestoresAndLateFiles() async throws {
        let (failure, restores, purges) = try await onOwnThread { () -> (String?, Int, Int) in
            var restores = 0
            var purges = 0
            for index in 0..<PropertyRun.histories(default: 40) {
                let seed = PropertyRun.baseSeed &+ 3_000_000 &+ UInt64(index)
                do {
                    let outcome = try Self.checkHistory(seed: seed, steps: 80)
                    restores += outcome.restores
                    purges += outcome.purges
                } catch {
                    return (
                        "history with seed \(seed) failed (replay: SST_PROPERTY_SEED=\(seed - 3_000_000) "
                            + "SST_PROPERTY_HISTORIES=1): \(error)", restores, purges
                    )
                }
            }
            return (nil, restores, purges)
        }
        if let failure { Issue.record(Comment(rawValue: failure)) }
        // The histories must exercise what they claim to.
        #expect(restores > 0 && purges > 0, "restores \(restores), purged records \(purges)")
    }

    static func checkHistory(seed: UInt64, steps: Int) throws -> (restores: Int, purges: Int) {
        var history = try PurgeHistory(seed: seed)
        for step in 0..<steps {
            try history.step()
            try expectNoValueBesidePurge(history, after: "step \(step)")
        }
        try history.settle()
        try expectNoValueBesidePurge(history, after: "settling")
        let purged = try expectPurgesEverywhere(history)
        return (history.restores, purged)
    }

    /// A node that holds a record purged holds nothing else of it: no value, no concurrent value.
    static func expectNoValueBesidePurge(_ history: PurgeHistory, after moment: String) throws {
        for member in history.members {
            let conflicts = try member.store.conflicts()
            for record in history.written {
                guard let fields = try member.store.record(entity: record.entity, record: record.record),
                    fields[Schema.purgedField] != nil
                else { continue }
                guard fields.keys.sorted() == [Schema.purgedField],
                    !conflicts.contains(where: { $0.record == record.record })
                else {
                    throw HistoryFailure(
                        "after \(moment), \(member.node) holds \(record.entity) \(record.record) purged with "
                            + "\(fields.keys.sorted())"
                    )
                }
            }
        }
    }

    /// After everyone synced: every record purged anywhere is purged at every school node and absent or purged at
    /// the hub (a health note never reaches it), deletions likewise, and the texts of purged records are gone from
    /// every database file. Returns how many records were purged.
    static func expectPurgesEverywhere(_ history: PurgeHistory) throws -> Int {
        var purged: [PurgeHistory.Written] = []
        var deleted: [PurgeHistory.Written] = []
        for record in history.written {
            let states = try history.members.map { try $0.store.record(entity: record.entity, record: record.record) }
            if states.contains(where: { $0?[Schema.purgedField] != nil }) {
                purged.append(record)
            } else if states.contains(where: { $0?[Schema.deletedField]?.value == .boolean(true) }) {
                deleted.append(record)
            }
        }
        for member in history.members {
            let files = ["", "-wal"].compactMap { suffix -> Data? in
                FileManager.default.contents(atPath: member.path + suffix)
            }
            for record in purged {
                let fields = try member.store.record(entity: record.entity, record: record.record)
                let absentAllowed = member.role == .hub
                guard fields?[Schema.purgedField] != nil || (absentAllowed && fields == nil) else {
                    throw HistoryFailure(
                        "\(member.node) holds \(record.entity) \(record.record) unpurged after every node synced: "
                            + "\(fields?.keys.sorted() ?? [])"
                    )
                }
                for text in record.texts where files.contains(where: { $0.range(of: Data(text.utf8)) != nil }) {
                    throw HistoryFailure(
                        "\(text) of purged \(record.entity) \(record.record) is in \(member.node)'s file"
                    )
                }
            }
            for record in deleted {
                let fields = try member.store.record(entity: record.entity, record: record.record)
                guard fields?[Schema.deletedField]?.value == .boolean(true) || (member.role == .hub && fields == nil)
                else {
                    throw HistoryFailure(
                        "\(member.node) holds deleted \(record.entity) \(record.record) undeleted after every sync"
                    )
                }
            }
            if member.role == .hub,
                let note = history.written.first(where: {
                    $0.entity == "health_note"
                        && (try? member.store.record(entity: "health_note", record: $0.record)) != nil
                })
            {
                throw HistoryFailure("the hub holds health note \(note.record)")
            }
        }
        return purged.count
    }
}
