extension SyncSession {
    /// What is wrong with a handshake answer, or `nil`: the protocol version, the clocks (each side refuses
    /// stamps further ahead of its clock than the allowed offset), and a hub that has more of this node's
    /// changes than the node itself, or than an `sst backup` copy had (a node restored from an old backup would
    /// reuse sequence numbers), a hub that holds at its cursor a batch this node never sent (this data directory
    /// is a copy whose log went on elsewhere), and a hub
    /// whose log ends before what this node pulled (a hub restored from an old backup would too).
    static func check(_ response: HandshakeResponse, local: Local) -> SyncFailure? {
        guard response.protocolVersion == SyncProtocol.version else {
            return SyncFailure(
                .protocolError,
                "the hub answered in sync protocol version \(response.protocolVersion); this node speaks "
                    + "version \(SyncProtocol.version)",
                remedy: "Run the same SST Sync version on the node and the hub."
            )
        }
        let offset = response.maxClockOffset
        if response.serverTime > local.receivedAt + offset {
            return SyncFailure(
                .clock,
                "this node's clock is \(DurationText.milliseconds(response.serverTime - local.receivedAt)) behind the "
                    + "hub's; the allowed offset is \(DurationText.milliseconds(offset))",
                remedy: "Fix this node's clock (NTP). Its changes wait here and sync once the clocks agree."
            )
        }
        if local.sentAt > response.serverTime + offset {
            return SyncFailure(
                .clock,
                "this node's clock is \(DurationText.milliseconds(local.sentAt - response.serverTime)) ahead of the "
                    + "hub's; the allowed offset is \(DurationText.milliseconds(offset))",
                remedy: "Fix this node's clock (NTP). Its changes wait here and sync once the clocks agree."
            )
        }
        let rejoin = Self.rejoinRemedy
        if let backupEnd = local.backupEnd, response.cursor > backupEnd {
            return SyncFailure(
                .local,
                "this database was restored from a backup whose log ended at \(backupEnd), but the hub has this "
                    + "node's changes up to \(response.cursor): the node synced after the backup was taken, and its "
                    + "changes since the restore would reuse those sequence numbers",
                remedy: rejoin
            )
        }
        if response.cursor > local.lastSequence {
            return SyncFailure(
                .local,
                "the hub has this node's changes up to \(response.cursor), but this node's log ends at "
                    + "\(local.lastSequence): the node's database is older than what it sent (restored from a backup?)",
                remedy: rejoin
            )
        }
        // A restored `sst backup` the hub has nothing past holds the node's log up to the cursor (checked above).
        if local.backupEnd == nil, let fingerprint = response.cursorFingerprint,
            !local.fingerprintsAtCursor.contains(fingerprint)
        {
            return SyncFailure(
                .local,
                "the hub has this node's changes up to \(response.cursor), but not as this database sent them "
                    + "(\(Problem.Codes.restored)): this data directory is a copy of the node (`cp`, a VM snapshot) whose log "
                    + "went on elsewhere, and its own changes numbered up to \(response.cursor) would be skipped; "
                    + "nothing was exchanged",
                remedy: Self.copiedRemedy
            )
        }
        if response.hubSequence < local.hubCursor {
            return SyncFailure(
                .protocolError,
                "this node has the hub's changes up to \(local.hubCursor), but the hub's log ends at "
                    + "\(response.hubSequence): the hub was restored from a backup taken before this node's last sync",
                remedy: "Nothing was exchanged. The hub's administrators give it a new node id (`sst node rejoin "
                    + "--data HUB-DIR --node-id NEW-ID` with a hub certificate for it); this node then syncs "
                    + "everything again once told to follow the new id: `sst sync --accept-hub NEW-ID` (or "
                    + "`sst node serve … --accept-hub NEW-ID`)."
            )
        }
        return nil
    }

    /// What a node restored from a backup older than its last sync does (the `rejoin` remedy).
    static let rejoinRemedy =
        "Keep this database but give the node a new id: `sst node rejoin --data DIR --node-id NEW-ID`, then a "
        + "certificate for that id (`sst pki issue`); it then pushes its log again and pulls back what it sent "
        + "after the backup."

    /// What a copied data directory whose log went on elsewhere does (`restored`): the same steps.
    static let copiedRemedy =
        "Keep this database but give the node a new id: `sst node rejoin --data DIR --node-id NEW-ID`, then a "
        + "certificate for that id (`sst pki issue`); it then pushes its whole log again, so every change it holds "
        + "reaches the hub, and pulls back what the other copy sent. Stop using the other copy, or rejoin it too."
}
