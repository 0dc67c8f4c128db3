import Foundation
import GRDB
import SSTCore
import SSTPrivacy

/// How the node's hybrid logical clock stands against its wall clock (`sst status`).
public struct ClockStatus: Hashable, Sendable {
    /// The persisted clock: the greatest stamp this node issued or observed.
    public let clock: Timestamp
    /// The wall clock, in milliseconds since the Unix epoch.
    public let wallClock: UInt64
    /// How far ahead of this node's wall clock a stamp may be (the store's setting, `sst init --max-clock-offset`).
    public let maxOffsetMilliseconds: UInt64

    /// How far the clock is ahead of the wall clock, in milliseconds (0 when it is not).
    public var aheadMilliseconds: UInt64 {
        clock.milliseconds > wallClock ? clock.milliseconds - wallClock : 0
    }

    /// Whether the clock is further ahead than the allowed offset: every write is stamped that far in the future,
    /// and the hub (or a node importing a file) refuses it until the wall clock catches up. `sst clock repair`
    /// sets it back.
    public var isAhead: Bool { aheadMilliseconds > maxOffsetMilliseconds }

    /// A span of milliseconds as the sync messages name clock offsets: `42 s`, `5 min`, `24 h`, `3 days`.
    public static func durationText(_ milliseconds: UInt64) -> String {
        let seconds = (milliseconds + 500) / 1000
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7200 { return "\((seconds + 30) / 60) min" }
        if seconds < 172_800 { return "\((seconds + 1800) / 3600) h" }
        return "\((seconds + 43200) / 86400) days"
    }
}

/// What ``Store/repairClock(acknowledged:hubClockOffset:)`` did.
public struct ClockRepairReport: Hashable, Sendable {
    /// One write re-stamped: every field value it wrote, which all carried the same stamp.
    public struct Restamp: Hashable, Sendable {
        public let previous: Timestamp
        public let stamp: Timestamp
        /// `entity/record.field` of each value, sorted.
        public let fields: [String]
    }

    /// The clock before and after.
    public let previousClock: Timestamp
    public let clock: Timestamp
    /// The wall clock the repair went by.
    public let wallClock: UInt64
    /// Every sequence number up to this one may have left the node (by sync or in a file): nothing up to it
    /// was re-stamped.
    public let sentUpTo: Int64
    /// The writes re-stamped, in their order (old stamps ascending, new ones likewise).
    public let restamped: [Restamp]
    /// The field values re-stamped (each under a new sequence number, so that the next sync sends it).
    public let values: Int
}

/// Why ``Store/repairClock(acknowledged:hubClockOffset:)`` refused; nothing was changed.
public struct ClockRepairError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        /// The clock is within the allowed offset of the wall clock: there is nothing to repair.
        public static let notAhead = Code(rawValue: "notAhead")
        /// The wall clock itself looks ahead of the hub's: repairing would stamp writes in the future again.
        public static let wallClockAhead = Code(rawValue: "wallClockAhead")
        /// A value stamped ahead has already left the node (or is another node's): it cannot be re-stamped.
        public static let alreadySent = Code(rawValue: "alreadySent")
        /// A hub does not know what the schools pulled from it.
        public static let hub = Code(rawValue: "hub")
        public var description: String { rawValue }
    }

    public let code: Code
    public let message: String
    public let remedy: String

    public var description: String { "\(message). \(remedy)" }
}

extension Store {
    /// The node's clock against its wall clock.
    public func clockStatus() throws -> ClockStatus {
        let wallClock = physicalClock.milliseconds()
        let clock = try clock()
        return ClockStatus(clock: clock.last, wallClock: wallClock, maxOffsetMilliseconds: clock.maxOffsetMilliseconds)
    }

    /// Records that `sst changes export` wrote this node's changes up to sequence number `upTo` to a file: they
    /// may have left the node, and ``repairClock(acknowledged:hubClockOffset:)`` never re-stamps them.
    /// The clock is recorded with it: no stamp in the file is later.
    public func recordFileExport(upTo: Int64) throws {
        try writer.write { db in
            let clock = try ClockState.load(db).clock.last
            try db.execute(
                sql: """
                    INSERT INTO sst_file_export (singleton, up_to, last_hlc) VALUES (1, ?, ?)
                    ON CONFLICT (singleton) DO UPDATE SET
                        up_to = max(up_to, excluded.up_to), last_hlc = max(last_hlc, excluded.last_hlc)
                    """,
                arguments: [upTo, Int64(bitPattern: clock.rawValue)]
            )
        }
    }

