import Foundation
import Logging
import SSTCore
import SSTPKI
import SSTSealing
import SSTStore

/// A school node's relay through its school's sealed mailbox at the hub (`Protocol/mailbox.md`), run after the
/// boundary push and pull of every sync: the school's own data (health notes, pupils without consent, consents…)
/// reaches the school's other nodes sealed with the school key, which the hub never holds.
///
/// In order: takes the school's current key from its envelope when this node lacks it; wraps the key for members
/// that have no envelope yet; seals and posts this node's changes since its mailbox cursor; pulls, opens and
/// applies the other nodes' blobs; posts a snapshot when the hub advises compaction, after a purge or consent
/// withdrawal here, and rotates the key when a member was revoked. Each cursor is stored only after its step
/// succeeded; a failure is reported and the relay is retried at the next sync.
public struct MailboxRelay: Sendable {
    /// Where the node keeps its school key and the TLS files whose private key opens its envelopes.
    public struct Settings: Sendable {
        public var dataDirectory: String
        public var tls: TLSFiles
        /// Field changes per sealed changes blob.
        public var batchSize: Int

        public init(dataDirectory: String, tls: TLSFiles, batchSize: Int = SyncProtocol.defaultBatchSize) {
            self.dataDirectory = dataDirectory
            self.tls = tls
            self.batchSize = batchSize
        }

        /// Where a new key waits while its rotation is not yet accepted by the hub.
        var rotationDirectory: String {
            URL(fileURLWithPath: dataDirectory).appendingPathComponent("school-key-rotation").path
        }
    }

    let store: Store
    let transport: any MailboxTransport
    let settings: Settings
    let physicalClock: any PhysicalClock
    let logger: Logger

    public init(
        store: Store,
        transport: any MailboxTransport,
        settings: Settings,
        physicalClock: any PhysicalClock = SystemClock(),
        logger: Logger
    ) {
        self.store = store
        self.transport = transport
        self.settings = settings
        self.physicalClock = physicalClock
        self.logger = logger
    }

    /// Relays once; nil for a node that is not a school node (a hub has no mailbox).
    public func run() async -> MailboxReport? {
        guard let identity = try? store.identity(), identity.role == .school, let school = identity.school else {
            return nil
        }
        var report = MailboxReport()
        do {
            try await relay(identity: identity, school: school, &report)
        } catch let failure as SyncFailure {
            report.outcome = .failed
            report.message = failure.message
            report.remedy = failure.remedy
        } catch {
            report.outcome = .failed
            report.message = "\(error)"
            report.remedy = "The boundary sync is not affected; the relay is retried at the next sync."
        }
        if let cursors = try? store.mailboxCursors() {
            report.pushedUpTo = cursors.pushedUpTo
            report.pulledUpTo = cursors.pulledUpTo
        }
        if report.outcome != .relayed {
            logger.warning(
                "mailbox relay did not complete",
                metadata: ["outcome": "\(report.outcome.rawValue)", "error": "\(report.message ?? "")"]
            )
        }
        return report
    }

