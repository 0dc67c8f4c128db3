import GRDB
import SSTCore
import SSTPrivacy

/// Witnessed audit heads (issue 23, item 4): at each handshake each side records the other's audit-chain head
/// (length and hash), and checks its own trail against what the other witnessed of it.
///
/// The hash chain shows an edited, removed or reordered entry, but not entries cut off the end: a database
/// restored from a backup verifies. A peer that saw a longer trail (or another entry at that length) knows, and
/// a restore does not take that knowledge away: a restored node's own witness table goes back with it, but the
/// hub's witness of the node comes in the handshake's answer, and a restored hub hears what its schools witnessed
/// in their handshakes. What is found is kept (`sst_audit_gap`) and `sst audit verify` reports it.
extension StoreMigrations {
    /// `audit-witness-1`: the latest (longest) head this side witnessed of each peer (`sst_audit_witness`), and
    /// each head a peer witnessed that this side's trail ends before or differs at (`sst_audit_gap`).
    static func registerAuditWitness(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("audit-witness-1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE sst_audit_witness (
                        peer TEXT PRIMARY KEY NOT NULL,
                        length INTEGER NOT NULL CHECK (length >= 0),
                        hash TEXT NOT NULL,
                        at_ms INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE sst_audit_gap (
                        witness TEXT NOT NULL,
                        length INTEGER NOT NULL,
                        hash TEXT NOT NULL,
                        witnessed_at_ms INTEGER NOT NULL,
                        intact_up_to INTEGER NOT NULL,
                        trail_length INTEGER NOT NULL,
                        found_at_ms INTEGER NOT NULL,
                        PRIMARY KEY (witness, length, hash)
                    ) WITHOUT ROWID;
                    """
            )
        }
    }
}

/// The head of an audit trail: how many entries it holds and the hash of the last (``AuditChain/genesis`` for
/// none).
public struct AuditHead: Hashable, Sendable {
    public let length: Int64
    public let hash: String

    public init(length: Int64, hash: String) {
        self.length = length
        self.hash = hash
    }
}

/// A head one side witnessed of another's trail, and when (the witnessing side's clock, ms since the epoch).
public struct WitnessedAuditHead: Hashable, Sendable {
    public let head: AuditHead
    public let atMilliseconds: UInt64

    public init(head: AuditHead, atMilliseconds: UInt64) {
        self.head = head
        self.atMilliseconds = atMilliseconds
    }
}

/// This side's trail ends before, or differs at, a head a peer witnessed: the entries after ``intactUpTo`` that
/// the peer saw are missing here (a restore from a backup, or entries cut off).
public struct AuditGap: Hashable, Sendable {
    /// The peer that witnessed the longer trail.
    public let witness: String
    /// What it witnessed, and when.
    public let witnessed: WitnessedAuditHead
    /// The entries of this trail recorded before the peer witnessed it (at most as many as it saw): those after
    /// them are missing. Found by time, as the chain cannot say where two trails parted.
    public let intactUpTo: Int64
    /// How many entries this trail held when the gap was found.
    public let trailLength: Int64
    public let foundAtMilliseconds: UInt64

    /// "entries after N are missing (witnessed by NODE at TIME)", with what the peer saw.
    public var message: String {
        "entries after \(intactUpTo) are missing (witnessed by \(witness) at "
            + "\(InstantText.iso8601(millisecondsSinceEpoch: witnessed.atMilliseconds))): \(witness) saw "
            + "\(witnessed.head.length) entries with head hash \(witnessed.head.hash); this trail held "
            + "\(trailLength) when it was compared"
    }
}

/// What one side's part of the exchange returns: what it had witnessed of the peer before, and its own head.
public struct AuditHeadExchange: Hashable, Sendable {
    public let previouslyWitnessed: WitnessedAuditHead?
    public let ownHead: AuditHead
    /// A gap found in this side's trail by the peer's witness, or nil.
    public let gap: AuditGap?
    /// The gap was not known before this exchange.
    public let gapIsNew: Bool
}

extension Store {
    /// This side's audit head.
    public func auditHead() throws -> AuditHead {
        try writer.read { db in try Self.auditHead(db) }
    }

    /// What this side witnessed of `peer`'s trail (the longest head), or nil.
    public func witnessedAuditHead(of peer: NodeID) throws -> WitnessedAuditHead? {
        try writer.read { db in try Self.witnessed(peer.rawValue, db) }
    }

    /// The gaps found so far, oldest first.
    public func auditGaps() throws -> [AuditGap] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sst_audit_gap ORDER BY found_at_ms, witness, length").map { row in
                AuditGap(
                    witness: row["witness"],
                    witnessed: WitnessedAuditHead(
                        head: AuditHead(length: row["length"], hash: row["hash"]),
                        atMilliseconds: UInt64(max(0, row["witnessed_at_ms"] as Int64))
                    ),
                    intactUpTo: row["intact_up_to"],
                    trailLength: row["trail_length"],
                    foundAtMilliseconds: UInt64(max(0, row["found_at_ms"] as Int64))
                )
            }
        }
    }

    /// This side's part of a handshake's exchange: checks `witnessOfMine` (what `peer` witnessed of this trail)
    /// and keeps a gap it shows; records `theirHead` as witnessed of `peer` now, unless a longer head was witnessed
    /// before (a trail never shrinks: the longer one is the evidence) or it is the head already kept; returns what
    /// was witnessed of `peer` before and this side's head. Nothing here stops a sync: a gap is reported.
    ///
    /// It reads; it writes only a new gap, and a new head. With `deferringWitness` (the hub) the head is written
    /// after this returns, queued behind the writer: a handshake never waits for another node's apply to finish
    /// (the push gate's promise), and a head lost to a crash is only older evidence.
    @discardableResult
    public func exchangeAuditHeads(
        with peer: NodeID,
        theirHead: AuditHead?,
        witnessOfMine: WitnessedAuditHead?,
        at now: UInt64,
        deferringWitness: Bool = false
    ) throws -> AuditHeadExchange {
        let name = peer.rawValue
        let (own, previous, gap, isNew) = try writer.read { db in
            let own = try Self.auditHead(db)
            let gap = try witnessOfMine.flatMap { try Self.gap(in: own, witnessed: $0, by: name, at: now, db) }
            return (own, try Self.witnessed(name, db), gap, try gap.map { try !Self.isKept($0, db) } ?? false)
        }
        let head = theirHead.flatMap { head in
            head.length >= previous?.head.length ?? 0 && head != previous?.head ? head : nil
        }
        let update: @Sendable (Database) throws -> Void = { db in
            if isNew, let gap { try Self.keep(gap, db) }
            if let head { try Self.witness(head, of: name, at: now, db) }
        }
        if isNew || (head != nil && !deferringWitness) {
            try writer.write(update)
        } else if head != nil {
            writer.asyncWrite(update) { _, _ in }
        }
        return AuditHeadExchange(previouslyWitnessed: previous, ownHead: own, gap: gap, gapIsNew: isNew)
    }

    static func auditHead(_ db: Database) throws -> AuditHead {
        let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM sst_audit ORDER BY seq DESC LIMIT 1")
        return AuditHead(length: row?["seq"] ?? 0, hash: row?["hash"] ?? AuditChain.genesis)
    }

    private static func witnessed(_ peer: String, _ db: Database) throws -> WitnessedAuditHead? {
        try Row.fetchOne(db, sql: "SELECT length, hash, at_ms FROM sst_audit_witness WHERE peer = ?", arguments: [peer])
            .map { row in
                WitnessedAuditHead(
                    head: AuditHead(length: row["length"], hash: row["hash"]),
                    atMilliseconds: UInt64(max(0, row["at_ms"] as Int64))
                )
            }
    }

    /// The gap `witnessed` shows in this trail (whose head is `own`); nil when the trail holds the witnessed
    /// entry. A read.
    private static func gap(
        in own: AuditHead,
        witnessed: WitnessedAuditHead,
        by witness: String,
        at now: UInt64,
        _ db: Database
    ) throws -> AuditGap? {
        let length = witnessed.head.length
        guard length > 0 else { return nil }
        if length <= own.length {
            let hash = try String.fetchOne(db, sql: "SELECT hash FROM sst_audit WHERE seq = ?", arguments: [length])
            if hash == witnessed.head.hash { return nil }
        }
        // Entries recorded before the peer witnessed the trail were in it then; those after (appended since the
        // restore) were not.
        let cap = min(own.length, length - 1)
        let intact =
            try Int64.fetchOne(
                db,
                sql: "SELECT MAX(seq) FROM sst_audit WHERE seq <= ? AND at_ms <= ?",
                arguments: [cap, Int64(clamping: witnessed.atMilliseconds)]
            ) ?? 0
        return AuditGap(
            witness: witness,
            witnessed: witnessed,
            intactUpTo: intact,
            trailLength: own.length,
            foundAtMilliseconds: now
        )
    }

    /// Whether the gap is kept already (found at an earlier handshake).
    private static func isKept(_ gap: AuditGap, _ db: Database) throws -> Bool {
        try Bool.fetchOne(
            db,
            sql: "SELECT EXISTS (SELECT 1 FROM sst_audit_gap WHERE witness = ? AND length = ? AND hash = ?)",
            arguments: [gap.witness, gap.witnessed.head.length, gap.witnessed.head.hash]
        ) ?? false
    }

    private static func keep(_ gap: AuditGap, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO sst_audit_gap
                    (witness, length, hash, witnessed_at_ms, intact_up_to, trail_length, found_at_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                gap.witness, gap.witnessed.head.length, gap.witnessed.head.hash,
                Int64(clamping: gap.witnessed.atMilliseconds), gap.intactUpTo, gap.trailLength,
                Int64(clamping: gap.foundAtMilliseconds),
            ]
        )
    }

    /// Keeps `head` as witnessed of `peer` at `now`, unless a longer head is kept already.
    private static func witness(_ head: AuditHead, of peer: String, at now: UInt64, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO sst_audit_witness (peer, length, hash, at_ms) VALUES (?, ?, ?, ?)
                    ON CONFLICT (peer) DO UPDATE SET length = excluded.length, hash = excluded.hash,
                        at_ms = excluded.at_ms
                    WHERE excluded.length >= sst_audit_witness.length
                """,
            arguments: [peer, head.length, head.hash, Int64(clamping: now)]
        )
    }
}
