import Foundation
import GRDB
import SSTCore
import SSTPrivacy

/// A node's durable local store: one SQLite database (WAL) holding the entity tables, each field's
/// stamp, the conflicts, the hybrid logical clock and the peers' cursors.
///
/// Every write goes through a transaction that keeps the invariants: the clock never goes backwards,
/// every change gets a local sequence number, a change set is applied whole or not at all.
public struct Store: Sendable {
    /// The database file's name inside a node's data directory.
    public static let fileName = "sst.sqlite"

    /// The policy file's name inside a node's data directory; without it the default policy applies.
    public static let policyFileName = "policy.json"

    public let schema: Schema
    /// The privacy policy this node enforces at the boundary.
    public let policy: Policy
    /// The policy's filter, worked out once for the store's schema.
    let privacyFilter: PrivacyFilter
    package let writer: any DatabaseWriter
    package let physicalClock: any PhysicalClock
    /// When the store last found no consent waiting to come into force, shared by copies of the store.
    let consentsChecked = ConsentsChecked()
    /// The checkpointer ``withBackgroundCheckpoints(_:)`` runs, while it runs.
    let activeCheckpointer = ActiveCheckpointer()

    /// The longest work of the background checkpointer running on this store's writer, if one runs.
    package var checkpointTimings: CheckpointTimings? {
        activeCheckpointer.checkpointer?.longest
    }

    /// Forgets the longest checkpoint work so far (see ``checkpointTimings``).
    package func resetCheckpointTimings() {
        activeCheckpointer.checkpointer?.resetTimings()
    }

    init(writer: any DatabaseWriter, schema: Schema, policy: Policy, physicalClock: any PhysicalClock) throws {
        self.writer = writer
        self.schema = schema
        self.policy = policy
        self.privacyFilter = PrivacyFilter(policy: policy, schema: schema)
        self.physicalClock = physicalClock
        let migrator = StoreMigrations.migrator(for: schema)
        // A data directory a newer release has migrated holds a layout this release cannot read.
        if try writer.read({ db in try migrator.hasBeenSuperseded(db) }) {
            throw StoreError(
                .invalidValue,
                "this data directory was migrated by a newer release of sst (its database has migrations this "
                    + "release does not know); this release cannot read it",
                remedy: "Run the release that migrated it, or restore the backup taken before the upgrade "
                    + "(docs/operations.md, \"Upgrading a node\")."
            )
        }
        try migrator.migrate(writer)
    }

    /// The policy for a database at `path`: `policy.json` beside it when present, else the default.
    static func policy(besideDatabaseAt path: String, schema: Schema) throws -> Policy {
        let file = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(policyFileName)
        guard FileManager.default.fileExists(atPath: file.path) else { return .default }
        return try PolicyLoader.load(try Data(contentsOf: file), schema: schema)
    }

    /// Creates a new node database at `path`; refuses if one is already there. The database file is created with
    /// mode 0600 (SQLite gives its `-wal` and `-shm` files the same) and the directory holding it is made 0700
    /// (``PrivateFiles``), as ``open(at:schema:physicalClock:)`` does for a node made by an older version.
    public static func create(
        at path: String,
        identity: NodeIdentity,
        maxClockOffsetMilliseconds: UInt64 = HybridLogicalClock.defaultMaxOffsetMilliseconds,
        schema: Schema = .sst,
        physicalClock: any PhysicalClock = SystemClock()
    ) throws -> Store {
        let policy = try policy(besideDatabaseAt: path, schema: schema)
        if FileManager.default.fileExists(atPath: path) {
            throw StoreError(
                .alreadyInitialized,
                "\(path) already holds a node database",
                remedy: "Use another --data directory, or keep working with this node."
            )
        }
        try PrivateFiles.restrictDataDirectory(ofDatabaseAt: path)
        try PrivateFiles.prepareDatabaseFile(path)
        let store = try Store(
            writer: DatabasePool(path: path, configuration: configuration()),
            schema: schema,
            policy: policy,
            physicalClock: physicalClock
        )
        try store.initialize(identity: identity, maxClockOffsetMilliseconds: maxClockOffsetMilliseconds)
        return store
    }