    private func relay(identity: NodeIdentity, school: String, _ report: inout MailboxReport) async throws {
        let directory = settings.dataDirectory
        var cursors = try store.mailboxCursors()
        var listing = try await transport.mailbox(since: cursors.pulledUpTo, limit: MailboxService.maxListing)
        try settleRotation(hubKey: listing.keyID)
        // (a) The school's current key, from this node's envelope when the node lacks it or holds an older one.
        var key = try SchoolKeyFile.load(directory: directory)
        if key == nil || (listing.keyID != nil && key?.id != listing.keyID) {
            guard let taken = try await takeKey(school: school, hubKey: listing.keyID, &report) else {
                report.outcome = .waitingForKey
                report.keyID = key?.id
                report.epoch = key?.epoch
                report.message =
                    key == nil
                    ? "this node has no school key, and the hub holds no envelope of it for \(identity.node) yet; "
                        + "nothing was posted or pulled through the mailbox"
                    : "this node holds the school key \(key!.id) of epoch \(key!.epoch), but the school's current key "
                        + "is \(listing.keyID ?? "?") of epoch \(listing.epoch ?? 0) and the hub holds no envelope of "
                        + "it for \(identity.node) yet; nothing was posted or pulled through the mailbox"
                report.remedy =
                    "A node of \(school) that holds the key wraps it for this node at its next sync (or use `sst "
                    + "school-key import`); then sync again."
                return
            }
            key = taken
        }
        guard var key else { return }
        report.keyID = key.id
        report.epoch = key.epoch
        // (b) Envelopes for the members that have none.
        report.envelopesPosted += try await wrapForMembers(key, school: school, me: identity.node, onlyMissing: true)
        // (c) This node's changes since its mailbox cursor, sealed.
        do {
            try await postChanges(key: key, identity: identity, &cursors, &report)
        } catch let failure as SyncFailure where failure.problem?.code == MailboxRefusal.Code.oldKey.rawValue {
            // The school's key moved on since the listing: take the new one and seal again.
            guard let taken = try await takeKey(school: school, hubKey: nil, &report) else { throw failure }
            key = taken
            report.keyID = key.id
            report.epoch = key.epoch
            try await postChanges(key: key, identity: identity, &cursors, &report)
        }
        // (d) The other nodes' blobs.
        while true {
            try apply(listing, key: key, school: school, me: identity.node, &cursors, &report)
            guard listing.more else { break }
            listing = try await transport.mailbox(since: cursors.pulledUpTo, limit: MailboxService.maxListing)
        }
        // (f) Rotation when a member was revoked; (e) otherwise a snapshot when one is due.
        if listing.rotationNeeded {
            try await rotate(from: key, school: school, identity: identity, &cursors, &report)
        } else if listing.compactionAdvised || cursors.snapshotDue {
            try await postSnapshot(key: key, identity: identity, &cursors)
            report.snapshotPosted = true
        }
    }

    /// Fetches and installs this node's envelope of the school's current key; nil when the hub holds none.
    private func takeKey(school: String, hubKey: String?, _ report: inout MailboxReport) async throws -> SchoolKey? {
        guard let answer = try await transport.mailboxKey() else { return nil }
        guard let bytes = Data(base64Encoded: answer.envelope) else {
            throw SyncFailure(
                .protocolError,
                "the hub's envelope of key \(answer.keyID) is not base64",
                remedy: "Check the --hub URL, and run the same SST Sync version on the node and the hub."
            )
        }
        let privateKey: String
        do {
            privateKey = try String(contentsOfFile: settings.tls.key, encoding: .utf8)
        } catch {
            throw SyncFailure(
                .local,
                "cannot read this node's private key \(settings.tls.key) to open its key envelope: \(error)",
                remedy: "Check the --key file (the key of this node's certificate)."
            )
        }
        let key: SchoolKey
        do {
            key = try KeyEnvelope.decode(bytes).open(privateKeyPEM: privateKey)
        } catch {
            throw SyncFailure(
                .local,
                "the hub's envelope of the school key \(answer.keyID) does not open with this node's private key: "
                    + error.message,
                remedy: error.remedy
            )
        }
        guard key.school == school, key.id == answer.keyID else {
            throw SyncFailure(
                .local,
                "the envelope holds key \(key.id) of \(key.school), not \(school)'s current key \(answer.keyID)",
                remedy: "Nothing was installed. The node that wrapped it must wrap the school's current key again."
            )
        }
        try SchoolKeyFile.install(key, school: school, directory: settings.dataDirectory)
        report.installedKey = key.id
        return key
    }

    /// Wraps `key` for the school's members (those without an envelope, or all but this node), each certificate
    /// verified against the district CA and naming a school node of this school. Returns how many it posted.
    private func wrapForMembers(_ key: SchoolKey, school: String, me: NodeID, onlyMissing: Bool) async throws -> Int {
        let members = try await transport.mailboxMembers()
        let verifier = try CertificateVerifier(caFile: settings.tls.ca)
        var envelopes: [String] = []
        var wrapped: Set<String> = []
        for member in members.members where member.node != me.rawValue && !wrapped.contains(member.node) {
            if onlyMissing, member.hasEnvelope, members.keyID == key.id { continue }
            do {
                let der = try Self.derBytes(pem: member.certificate)
                let named = try await verifier.verify(derBytes: der)
                guard named.role == "school", named.school == school, named.node.rawValue == member.node else {
                    logger.warning(
                        "a mailbox member's certificate is not a school node's of this school: not wrapping for it",
                        metadata: ["member": "\(member.node)", "school": "\(named.school ?? "-")"]
                    )
                    continue
                }
                let envelope = try KeyEnvelope.wrap(key, forCertificate: der)
                envelopes.append(try envelope.encoded().base64EncodedString())
                wrapped.insert(member.node)
            } catch {
                logger.warning(
                    "cannot wrap the school key for a mailbox member",
                    metadata: ["member": "\(member.node)", "error": "\(error)"]
                )
            }
        }
        guard !envelopes.isEmpty else { return 0 }
        _ = try await transport.postMailboxEnvelopes(MailboxMessages.Envelopes(envelopes: envelopes))
        return envelopes.count
    }