    /// The highest sequence number `sst changes export` wrote to a file (0 before any).
    public func fileExportMark() throws -> Int64 {
        try writer.read { db in try Self.fileExportMark(db).upTo }
    }

    static func fileExportMark(_ db: Database) throws -> (upTo: Int64, clock: Timestamp) {
        guard let row = try Row.fetchOne(db, sql: "SELECT up_to, last_hlc FROM sst_file_export") else {
            return (0, .zero)
        }
        return (row["up_to"], Timestamp(rawValue: UInt64(bitPattern: row["last_hlc"] as Int64)))
    }

    /// Repairs a clock left ahead by a wall clock that was ahead when the node wrote (`sst clock repair`).
    ///
    /// The clock is persisted and never goes back, so one write made while the wall clock was a day ahead stamps
    /// every later write a day ahead too, and the hub refuses them all (`clockAhead`) until the wall clock catches
    /// up. Once the wall clock is right again, this sets the clock back to the wall clock plus the allowed offset
    /// (the latest stamp a receiver accepts; not the wall clock itself, so that a re-stamped write still wins over
    /// any value it overwrote here, which other nodes accepted with a stamp at most that far ahead) and gives every
    /// **unsent** local value stamped more than the allowed offset ahead a current stamp: this node's own values,
    /// with a sequence
    /// number after `acknowledged` (what the hub had of the node at the last successful sync) and after the
    /// highest sequence number exported to a file (``recordFileExport(upTo:)``). The writes keep their order (the
    /// new stamps ascend as the old ones did, one stamp per write as before), each re-stamped value gets a new
    /// sequence number (the next sync sends it), and a text value's causal context names the new stamps, so
    /// nothing is lost and no conflict appears or disappears. The new stamps are later than every value the node
    /// holds that is not re-stamped, so each re-stamped write still wins over what it overwrote here.
    ///
    /// A change from another node stamped between the wall clock and the write's old stamp lost to the write here
    /// (its stamp was lower); it keeps losing: the write, re-stamped later than it, wins on every replica once it
    /// syncs, which is what this node has shown all along.
    ///
    /// Refuses, changing nothing (``ClockRepairError``): when the clock is not ahead by more than the allowed
    /// offset; when `hubClockOffset` (the hub's clock minus this node's at the last successful sync) says the wall
    /// clock itself was ahead of the hub's by more than the offset; at a hub (it does not know what the schools
    /// pulled); and when a value stamped ahead has already left the node or is another node's, or a change-set
    /// file was exported while the clock was ahead (re-stamping would let the copy that left win over later
    /// edits; the clock catches up on its own at the time named).
    /// The repair, with every write it re-stamped, is recorded in the audit trail
    /// (``AuditEntry/Kind/clockRepaired``).
    @discardableResult
    public func repairClock(acknowledged: Int64, hubClockOffset: Int64? = nil) throws -> ClockRepairReport {
        let now = physicalClock.milliseconds()
        return try writer.write { db in
            let identity = try Self.identity(db)
            var state = try ClockState.load(db)
            let maxOffset = state.clock.maxOffsetMilliseconds
            let previous = state.clock.last
            let status = ClockStatus(clock: previous, wallClock: now, maxOffsetMilliseconds: maxOffset)
            let offsetText = ClockStatus.durationText(maxOffset)
            guard identity.role == .school else {
                throw ClockRepairError(
                    code: .hub,
                    message: "\(identity.node) is a hub: it does not know which of its changes the schools pulled",
                    remedy: "Fix the hub's wall clock (NTP); its clock catches up with it by itself."
                )
            }
            guard status.isAhead else {
                throw ClockRepairError(
                    code: .notAhead,
                    message: "nothing to repair: the clock (\(previous)) is "
                        + (status.aheadMilliseconds == 0
                            ? "not ahead of the wall clock"
                            : "\(ClockStatus.durationText(status.aheadMilliseconds)) ahead of the wall clock")
                        + ", within the allowed offset of \(offsetText)",
                    remedy:
                        "Nothing to do; if the hub refuses this node's changes as ahead, check the wall clock (NTP)."
                )
            }
            if let hubClockOffset, hubClockOffset < -Int64(maxOffset) {
                throw ClockRepairError(
                    code: .wallClockAhead,
                    message: "the wall clock looks ahead too: at the last successful sync it was "
                        + "\(ClockStatus.durationText(UInt64(-hubClockOffset))) ahead of the hub's, more than the "
                        + "allowed offset of \(offsetText); a repair now would stamp the writes in the future again",
                    remedy: "Fix the wall clock first (NTP), sync once (or check it against the hub's), then repair."
                )
            }
            let (exported, exportClock) = try Self.fileExportMark(db)
            let sentUpTo = max(acknowledged, exported)
            let limit = Timestamp(milliseconds: now + maxOffset, counter: .max)
            let aheadRaw = Int64(bitPattern: limit.rawValue)
            if exportClock > limit {
                throw ClockRepairError(
                    code: .alreadySent,
                    message: "a change-set file exported while the clock was ahead (up to sequence \(exported)) may "
                        + "hold stamps up to \(exportClock); writes re-stamped now would lose to them wherever the "
                        + "file is imported",
                    remedy: "Wait until the wall clock reaches \(Self.isoText(exportClock.milliseconds - maxOffset)) "
                        + "(the hub then accepts the writes as they are)."
                )
            }
            let node = identity.node.rawValue

            // Every value stamped ahead: this node's unsent values are re-stamped, anything else blocks.
            var fields: [AheadValue] = []
            var blocking: [AheadValue] = []
            for row in try Row.fetchAll(
                db,
                sql: "WITH \(StampLayout.all(schema)) "
                    + "SELECT entity, record_id, field, hlc, node, context, seq FROM sst_stamps WHERE hlc > ?",
                arguments: [aheadRaw]
            ) {
                let value = AheadValue(row)
                if value.node == node && value.seq! > sentUpTo { fields.append(value) } else { blocking.append(value) }
            }
            let restampedKeys = Set(fields.map(\.key))
            var conflicts: [AheadValue] = []
            for row in try Row.fetchAll(
                db,
                sql: "SELECT entity, record_id, field, hlc, node, context FROM sst_conflict WHERE hlc > ?",
                arguments: [aheadRaw]
            ) {
                let value = AheadValue(row)
                if value.node == node && restampedKeys.contains(value.key) {
                    conflicts.append(value)
                } else {
                    blocking.append(value)
                }
            }
            if let latest = blocking.max(by: { $0.hlc < $1.hlc }) {
                let stamp = Timestamp(rawValue: UInt64(bitPattern: latest.hlc))
                let ours = blocking.filter { $0.node == node }.count
                let catchUp = stamp.milliseconds - maxOffset
                throw ClockRepairError(
                    code: .alreadySent,
                    message: "\(blocking.count) value\(blocking.count == 1 ? " is" : "s are") stamped ahead and "
                        + "cannot be re-stamped: \(ours) of this node's already left it (sent to the hub up to "
                        + "sequence \(acknowledged), or exported to a file up to \(exported)), "
                        + "\(blocking.count - ours) came from other nodes; the latest, \(latest.key.text), is stamped "
                        + "\(stamp); re-stamping what left would let the copies that left win over later edits",
                    remedy: "Wait until the wall clock reaches \(Self.isoText(catchUp)) (the hub then accepts them), "
                        + "or have the copies that left discarded before they are imported anywhere."
                )
            }

            // The new clock: the wall clock plus the allowed offset, or after a stamp that stays if one is later.
            // Not the wall clock itself: a value this node overwrote with a re-stamped write may be on other nodes
            // with a stamp up to the offset ahead (every receiver accepted it by that rule); the write must still
            // win over it there, as it did here. The hub accepts a stamp the offset ahead of its clock.
            let staying = try [
                Int64.fetchOne(
                    db,
                    sql: "WITH \(StampLayout.all(schema)) SELECT max(hlc) FROM sst_stamps WHERE hlc <= ?",
                    arguments: [aheadRaw]
                ),
                Int64.fetchOne(db, sql: "SELECT max(hlc) FROM sst_conflict WHERE hlc <= ?", arguments: [aheadRaw]),
            ].compactMap { $0 }.map { Timestamp(rawValue: UInt64(bitPattern: $0)) }.max()
            let base = max(staying ?? .zero, exportClock, Timestamp(milliseconds: now + maxOffset, counter: 0))
            var clock = HybridLogicalClock(last: base, maxOffsetMilliseconds: maxOffset)
            var mapping: [Int64: Timestamp] = [:]
            let olds = Set(fields.map(\.hlc) + conflicts.map(\.hlc)).sorted()
            for old in olds { mapping[old] = clock.tick(physical: now) }
            /// An ahead timestamp of this node in a causal context: the new stamp of the latest re-stamped write at
            /// or before it, so that a context covers a re-stamped write after the repair if and only if it did
            /// before (contexts are version vectors: a node's entry covers all its writes up to it).
            let floor = base
            func mapped(_ timestamp: Timestamp) -> Timestamp {
                let raw = Int64(bitPattern: timestamp.rawValue)
                guard raw > aheadRaw else { return timestamp }
                if let exact = mapping[raw] { return exact }
                guard let before = olds.last(where: { $0 <= raw }) else { return floor }
                return mapping[before]!
            }
            func context(_ text: String?) -> String? {
                guard let text, let context = ColumnCoding.context(text: text) else { return text }
                var entries = context.entries
                if let own = entries[identity.node] { entries[identity.node] = mapped(own) }
                return ColumnCoding.contextText(CausalContext(entries))
            }

            // Re-stamp, in the order of the old stamps, each value under a new sequence number.
            for value in fields.sorted(by: { ($0.hlc, $0.key) < ($1.hlc, $1.key) }) {
                try StampLayout.restamp(
                    entity: value.key.entity,
                    record: value.key.record,
                    field: value.key.field,
                    hlc: Int64(bitPattern: mapping[value.hlc]!.rawValue),
                    context: context(value.context),
                    seq: state.nextSequence(),
                    db
                )
            }
            for value in conflicts {
                try db.execute(
                    sql: """
                        UPDATE sst_conflict SET hlc = ?, context = ?
                        WHERE entity = ? AND record_id = ? AND field = ? AND hlc = ? AND node = ?
                        """,
                    arguments: [
                        Int64(bitPattern: mapping[value.hlc]!.rawValue), context(value.context),
                        value.key.entity, value.key.record, value.key.field, value.hlc, node,
                    ]
                )
            }
            state.clock = clock
            try state.save(db)

            let restamped = olds.map { old in
                ClockRepairReport.Restamp(
                    previous: Timestamp(rawValue: UInt64(bitPattern: old)),
                    stamp: mapping[old]!,
                    fields: (fields + conflicts).filter { $0.hlc == old }.map(\.key.text).sorted()
                )
            }
            let report = ClockRepairReport(
                previousClock: previous,
                clock: clock.last,
                wallClock: now,
                sentUpTo: sentUpTo,
                restamped: restamped,
                values: fields.count + conflicts.count
            )
            try Self.appendAudit(Self.auditEntries(report, ahead: status.aheadMilliseconds), db)
            return report
        }
    }

