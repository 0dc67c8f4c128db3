import Foundation
import SSTCore
import SSTSealing
import SSTStore

/// The hub's sealed mailbox of each school without HTTP (`Protocol/mailbox.md`): what each `/v2/mailbox`
/// endpoint does for a school node whose identity came from its verified certificate.
///
/// The school is always the certificate's, never a body's: a blob or envelope naming another school is refused.
/// The hub reads only the labels of a sealed blob (school, key id, epoch, sender, kind); it cannot open one.
public struct MailboxService: Sendable {
    /// Storage per school.
    public struct Limits: Sendable {
        /// Above this many bytes of changes blobs (since the school's snapshot) the listing advises compaction
        /// (`compactionAdvised`).
        public var adviseBytes: Int64
        /// Above this many a changes post is refused (`mailboxFull`) until a snapshot compacts the mailbox.
        public var refuseBytes: Int64

        public init(adviseBytes: Int64 = 64 * 1024 * 1024, refuseBytes: Int64? = nil) {
            self.adviseBytes = adviseBytes
            self.refuseBytes = refuseBytes ?? adviseBytes * 2
        }
    }

    /// The largest `limit` of one listing.
    public static let maxListing = 500

    let store: Store
    let limits: Limits
    let isRevoked: @Sendable (String) -> Bool

    public init(store: Store, limits: Limits = Limits(), isRevoked: @escaping @Sendable (String) -> Bool) {
        self.store = store
        self.limits = limits
        self.isRevoked = isRevoked
    }

    /// The school of a school node's certificate; any other certificate is refused.
    static func school(of peer: PeerIdentity) throws(Problem) -> String {
        guard peer.role == .school, let school = peer.school, !school.isEmpty else {
            throw Problem.denied(
                code: Problem.Codes.notAuthorized,
                "the sealed mailbox is for school nodes; \(peer.node)'s certificate is a \(peer.role.rawValue) "
                    + "node's\(peer.school == nil ? " naming no school" : "")"
            )
        }
        return school
    }

    /// Records the member (every mailbox request does, from the verified certificate).
    func record(_ peer: PeerIdentity, serial: String, certificatePEM: String) throws(Problem) {
        let school = try Self.school(of: peer)
        try run {
            try store.recordMailboxMember(
                school: school,
                node: peer.node.rawValue,
                serial: serial,
                certificatePEM: certificatePEM
            )
        }
    }

    /// `POST /v2/mailbox` and `POST /v2/mailbox/snapshot` (`covers` given).
    func post(_ body: Data, covers: Int64?, from peer: PeerIdentity) throws(Problem) -> MailboxMessages.Posted {
        let school = try Self.school(of: peer)
        let blob: SealedBlob
        do {
            blob = try SealedBlob.decode(body)
        } catch {
            throw Problem.malformed("the body is not a sealed blob: \(error.message)")
        }
        guard blob.school == school else {
            throw Problem.denied(
                code: Problem.Codes.notAuthorized,
                "the blob names the school \(blob.school), but \(peer.node)'s certificate is of \(school): a node "
                    + "posts to its own school's mailbox only"
            )
        }
        guard blob.sender == peer.node.rawValue else {
            throw Problem.denied(
                code: Problem.Codes.notAuthorized,
                "the blob says it was sealed by \(blob.sender), but the certificate is \(peer.node)'s: a node posts "
                    + "its own blobs only"
            )
        }
        let expected: SealedBlob.Kind = covers == nil ? .changes : .snapshot
        guard blob.kind == expected else {
            throw Problem.malformed(
                "the blob is of kind \(blob.kind.rawValue); \(covers == nil ? "POST /v2/mailbox" : "POST /v2/mailbox/snapshot") "
                    + "takes a \(expected.rawValue) blob"
            )
        }
        let header = MailboxBlobHeader(
            school: school,
            keyID: blob.keyID,
            epoch: blob.epoch,
            sender: blob.sender,
            kind: covers == nil ? .changes : .snapshot
        )
        let sequence = try run { () throws -> Int64 in
            if let covers {
                return try store.postMailboxSnapshot(header, covers: covers, bytes: body, isRevoked: isRevoked)
            }
            return try store.postMailboxBlob(header, bytes: body, refuseAbove: limits.refuseBytes)
        }
        return MailboxMessages.Posted(sequence: sequence)
    }