    /// Seals and posts this node's changes since its mailbox cursor, a batch at a time; the cursor moves after each
    /// accepted post. A purge or consent withdrawal among them makes a snapshot due.
    private func postChanges(
        key: SchoolKey,
        identity: NodeIdentity,
        _ cursors: inout MailboxCursors,
        _ report: inout MailboxReport
    ) async throws {
        while try store.lastSequence() > cursors.pushedUpTo {
            let changeSet = try store.exportChanges(since: cursors.pushedUpTo, limit: settings.batchSize)
            if !changeSet.changes.isEmpty {
                let blob = try seal(changeSet, kind: .changes, key: key, sender: identity.node)
                _ = try await transport.postMailbox(blob)
                report.blobsPosted += 1
                report.changesPosted += changeSet.changes.count
            }
            if changeSet.changes.contains(where: Self.makesSnapshotDue) { cursors.snapshotDue = true }
            guard changeSet.upTo > cursors.pushedUpTo else { break }
            cursors.pushedUpTo = changeSet.upTo
            try store.setMailboxCursors(cursors)
        }
    }

    /// The DER bytes of a PEM certificate.
    static func derBytes(pem: String) throws -> [UInt8] {
        let body = pem.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
        guard pem.contains("BEGIN CERTIFICATE"), let data = Data(base64Encoded: body), !data.isEmpty else {
            throw SyncFailure(.protocolError, "a member certificate is not PEM", remedy: "Report this as a bug.")
        }
        return Array(data)
    }

    /// A purge, or a consent withdrawn: the ciphertext of what it erased must not stay at the hub.
    static func makesSnapshotDue(_ change: FieldChange) -> Bool {
        if change.field == Schema.purgedField, change.value == .boolean(true) { return true }
        return change.entity == consentStatus.entity && change.field == consentStatus.field
            && change.value == .string("withdrawn")
    }

    /// The consent entity and its status field, found by their roles in the schema.
    private static let consentStatus: (entity: String, field: String?) = {
        let consent = Schema.sst.entity(withRole: .consent)
        return (consent.name, consent.field(withRole: .consentStatus)?.name)
    }()

    /// Opens and applies the listed blobs of other nodes, in order; this node's own are skipped. A blob that does
    /// not open or apply stops the relay there, with nothing of it applied and the cursor before it.
    private func apply(
        _ listing: MailboxMessages.Listing,
        key: SchoolKey,
        school: String,
        me: NodeID,
        _ cursors: inout MailboxCursors,
        _ report: inout MailboxReport
    ) throws {
        for entry in listing.blobs where entry.sequence > cursors.pulledUpTo {
            if entry.sender == me.rawValue {
                cursors.pulledUpTo = entry.sequence
                try store.setMailboxCursors(cursors)
                continue
            }
            let changeSet: ChangeSet
            let sender: NodeID
            do {
                guard let bytes = Data(base64Encoded: entry.blob) else {
                    throw SealingError(.malformed, "it is not base64", remedy: "")
                }
                let blob = try SealedBlob.decode(bytes)
                guard let node = NodeID(blob.sender), blob.sender == entry.sender else {
                    throw SealingError(.tampered, "its sealed sender is \(blob.sender)", remedy: "")
                }
                sender = node
                changeSet = try ChangeSetCodec.decode(try Sealing.open(blob, with: key))
            } catch {
                let reason = (error as? SealingError)?.message ?? "\(error)"
                throw SyncFailure(
                    .local,
                    "the mailbox blob \(entry.sequence) from \(entry.sender) (\(entry.kind), key \(entry.keyID) epoch "
                        + "\(entry.epoch)) was refused: \(reason); nothing of it was applied and the mailbox cursor "
                        + "stays at \(cursors.pulledUpTo)",
                    remedy: "The blob was altered, or sealed with a key this node does not hold. A snapshot from "
                        + "\(entry.sender) replaces it (its next sync posts one when the hub advises compaction); "
                        + "report it to the district's administrators if it persists."
                )
            }
            let peer = PeerIdentity(node: sender, role: .school, school: school)
            let applied: ApplyReport
            do {
                applied = try store.applyFromMailbox(changeSet, sender: peer, sequence: entry.sequence)
            } catch {
                throw SyncFailure(
                    .local,
                    "the mailbox blob \(entry.sequence) from \(entry.sender) was refused by this node's store: "
                        + "\(error); nothing of it was applied and the mailbox cursor stays at \(cursors.pulledUpTo)",
                    remedy: "Fix what the message names (a clock ahead passes once the clocks agree), then sync again."
                )
            }
            cursors.pulledUpTo = entry.sequence
            report.blobsApplied += 1
            report.changesReceived += applied.received
            report.changesApplied += applied.applied
        }
    }