    /// The audit entries of a repair: one for the repair, one per write re-stamped (its values' record ids and
    /// fields, never their values).
    private static func auditEntries(_ report: ClockRepairReport, ahead: UInt64) -> [AuditEntry] {
        let summary = AuditEntry(
            kind: .clockRepaired,
            atMilliseconds: report.wallClock,
            fields: Array(Set(report.restamped.flatMap { $0.fields.map(Self.entityField) })),
            detail: "clock \(report.previousClock) was \(ClockStatus.durationText(ahead)) ahead of the wall clock "
                + "\(report.wallClock); set back to \(report.clock); \(report.restamped.count) unsent writes "
                + "(\(report.values) field values after sequence \(report.sentUpTo)) re-stamped"
        )
        return [summary]
            + report.restamped.map { write in
                AuditEntry(
                    kind: .clockRepaired,
                    atMilliseconds: report.wallClock,
                    fields: Array(Set(write.fields.map(Self.entityField))),
                    detail: "re-stamped \(write.previous) → \(write.stamp): \(write.fields.joined(separator: ", "))"
                )
            }
    }

    /// `entity.field` of `entity/record.field`.
    private static func entityField(_ text: String) -> String {
        let entity = text.prefix { $0 != "/" }
        let field = text.split(separator: ".").last ?? ""
        return "\(entity).\(field)"
    }

    static func isoText(_ milliseconds: UInt64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000))
    }
}

/// A stored value (a field's current one or a text conflict's) stamped ahead.
private struct AheadValue {
    struct Key: Hashable, Comparable {
        let entity: String
        let record: String
        let field: String
        var text: String { "\(entity)/\(record).\(field)" }
        static func < (left: Key, right: Key) -> Bool { left.text < right.text }
    }

    let key: Key
    let hlc: Int64
    let node: String
    let context: String?
    /// The field's sequence number (nil for a conflict).
    let seq: Int64?

    init(_ row: Row) {
        key = Key(entity: row["entity"], record: row["record_id"], field: row["field"])
        hlc = row["hlc"]
        node = row["node"]
        context = row["context"]
        seq = row["seq"]
    }
}
