import Foundation
import GRDB
import SSTCore
import SSTPrivacy

/// One entry read back from the audit trail.
public struct AuditRecord: Hashable, Sendable {
    public let sequence: Int64
    public let entry: AuditEntry
    public let hash: String
}

/// The result of checking the audit trail's hash chain.
public struct AuditVerification: Hashable, Sendable {
    public let entries: Int
    /// The hash of the last entry: keep it elsewhere to detect entries cut off the end later.
    public let headHash: String
    /// Each break in the chain, naming the entry; empty when the chain is intact.
    public let problems: [String]
    /// Heads a peer witnessed that this trail ends before or differs at (entries cut off the end, which the chain
    /// itself cannot show): empty when no peer saw more.
    public let missing: [AuditGap]

    /// Neither a break in the chain nor entries missing that a peer witnessed.
    public var isIntact: Bool { problems.isEmpty && missing.isEmpty }
}

extension Store {
    /// Audit entries, oldest first, optionally only for one pupil and a period (physical time in ms).
    public func auditEntries(pupil: RecordID? = nil, from: UInt64? = nil, until: UInt64? = nil) throws -> [AuditRecord]
    {
        try writer.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT seq, entry, hash FROM sst_audit WHERE at_ms >= ? AND at_ms <= ? ORDER BY seq",
                arguments: [Int64(from ?? 0), Int64(clamping: until ?? UInt64(Int64.max))]
            )
            return try rows.compactMap { row -> AuditRecord? in
                let json = try JSONDecoder().decode(CanonicalJSON.self, from: Data((row["entry"] as String).utf8))
                guard let entry = AuditEntry(json: json) else { return nil }
                if let pupil, entry.pupil != pupil { return nil }
                return AuditRecord(sequence: row["seq"], entry: entry, hash: row["hash"])
            }
        }
    }

    /// Recomputes the hash chain over the whole trail and reports every edited, removed or reordered entry, and
    /// the entries cut off the end that a peer witnessed (``auditGaps()``).
    public func verifyAudit() throws -> AuditVerification {
        let missing = try auditGaps()
        return try writer.read { db in
            let entries = try Row.fetchAll(
                db,
                sql: "SELECT seq, entry, previous_hash, hash FROM sst_audit ORDER BY seq"
            )
            .map { row in
                AuditChain.StoredEntry(
                    sequence: row["seq"],
                    text: row["entry"],
                    previousHash: row["previous_hash"],
                    hash: row["hash"]
                )
            }
            return AuditVerification(
                entries: entries.count,
                headHash: entries.last?.hash ?? AuditChain.genesis,
                problems: AuditChain.verify(entries),
                missing: missing
            )
        }
    }

    /// Appends an entry to the hash-chained trail, in the caller's transaction.
    package static func appendAudit(_ entry: AuditEntry, _ db: Database) throws {
        try appendAudit([entry], db)
    }

    /// Appends entries, in order, to the hash-chained trail, in the caller's transaction: the chain's head is
    /// read once and each entry links to the one before it.
    package static func appendAudit(_ entries: [AuditEntry], _ db: Database) throws {
        try appendAudit(rendered: entries.map(RenderedAuditEntry.init), db)
    }

    /// Appends entries whose text was written beforehand (off the writer), as the list above.
    static func appendAudit(rendered entries: [RenderedAuditEntry], _ db: Database) throws {
        guard !entries.isEmpty else { return }
        let head = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT seq, hash FROM sst_audit ORDER BY seq DESC LIMIT 1")
        )
        var sequence: Int64 = head?["seq"] ?? 0
        var previous: String = head?["hash"] ?? AuditChain.genesis
        let insert = try db.cachedStatement(
            sql: "INSERT INTO sst_audit (seq, at_ms, kind, entry, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?)"
        )
        for (entry, text) in entries.map({ ($0.entry, $0.text) }) {
            sequence += 1
            let hash = AuditChain.hash(sequence: sequence, text: text, previousHash: previous)
            try insert.execute(arguments: [
                sequence, Int64(entry.atMilliseconds), entry.kind.rawValue, text, previous, hash,
            ])
            previous = hash
        }
    }

    /// Audits changes that crossed: one entry per pupil and basis, listing the fields.
    static func auditCrossings(
        _ allowed: [FilterResult.Allowed],
        kind: AuditEntry.Kind,
        direction: Direction,
        peer: String,
        at: UInt64,
        detail: String,
        _ db: Database
    ) throws {
        try appendAudit(
            crossingEntries(allowed, kind: kind, direction: direction, peer: peer, at: at, detail: detail),
            db
        )
    }

    /// The audit entries for changes that crossed, one per pupil and basis, listing the fields, in the order
    /// they are appended.
    static func crossingEntries(
        _ allowed: [FilterResult.Allowed],
        kind: AuditEntry.Kind,
        direction: Direction,
        peer: String,
        at: UInt64,
        detail: String
    ) -> [AuditEntry] {
        struct Group: Hashable {
            let pupil: RecordID?
            let grant: PrivacyFilter.Grant
        }
        struct Field: Hashable {
            let entity: String
            let field: String
        }
        var groups: [Group: Set<Field>] = [:]
        // A set lists a pupil's changes together: gather each run of one group before looking the group up.
        var runGroup: Group?
        var runFields: Set<Field> = []
        for item in allowed {
            let group = Group(pupil: item.pupil, grant: item.grant)
            if group != runGroup {
                if let runGroup { groups[runGroup, default: []].formUnion(runFields) }
                runGroup = group
                runFields.removeAll(keepingCapacity: true)
            }
            runFields.insert(Field(entity: item.change.entity, field: item.change.field))
        }
        if let runGroup { groups[runGroup, default: []].formUnion(runFields) }
        let keyed = groups.map { group, fields in
            (
                key: "\(group.pupil?.rawValue ?? "-") \(group.grant)", pupil: group.pupil, basis: group.grant,
                fields: fields
            )
        }
        return keyed.sorted { $0.key < $1.key }.map { group in
            AuditEntry(
                kind: kind,
                atMilliseconds: at,
                direction: direction,
                peer: peer,
                pupil: group.pupil,
                fields: group.fields.map { "\($0.entity).\($0.field)" },
                basis: group.basis.description,
                detail: detail
            )
        }
    }
}

/// An audit entry with the text that is stored and hashed, written ahead of the transaction that appends it.
struct RenderedAuditEntry: Equatable, Sendable {
    let entry: AuditEntry
    let text: String

    init(_ entry: AuditEntry) {
        self.entry = entry
        text = entry.text
    }
}