    /// `GET /v2/mailbox?since=N&limit=M`.
    func list(since: Int64, limit: Int?, for peer: PeerIdentity) throws(Problem) -> MailboxMessages.Listing {
        let school = try Self.school(of: peer)
        guard since >= 0 else { throw Problem.malformed("the query parameter since must be 0 or more, not \(since)") }
        if let limit, limit < 1 {
            throw Problem.malformed("the query parameter limit must be 1 or more, not \(limit)")
        }
        let count = min(limit ?? Self.maxListing, Self.maxListing)
        return try run {
            let entries = try store.mailboxEntries(school: school, since: since, limit: count)
            let state = try store.mailboxState(school: school)
            let last = entries.last?.sequence ?? since
            return MailboxMessages.Listing(
                blobs: entries.map { entry in
                    MailboxMessages.Entry(
                        sequence: entry.sequence,
                        kind: entry.header.kind.rawValue,
                        sender: entry.header.sender,
                        keyID: entry.header.keyID,
                        epoch: entry.header.epoch,
                        covers: entry.covers,
                        blob: entry.bytes.base64EncodedString()
                    )
                },
                latest: state.latest,
                more: entries.count == count && last < state.latest,
                keyID: state.keyID,
                epoch: state.epoch,
                rotationNeeded: try store.mailboxRotationNeeded(school: school, isRevoked: isRevoked),
                storedBytes: state.storedBytes,
                compactionAdvised: state.changesBytes > limits.adviseBytes,
                limitBytes: limits.adviseBytes
            )
        }
    }

    /// `GET /v2/mailbox/members`.
    func members(for peer: PeerIdentity) throws(Problem) -> MailboxMessages.Members {
        let school = try Self.school(of: peer)
        return try run {
            let state = try store.mailboxState(school: school)
            return MailboxMessages.Members(
                members: try store.mailboxMembers(school: school, isRevoked: isRevoked).map { member in
                    MailboxMessages.Member(
                        node: member.node,
                        serial: member.serial,
                        certificate: member.certificatePEM,
                        hasEnvelope: member.hasEnvelope
                    )
                },
                keyID: state.keyID,
                epoch: state.epoch
            )
        }
    }

    /// `POST /v2/mailbox/keys`.
    func storeEnvelopes(
        _ body: MailboxMessages.Envelopes,
        from peer: PeerIdentity
    ) throws(Problem)
        -> MailboxMessages.Stored
    {
        let school = try Self.school(of: peer)
        var envelopes: [(keyID: String, epoch: Int, recipient: String, bytes: Data)] = []
        for (index, text) in body.envelopes.enumerated() {
            guard let bytes = Data(base64Encoded: text) else {
                throw Problem.malformed("envelope \(index + 1) is not base64")
            }
            let envelope: KeyEnvelope
            do {
                envelope = try KeyEnvelope.decode(bytes)
            } catch {
                throw Problem.malformed("envelope \(index + 1) is not a key envelope: \(error.message)")
            }
            guard envelope.school == school else {
                throw Problem.denied(
                    code: Problem.Codes.notAuthorized,
                    "envelope \(index + 1) names the school \(envelope.school), but \(peer.node)'s certificate is "
                        + "of \(school)"
                )
            }
            envelopes.append((envelope.keyID, envelope.epoch, envelope.recipient, bytes))
        }
        try run { try store.storeMailboxEnvelopes(school: school, envelopes) }
        return MailboxMessages.Stored(stored: envelopes.count)
    }

    /// `GET /v2/mailbox/key`: 404 when the hub holds no envelope of the current key for this node.
    func envelope(for peer: PeerIdentity) throws(Problem) -> MailboxMessages.Envelope {
        let school = try Self.school(of: peer)
        let (bytes, state) = try run {
            (
                try store.mailboxEnvelope(school: school, node: peer.node.rawValue),
                try store.mailboxState(school: school)
            )
        }
        guard let bytes, let keyID = state.keyID, let epoch = state.epoch else {
            throw Problem(
                status: 404,
                code: Problem.Codes.notFound,
                title: "No key envelope",
                detail: state.keyID == nil
                    ? "the mailbox of \(school) has no key yet"
                    : "the hub holds no envelope of \(school)'s current key (epoch \(state.epoch ?? 0)) for \(peer.node)",
                remedy: "A node of the school that holds the key wraps it for this node at its next sync; sync again "
                    + "after that."
            )
        }
        return MailboxMessages.Envelope(envelope: bytes.base64EncodedString(), keyID: keyID, epoch: epoch)
    }

    private func run<T>(_ body: () throws -> T) throws(Problem) -> T {
        do {
            return try body()
        } catch let refusal as MailboxRefusal {
            throw Problem(refusal)
        } catch let error as StoreError {
            throw Problem(error)
        } catch {
            throw Problem(
                status: 500,
                code: Problem.Codes.internalError,
                title: "The hub failed",
                detail: "the hub could not complete the mailbox request: nothing was stored",
                remedy: "Retry later; if it persists, the hub's log says why."
            )
        }
    }
}

extension Problem {
    /// A refused mailbox request: 409 for a key or storage conflict, 422 for a recipient or range it cannot take.
    init(_ refusal: MailboxRefusal) {
        let status =
            switch refusal.code {
            case .oldKey, .keyNotCurrent, .mailboxFull: 409
            case .unknownRecipient, .invalidCovers: 422
            }
        self.init(
            status: status,
            code: refusal.code.rawValue,
            title: "The mailbox refused the request",
            detail: refusal.message,
            remedy: refusal.remedy
        )
    }
}
