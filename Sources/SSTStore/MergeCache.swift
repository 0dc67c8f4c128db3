import GRDB
import SSTCore

/// What a ``MergeSession`` keeps between calls: its prepared statements, and a snapshot of the record it
/// works on, so that a change set touching a record's fields one after the other reads the record once.
///
/// The snapshot is valid only while the database has not changed behind it: it remembers SQLite's total
/// change count after the session's own last read or write, and any other statement that changes a row
/// (SQL run directly on the session's `db`, for instance) moves that count and drops the snapshot.
/// Rolling back a savepoint does not move the count: a session must not keep working after rolling back
/// its own writes (the store rolls back only whole transactions, which end the session).
final class MergeCache {
    /// The statements the session runs, each prepared once per session from GRDB's statement cache.
    enum Query: Hashable {
        case stamps(entity: String)
        case stampsText(entity: String)
        case conflicts
        case stampUpdate(entity: String)
        case logInsert
        case fieldConflictsDelete
        case conflictInsert
        case recordConflictsDelete
        case row(entity: String)
        case valueUpsert(entity: String, field: String)
        case recordUpsert(entity: String, columns: [String])
        case erase(entity: String)
    }

    private var statements: [Query: RawStatement] = [:]
    private var unlogStatements: StampLayout.UnlogStatements?
    private var snapshot: RecordSnapshot?
    private var validAt = 0

    /// The prepared statement for `query`; `sql` is built only the first time.
    func statement(_ query: Query, _ db: Database, sql: () -> String) throws -> RawStatement {
        if let statement = statements[query] { return statement }
        let statement = try RawStatement(db, sql: sql())
        statements[query] = statement
        return statement
    }

    /// The statements that take fields out of the log, prepared the first time.
    func unlog(_ db: Database) throws -> StampLayout.UnlogStatements {
        if let unlogStatements { return unlogStatements }
        let prepared = try StampLayout.UnlogStatements(db)
        unlogStatements = prepared
        return prepared
    }

    /// The snapshot of the record, when it is the one held and nothing else has written since.
    func snapshot(entity: String, record: RecordID, _ db: Database) -> RecordSnapshot? {
        guard let snapshot, snapshot.record == record, snapshot.entity == entity,
            validAt == RawStatement.totalChanges(db)
        else { return nil }
        return snapshot
    }

    /// The snapshot held, whether or not the database has changed since.
    var held: RecordSnapshot? { snapshot }

    /// Holds `snapshot` as matching the database as it is now.
    func hold(_ snapshot: RecordSnapshot, _ db: Database) {
        self.snapshot = snapshot
        validAt = RawStatement.totalChanges(db)
    }

    /// Records that the held snapshot still matches the database after the session's own write.
    func confirm(_ db: Database) {
        validAt = RawStatement.totalChanges(db)
    }
}