    /// Opens the node database at `path`, created earlier by ``create(at:identity:maxClockOffsetMilliseconds:schema:physicalClock:)``.
    public static func open(
        at path: String,
        schema: Schema = .sst,
        physicalClock: any PhysicalClock = SystemClock()
    ) throws -> Store {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(
                .notInitialized,
                "there is no node database at \(path)",
                remedy: "Run `sst init` first, or check the --data directory."
            )
        }
        try PrivateFiles.restrictDataDirectory(ofDatabaseAt: path)
        try PrivateFiles.prepareDatabaseFile(path)
        let store = try Store(
            writer: DatabasePool(path: path, configuration: configuration()),
            schema: schema,
            policy: try policy(besideDatabaseAt: path, schema: schema),
            physicalClock: physicalClock
        )
        _ = try store.identity()
        return store
    }

    /// A store in memory (real SQLite, no file), for tests and tools that need many replicas.
    public static func inMemory(
        identity: NodeIdentity,
        maxClockOffsetMilliseconds: UInt64 = HybridLogicalClock.defaultMaxOffsetMilliseconds,
        schema: Schema = .sst,
        policy: Policy = .default,
        physicalClock: any PhysicalClock = SystemClock()
    ) throws -> Store {
        let store = try Store(
            writer: DatabaseQueue(configuration: configuration()),
            schema: schema,
            policy: policy,
            physicalClock: physicalClock
        )
        try store.initialize(identity: identity, maxClockOffsetMilliseconds: maxClockOffsetMilliseconds)
        return store
    }

    private static func configuration() -> Configuration {
        var configuration = Configuration()
        // A connection that finds a lock taken (a write behind the checkpointer's RESTART, the erasure's TRUNCATE
        // behind a reader) tries again every half millisecond for up to 10 s. SQLite's own timeout sleeps 1, 2, 5,
        // 10, 15, 20, 25 … ms between tries, so a hold of 30 ms could cost a push more than 50.
        configuration.busyMode = .callback { tries in
            usleep(Self.busyPollMicroseconds)
            return tries < Self.busyPolls
        }
        configuration.prepareDatabase { db in
            // Deleted and purged values are overwritten with zeros, not left in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // After the log restarts, its first commit cuts the log file back to this size: a file that once grew
            // long (a hub's log while readers held it) is not left that long, and an erasure, which truncates it to
            // nothing while writes wait, has little to cut.
            try db.execute(sql: "PRAGMA journal_size_limit = \(Self.logFileLimitBytes)")
        }
        return configuration
    }

    private func initialize(identity: NodeIdentity, maxClockOffsetMilliseconds: UInt64) throws {
        try writer.write { db in
            try db.execute(
                sql: "INSERT INTO sst_node (singleton, node_id, role, school, stadsdel) VALUES (1, ?, ?, ?, ?)",
                arguments: [identity.node.rawValue, identity.role.rawValue, identity.school, identity.stadsdel]
            )
            try db.execute(
                sql: "INSERT INTO sst_state (singleton, last_hlc, last_seq, max_offset_ms) VALUES (1, 0, 0, ?)",
                arguments: [Int64(maxClockOffsetMilliseconds)]
            )
        }
    }

    /// This node's identity, as recorded by `sst init`.
    public func identity() throws -> NodeIdentity {
        try writer.read { db in try Self.identity(db) }
    }

    package static func identity(_ db: Database) throws -> NodeIdentity {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM sst_node"),
            let node = NodeID(row["node_id"]), let role = NodeIdentity.Role(rawValue: row["role"])
        else {
            throw StoreError(
                .notInitialized,
                "the database has no node identity",
                remedy: "Run `sst init` to set the node up."
            )
        }
        return NodeIdentity(node: node, role: role, school: row["school"], stadsdel: row["stadsdel"])
    }

    /// The node's hybrid logical clock as last persisted.
    public func clock() throws -> HybridLogicalClock {
        try writer.read { db in try ClockState.load(db).clock }
    }

    /// The highest local sequence number given to a change so far.
    public func lastSequence() throws -> Int64 {
        try writer.read { db in try ClockState.load(db).lastSequence }
    }

    /// Copies the write-ahead log into the database file and truncates the log, so that values a purge
    /// erased (overwritten with zeros by `secure_delete`) survive in neither file.
    ///
    /// While another connection checkpoints (a hub's ``BackgroundCheckpointer``), SQLite answers SQLITE_BUSY
    /// at once, without waiting as it does for readers and writers: the checkpoint is tried again, the writer
    /// released in between, for up to ``erasePatience`` seconds.
    func eraseFreedPages() throws {
        let deadline = Date().addingTimeInterval(Self.erasePatience)
        // With a background checkpointer, its thread copies the log, syncs the database file and truncates the
        // log between two writes: a write waits only for the truncation, not for the copy and the sync as it
        // does behind a TRUNCATE on the writer (92 ms at the end of B10's sweep). On the writer if it cannot.
        let checkpointer = activeCheckpointer.checkpointer
        if let checkpointer, checkpointer.truncateLog(until: deadline) { return }
        while true {
            do {
                try writer.writeWithoutTransaction { db in
                    let began = ContinuousClock.now
                    _ = try db.checkpoint(.truncate)
                    checkpointer?.noteErasure(began, ContinuousClock.now)
                }
                return
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.002)
            }
        }
    }

    /// The size a restarted log's file is cut back to (16 MiB).
    static let logFileLimitBytes = 16 * 1024 * 1024

    /// How often and how many times a connection tries again for a lock another one holds (10 s in all).
    static let busyPollMicroseconds: UInt32 = 500
    static let busyPolls = 20_000

    /// How long ``eraseFreedPages()`` tries again while another connection checkpoints.
    static let erasePatience: TimeInterval = 30

    /// Runs `body` in one write transaction with the clock and sequence loaded, and saves them after.
    ///
    /// Every value the body merges is marked with `sourceSide`: the side it was received from, or nil
    /// for this node's own writes (what the consent sweep may purge is what came from the other side).
    ///
    /// `afterwards` runs in the same transaction, after the body (giving a pupil's fields new sequence
    /// numbers so they are sent again, which keeps each value's source).
    package func withSession<T>(
        sourceSide: Side? = nil,
        _ body: (inout MergeSession) throws -> T,
        afterwards: ((inout MergeSession, T) throws -> Void)? = nil
    ) throws -> T {
        try writer.write { db in try session(db, sourceSide: sourceSide, body, afterwards: afterwards) }
    }

    /// As ``withSession(sourceSide:_:afterwards:)``, with `alongside` run meanwhile on a reader connection
    /// that sees the database as the last commit left it, before the transaction (SQLite's snapshot isolation
    /// in WAL mode; an in-memory store runs it first, on the writer's connection). The body may wait for it.
    ///
    /// `betweenSnapshotAndMerge` runs after the reader took its snapshot, before the transaction begins.
    func withSession<T, A: Sendable>(
        sourceSide: Side? = nil,
        alongside work: @escaping @Sendable (Database) throws -> A,
        betweenSnapshotAndMerge: (() throws -> Void)? = nil,
        _ body: (inout MergeSession, Alongside<A>) throws -> T,
        afterwards: ((inout MergeSession, T) throws -> Void)? = nil
    ) throws -> T {
        try writer.writeWithoutTransaction { db in
            let alongside = Alongside<A>()
            writer.spawnConcurrentRead { reader in alongside.finish(Result { try work(reader.get()) }) }
            try betweenSnapshotAndMerge?()
            var result: T?
            try db.inTransaction {
                result = try session(db, sourceSide: sourceSide, { try body(&$0, alongside) }, afterwards: afterwards)
                return .commit
            }
            return result!
        }
    }

    private func session<T>(
        _ db: Database,
        sourceSide: Side?,
        _ body: (inout MergeSession) throws -> T,
        afterwards: ((inout MergeSession, T) throws -> Void)?
    ) throws -> T {
        var session = try MergeSession(db: db, schema: schema, state: ClockState.load(db), sourceSide: sourceSide)
        let result = try body(&session)
        try afterwards?(&session, result)
        try session.state.save(db)
        return result
    }
}

