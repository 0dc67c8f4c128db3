import SSTSync

/// How big each benchmark is. A row is one field value with its stamp (one field of the log, `sst_log`); the
/// synthetic records average about 6 fields each.
struct Sizes: Encodable {
    /// B1: field changes in the applied change set.
    var applyChanges: Int
    /// B6: the store sizes (rows already held) at which a change set is applied; the first is the baseline.
    var growthRows: [Int]
    /// B6: field changes in each applied change set (half new records, half edits of existing ones).
    var growthChanges: Int
    /// B7: rows of the store `sst status` and `sst dump` run on; dump also runs on a tenth of it.
    var commandRows: Int
    /// B5: field changes in the catch-up, and in each pushed batch.
    var wireChanges: Int
    var wireBatch: Int
    /// B2: field changes pending on the school node that catches up with the hub over HTTPS.
    var catchUpChanges: Int
    /// B2, B4: field changes per pushed batch (the protocol's default is 500).
    var syncBatch: Int
    /// B3: school nodes pushing at once, and field changes each pushes.
    var fanInNodes: Int
    var fanInChanges: Int
    /// B4: field changes pending on the node in the catch-up whose peak memory is measured; the baseline is a
    /// tenth of it.
    var memoryChanges: Int
    /// B9: field changes relayed from one node of a school to another through the hub's sealed mailbox, and sent
    /// directly between two nodes of the school for the baseline.
    var relayChanges: Int
    /// B10: field values the hub holds (a tenth of the pupils' consents have lapsed) when its whole-store
    /// consent sweep runs, and the pushes of the baseline, made with no sweep running.
    var sweepValues: Int
    var sweepBaselinePushes: Int
    /// B8: the district-sized hub's schools and pupils at each (100 field values a pupil), and the field changes
    /// each school's node has pending after the week's outage.
    var districtSchools: Int
    var districtPupils: Int
    var districtWeekChanges: Int

    static let standard = Sizes(
        applyChanges: 100_000,
        growthRows: [10_000, 100_000, 1_000_000],
        growthChanges: 10_000,
        commandRows: 100_000,
        wireChanges: 100_000,
        wireBatch: 500,
        catchUpChanges: 100_000,
        syncBatch: SyncProtocol.defaultBatchSize,
        fanInNodes: 200,
        fanInChanges: 500,
        memoryChanges: 1_000_000,
        relayChanges: 100_000,
        sweepValues: 10_000_000,
        sweepBaselinePushes: 500,
        districtSchools: 150,
        districtPupils: 2_000,
        districtWeekChanges: 3_000
    )

    /// Small enough for CI in a debug build (seconds): checks that everything runs, not how fast.
    static let tiny = Sizes(
        applyChanges: 2_000,
        growthRows: [500, 1_000, 2_000],
        growthChanges: 500,
        commandRows: 2_000,
        wireChanges: 1_000,
        wireBatch: 100,
        catchUpChanges: 1_000,
        syncBatch: 100,
        fanInNodes: 10,
        fanInChanges: 50,
        memoryChanges: 2_000,
        relayChanges: 1_000,
        sweepValues: 20_000,
        sweepBaselinePushes: 50,
        districtSchools: 3,
        districtPupils: 10,
        districtWeekChanges: 50
    )

    func capped(maxRows: Int?) -> Sizes {
        guard let maxRows else { return self }
        var sizes = self
        sizes.growthRows = growthRows.filter { $0 <= maxRows }
        if sizes.growthRows.isEmpty { sizes.growthRows = [maxRows] }
        return sizes
    }
}
