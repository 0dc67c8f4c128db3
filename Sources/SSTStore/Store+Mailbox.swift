import Foundation
import GRDB
import SSTCore

// MARK: - The hub's side

extension Store {
    /// Records the node of `school` that presented `certificatePEM` (serial `serial`) at the mailbox.
    public func recordMailboxMember(school: String, node: String, serial: String, certificatePEM: String) throws {
        let now = Int64(physicalClock.milliseconds())
        try writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO sst_mailbox_member (school, serial, node, certificate, first_seen_ms, last_seen_ms)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (school, serial) DO UPDATE SET last_seen_ms = excluded.last_seen_ms
                    """,
                arguments: [school, serial, node, certificatePEM, now, now]
            )
        }
    }

    /// The school's mailbox state.
    public func mailboxState(school: String) throws -> MailboxState {
        try writer.read { db in try Self.mailboxState(school, db) }
    }

    static func mailboxState(_ school: String, _ db: Database) throws -> MailboxState {
        let row = try Row.fetchOne(
            db,
            sql: "SELECT key_id, epoch, last_seq FROM sst_mailbox_school WHERE school = ?",
            arguments: [school]
        )
        let sizes = try Row.fetchOne(
            db,
            sql: """
                SELECT COALESCE(SUM(LENGTH(bytes)), 0) AS stored,
                    COALESCE(SUM(CASE WHEN kind = 'changes' THEN LENGTH(bytes) ELSE 0 END), 0) AS changes
                FROM sst_mailbox_blob WHERE school = ?
                """,
            arguments: [school]
        )
        return MailboxState(
            keyID: row?["key_id"],
            epoch: row?["epoch"],
            latest: row?["last_seq"] ?? 0,
            storedBytes: sizes?["stored"] ?? 0,
            changesBytes: sizes?["changes"] ?? 0
        )
    }

    /// Stores a sealed changes blob of `header.school`, with the next sequence number of the school's mailbox.
    ///
    /// Refused when it is sealed with an older key than the school's current one (the first blob or envelope of a
    /// school sets its key), with a newer one (a new key comes as a snapshot), or when the school's changes blobs
    /// would pass `refuseAbove` bytes (a snapshot compacts them).
    public func postMailboxBlob(_ header: MailboxBlobHeader, bytes: Data, refuseAbove: Int64) throws -> Int64 {
        try writer.write { db in
            let state = try Self.mailboxState(header.school, db)
            try Self.checkKey(header.keyID, epoch: header.epoch, against: state, what: "the blob")
            guard state.changesBytes + Int64(bytes.count) <= refuseAbove else {
                throw MailboxRefusal(
                    .mailboxFull,
                    "the mailbox of \(header.school) holds \(state.changesBytes) bytes of changes since its last "
                        + "snapshot; with this blob it would pass its limit of \(refuseAbove) bytes. Nothing was stored",
                    remedy: "A node of the school posts a snapshot (its next `sst sync` does when the hub advises "
                        + "compaction); then sync again."
                )
            }
            let sequence = state.latest + 1
            try Self.setMailboxSchool(header.school, keyID: header.keyID, epoch: header.epoch, last: sequence, db)
            try Self.insertBlob(header, sequence: sequence, covers: nil, bytes: bytes, at: physicalClock, db)
            return sequence
        }
    }

    /// Stores a sealed snapshot that covers the school's mailbox up to `covers` and drops what it replaces: every
    /// blob up to `covers` and every older snapshot (compaction). A snapshot of a newer epoch makes its key the
    /// school's current one and drops everything sealed with older keys and their envelopes (rotation); every
    /// member then revoked (`isRevoked`, by serial) is retired. Returns the snapshot's sequence number.
    public func postMailboxSnapshot(
        _ header: MailboxBlobHeader,
        covers: Int64,
        bytes: Data,
        isRevoked: (String) -> Bool
    ) throws -> Int64 {
        let sequence = try writer.write { db in
            let state = try Self.mailboxState(header.school, db)
            guard covers >= 0, covers <= state.latest else {
                throw MailboxRefusal(
                    .invalidCovers,
                    "the snapshot says it covers the mailbox of \(header.school) up to \(covers), but the mailbox "
                        + "ends at \(state.latest). Nothing was stored",
                    remedy: "Post a snapshot covering at most the mailbox's latest sequence number."
                )
            }
            let rotates = state.epoch.map { header.epoch > $0 } ?? true
            if !rotates {
                try Self.checkKey(header.keyID, epoch: header.epoch, against: state, what: "the snapshot")
            }
            let school = header.school
            try db.execute(
                sql: "DELETE FROM sst_mailbox_blob WHERE school = ? AND (seq <= ? OR kind = 'snapshot')",
                arguments: [school, covers]
            )
            if rotates {
                try db.execute(
                    sql: "DELETE FROM sst_mailbox_blob WHERE school = ? AND key_id != ?",
                    arguments: [school, header.keyID]
                )
                try db.execute(
                    sql: "DELETE FROM sst_mailbox_envelope WHERE school = ? AND key_id != ?",
                    arguments: [school, header.keyID]
                )
                let serials = try String.fetchAll(
                    db,
                    sql: "SELECT serial FROM sst_mailbox_member WHERE school = ? AND retired = 0",
                    arguments: [school]
                )
                for serial in serials where isRevoked(serial) {
                    try db.execute(
                        sql: "UPDATE sst_mailbox_member SET retired = 1 WHERE school = ? AND serial = ?",
                        arguments: [school, serial]
                    )
                }
            }
            let sequence = state.latest + 1
            try Self.setMailboxSchool(school, keyID: header.keyID, epoch: header.epoch, last: sequence, db)
            try Self.insertBlob(header, sequence: sequence, covers: covers, bytes: bytes, at: physicalClock, db)
            return sequence
        }
        // The dropped ciphertext is overwritten (secure_delete) and leaves the write-ahead log too.
        try eraseFreedPages()
        return sequence
    }

    /// The school's blobs after `since`, in order, at most `limit`; a snapshot that covers no more than `since`
    /// is left out (the reader has everything it holds).
    public func mailboxEntries(school: String, since: Int64, limit: Int) throws -> [MailboxEntry] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, kind, key_id, epoch, sender, covers, bytes FROM sst_mailbox_blob
                    WHERE school = ? AND seq > ? AND NOT (kind = 'snapshot' AND covers <= ?)
                    ORDER BY seq LIMIT ?
                    """,
                arguments: [school, since, since, max(1, limit)]
            ).map { row in
                MailboxEntry(
                    sequence: row["seq"],
                    header: MailboxBlobHeader(
                        school: school,
                        keyID: row["key_id"],
                        epoch: row["epoch"],
                        sender: row["sender"],
                        kind: MailboxBlobHeader.Kind(rawValue: row["kind"]) ?? .changes
                    ),
                    covers: row["covers"],
                    bytes: row["bytes"]
                )
            }
        }
    }

    /// The school's members that are not revoked now, with whether each has an envelope of the current key.
    public func mailboxMembers(school: String, isRevoked: (String) -> Bool) throws -> [MailboxMember] {
        try writer.read { db in
            let keyID = try Self.mailboxState(school, db).keyID
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT m.node, m.serial, m.certificate,
                        EXISTS (SELECT 1 FROM sst_mailbox_envelope e
                                WHERE e.school = m.school AND e.key_id = ? AND e.recipient = m.node) AS has_envelope
                    FROM sst_mailbox_member m WHERE m.school = ? AND m.retired = 0 ORDER BY m.node, m.serial
                    """,
                arguments: [keyID, school]
            ).compactMap { row in
                let serial: String = row["serial"]
                guard !isRevoked(serial) else { return nil }
                return MailboxMember(
                    node: row["node"],
                    serial: serial,
                    certificatePEM: row["certificate"],
                    hasEnvelope: row["has_envelope"]
                )
            }
        }
    }

    /// Whether a member of the school recorded at the mailbox was revoked after the current key's epoch began
    /// (it may hold the current key): the school's nodes must rotate.
    public func mailboxRotationNeeded(school: String, isRevoked: (String) -> Bool) throws -> Bool {
        try writer.read { db in
            guard try Self.mailboxState(school, db).keyID != nil else { return false }
            return try String.fetchAll(
                db,
                sql: "SELECT serial FROM sst_mailbox_member WHERE school = ? AND retired = 0",
                arguments: [school]
            ).contains(where: isRevoked)
        }
    }

    /// Stores envelopes of the school's current key (one per recipient node, replacing an earlier one). Refused
    /// whole when one is of another key or for a node the hub has not seen at this school's mailbox.
    public func storeMailboxEnvelopes(
        school: String,
        _ envelopes: [(keyID: String, epoch: Int, recipient: String, bytes: Data)]
    ) throws {
        try writer.write { db in
            var state = try Self.mailboxState(school, db)
            for envelope in envelopes {
                try Self.checkKey(envelope.keyID, epoch: envelope.epoch, against: state, what: "the envelope")
                if state.keyID == nil {
                    try Self.setMailboxSchool(
                        school,
                        keyID: envelope.keyID,
                        epoch: envelope.epoch,
                        last: state.latest,
                        db
                    )
                    state = try Self.mailboxState(school, db)
                }
                let known =
                    try Bool.fetchOne(
                        db,
                        sql: "SELECT EXISTS (SELECT 1 FROM sst_mailbox_member WHERE school = ? AND node = ?)",
                        arguments: [school, envelope.recipient]
                    ) ?? false
                guard known else {
                    throw MailboxRefusal(
                        .unknownRecipient,
                        "the envelope is for \(envelope.recipient), which the hub has not seen at the mailbox of "
                            + "\(school). Nothing was stored",
                        remedy: "Wrap the key only for the members `GET /v2/mailbox/members` lists."
                    )
                }
                try db.execute(
                    sql: """
                        INSERT INTO sst_mailbox_envelope (school, key_id, recipient, bytes) VALUES (?, ?, ?, ?)
                        ON CONFLICT (school, key_id, recipient) DO UPDATE SET bytes = excluded.bytes
                        """,
                    arguments: [school, envelope.keyID, envelope.recipient, envelope.bytes]
                )
            }
        }
    }

    /// The envelope of the school's current key for `node`, if the hub holds one.
    public func mailboxEnvelope(school: String, node: String) throws -> Data? {
        try writer.read { db in
            guard let keyID = try Self.mailboxState(school, db).keyID else { return nil }
            return try Data.fetchOne(
                db,
                sql: "SELECT bytes FROM sst_mailbox_envelope WHERE school = ? AND key_id = ? AND recipient = ?",
                arguments: [school, keyID, node]
            )
        }
    }

    private static func checkKey(_ keyID: String, epoch: Int, against state: MailboxState, what: String) throws {
        guard let current = state.keyID, let currentEpoch = state.epoch else { return }
        if epoch < currentEpoch || (epoch == currentEpoch && keyID != current) {
            throw MailboxRefusal(
                .oldKey,
                "\(what) is sealed with an old key: key \(keyID) of epoch \(epoch), but the school's current key is "
                    + "\(current) of epoch \(currentEpoch). Nothing was stored",
                remedy: "The node takes the school's current key (its envelope, `GET /v2/mailbox/key`), seals again "
                    + "and posts again; its next `sst sync` does this."
            )
        }
        if epoch > currentEpoch {
            throw MailboxRefusal(
                .keyNotCurrent,
                "\(what) is sealed with key \(keyID) of epoch \(epoch), newer than the school's current key "
                    + "\(current) of epoch \(currentEpoch). Nothing was stored",
                remedy: "A new key reaches the hub as a snapshot sealed with it (`POST /v2/mailbox/snapshot`) first."
            )
        }
    }

    private static func setMailboxSchool(
        _ school: String,
        keyID: String,
        epoch: Int,
        last: Int64,
        _ db: Database
    )
        throws
    {
        try db.execute(
            sql: """
                INSERT INTO sst_mailbox_school (school, key_id, epoch, last_seq) VALUES (?, ?, ?, ?)
                ON CONFLICT (school) DO UPDATE SET key_id = excluded.key_id, epoch = excluded.epoch,
                    last_seq = excluded.last_seq
                """,
            arguments: [school, keyID, epoch, last]
        )
    }

    private static func insertBlob(
        _ header: MailboxBlobHeader,
        sequence: Int64,
        covers: Int64?,
        bytes: Data,
        at clock: any PhysicalClock,
        _ db: Database
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO sst_mailbox_blob (school, seq, kind, key_id, epoch, sender, covers, posted_at_ms, bytes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                header.school, sequence, header.kind.rawValue, header.keyID, header.epoch, header.sender, covers,
                Int64(clock.milliseconds()), bytes,
            ]
        )
    }
}