    /// Posts a snapshot of this node's whole state, sealed with `key`, covering the mailbox up to its pull cursor.
    private func postSnapshot(key: SchoolKey, identity: NodeIdentity, _ cursors: inout MailboxCursors) async throws {
        let everything = try store.exportChanges(since: 0)
        let blob = try seal(everything, kind: .snapshot, key: key, sender: identity.node)
        _ = try await transport.postMailboxSnapshot(blob, covers: cursors.pulledUpTo)
        cursors.snapshotDue = false
        try store.setMailboxCursors(cursors)
    }

    /// Makes the next epoch's key, posts a snapshot sealed with it (which makes it the school's key at the hub and
    /// drops everything sealed with the old one) and wraps it for the members not revoked. The new key waits in
    /// ``Settings/rotationDirectory`` until the hub took it, so that a crash in between loses neither key.
    private func rotate(
        from old: SchoolKey,
        school: String,
        identity: NodeIdentity,
        _ cursors: inout MailboxCursors,
        _ report: inout MailboxReport
    ) async throws {
        let pending = settings.rotationDirectory
        try FileManager.default.createDirectory(
            atPath: pending,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let key = SchoolKey.generate(school: school, epoch: old.epoch + 1, now: physicalClock.milliseconds())
        try SchoolKeyFile.save(key, directory: pending)
        do {
            try await postSnapshot(key: key, identity: identity, &cursors)
        } catch let failure as SyncFailure where failure.problem?.statusCode == 409 {
            // Another node of the school rotated first: its key comes in an envelope at the next sync.
            try? FileManager.default.removeItem(atPath: pending)
            throw failure
        }
        try SchoolKeyFile.install(key, school: school, directory: settings.dataDirectory)
        try? FileManager.default.removeItem(atPath: pending)
        report.rotated = true
        report.snapshotPosted = true
        report.keyID = key.id
        report.epoch = key.epoch
        report.envelopesPosted += try await wrapForMembers(key, school: school, me: identity.node, onlyMissing: false)
    }

    /// Settles a rotation interrupted after its key was made: the hub took it (install it) or not (drop it).
    private func settleRotation(hubKey: String?) throws {
        let pending = settings.rotationDirectory
        guard let key = try SchoolKeyFile.load(directory: pending) else { return }
        if key.id == hubKey {
            try SchoolKeyFile.install(key, school: key.school, directory: settings.dataDirectory)
        }
        try FileManager.default.removeItem(atPath: pending)
    }

    /// A change set sealed for the mailbox, the key marked used first.
    private func seal(_ changeSet: ChangeSet, kind: SealedBlob.Kind, key: SchoolKey, sender: NodeID) throws -> Data {
        let plaintext = try ChangeSetCodec.encode(changeSet)
        let blob = try Sealing.seal(plaintext, kind: kind, sender: sender, key: key)
        if (try? SchoolKeyFile.load(directory: settings.dataDirectory))?.id == key.id {
            try SchoolKeyFile.markUsed(directory: settings.dataDirectory)
        }
        return try blob.encoded()
    }
}