/// The persisted clock, sequence counter and clock-offset setting.
struct ClockState {
    var clock: HybridLogicalClock
    var lastSequence: Int64
    /// The last sequence number when the state was loaded: a field numbered after it was written in this
    /// transaction.
    let loadedSequence: Int64

    static func load(_ db: Database) throws -> ClockState {
        guard let row = try Row.fetchOne(db, sql: "SELECT last_hlc, last_seq, max_offset_ms FROM sst_state") else {
            throw StoreError(.notInitialized, "the database has no clock state", remedy: "Run `sst init` first.")
        }
        let last = Timestamp(rawValue: UInt64(bitPattern: row["last_hlc"]))
        let offset = UInt64(max(0, row["max_offset_ms"] as Int64))
        return ClockState(
            clock: HybridLogicalClock(last: last, maxOffsetMilliseconds: offset),
            lastSequence: row["last_seq"],
            loadedSequence: row["last_seq"]
        )
    }

    func save(_ db: Database) throws {
        try db.execute(
            sql: "UPDATE sst_state SET last_hlc = ?, last_seq = ?",
            arguments: [Int64(bitPattern: clock.last.rawValue), lastSequence]
        )
    }

    mutating func nextSequence() -> Int64 {
        lastSequence += 1
        return lastSequence
    }
}
