import Foundation
import SSTCore
import SSTSealing
import SSTStore
import SSTSync
import SSTTestSupport
import Testing

/// Random histories over three nodes of one school and the hub, over real HTTPS: local writes of the school's own
/// data (a pupil without consent, elevhälsa notes, absence), direct syncs between two nodes, syncs with the hub
/// (whose sealed mailbox relays the school's data between its nodes) and change-set files, in any order. After
/// everything has reached everyone, the three nodes hold the same state, the one the reference model of DESIGN §3
/// computes from the writes alone — and the hub holds none of it in clear.
@Suite(.timeLimit(.minutes(6)))
struct SchoolNodesPropertyTests {
    static let school = "Ekbackens skola"
    static let marker = "EGEN-SKOLDATA-"

    @Test(arguments: [UInt64(11), 12, 13, 14, 15, 16])
    func directRelayedAndFileExchangesConvergeToTheReferenceModel(seed: UInt64) async throws {
        let district = try TestDistrict()
        let hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
        let nodes = try (1...3).map {
            try TestNode("ekbacken-\($0)", school: Self.school, stadsdel: "Södermalm", district: district)
        }
        // One school key, in every node's data directory (as `sst school-key import` leaves it).
        let key = SchoolKey.generate(school: Self.school, epoch: 1, now: nodes[0].clock.milliseconds())
        for node in nodes { try SchoolKeyFile.save(key, directory: node.dataDirectory) }
        let pupils = (0..<2).map { _ in RecordID.random() }
        let notes = (0..<2).map { _ in RecordID.random() }
        let absences = (0..<2).map { _ in RecordID.random() }
        let (writes, counts) = try await withHub(hub) { hubPort in
            try await withNodeListener(nodes[0], peers: true) { port0 in
                try await withNodeListener(nodes[1], peers: true) { port1 in
                    try await withNodeListener(nodes[2], peers: true) { port2 in
                        let ports = [port0, port1, port2]
                        var random = SplitMix64(seed: seed)
                        var writes: [FieldChange] = []
                        var counts = Counts()
                        // Every node syncs with the hub once first: the revocation list a serving node needs.
                        for node in nodes { try await node.relaySync(port: hubPort) }
                        for step in 0..<40 {
                            let node = Int(random.next() % 3)
                            switch random.next() % 8 {
                            case 0...3:
                                writes += try Self.write(
                                    on: nodes[node],
                                    step: step,
                                    pupils: pupils,
                                    notes: notes,
                                    absences: absences,
                                    &random
                                )
                            case 4, 5:
                                let other = (node + 1 + Int(random.next() % 2)) % 3
                                let result = try await Self.peerSync(nodes[node], port: ports[other])
                                if case .failure(let failure) = result { throw failure }
                                counts.direct += 1
                            case 6:
                                try await nodes[node].relaySync(port: hubPort)
                                counts.relayed += 1
                            default:
                                let other = (node + 1 + Int(random.next() % 2)) % 3
                                let since =
                                    random.next() % 2 == 0
                                    ? try nodes[other].store.cursor(for: nodes[node].identity.node) : 0
                                try nodes[other].store.apply(try nodes[node].store.exportChanges(since: since))
                                counts.files += 1
                            }
                        }
                        // Settle by one path alone, so that it must carry everything: through the hub's mailbox
                        // (each node twice around) for odd seeds, directly between every pair for even ones.
                        if seed % 2 == 1 {
                            for _ in 0..<2 {
                                for node in nodes { try await node.relaySync(port: hubPort) }
                            }
                        } else {
                            for _ in 0..<2 {
                                for (index, node) in nodes.enumerated() {
                                    for other in 0..<3 where other != index {
                                        if case .failure(let failure) = try await Self.peerSync(
                                            node,
                                            port: ports[other]
                                        ) {
                                            throw failure
                                        }
                                    }
                                }
                            }
                        }
                        return (writes, counts)
                    }
                }
            }
        }
        let dumps = try nodes.map { try Self.schoolDump($0.store) }
        #expect(Set(dumps).count == 1, "the school's nodes hold different states (seed \(seed))")
        let model = ReferenceModel(writes: writes, schema: .sst)
        for node in nodes {
            for (key, expected) in model.winners {
                let actual = try node.store.record(entity: key.entity, record: key.record)?[key.field]
                #expect(
                    actual?.stamp == expected.stamp && actual?.value == expected.value,
                    "\(node.identity.node): \(key.entity).\(key.field) is \(String(describing: actual)), expected \(expected)"
                )
            }
            let conflicts = try node.store.conflicts()
            for (key, expected) in model.conflicts {
                let found = conflicts.first {
                    $0.entity == key.entity && $0.record == key.record && $0.field == key.field
                }
                #expect(Set(found?.others.map(\.stamp) ?? []) == Set(expected.map(\.stamp)), "\(key)")
            }
        }
        // None of it crossed in clear: the pupils have no consent, elevhälsa notes never cross.
        for pupil in pupils { #expect(try hub.store.record(entity: "pupil", record: pupil) == nil) }
        for note in notes { #expect(try hub.store.record(entity: "health_note", record: note) == nil) }
        #expect(counts.direct > 0 && counts.relayed > 0 && counts.files > 0, "\(counts)")
    }

    /// How many exchanges of each kind a history made.
    struct Counts: Sendable, CustomStringConvertible {
        var direct = 0
        var relayed = 0
        var files = 0
        var description: String { "\(direct) direct, \(relayed) through the hub, \(files) by file" }
    }

    /// A local write of the school's own data: a pupil's name or grade, an elevhälsa note (text: concurrent
    /// overwrites become conflicts), an absence figure.
    static func write(
        on node: TestNode,
        step: Int,
        pupils: [RecordID],
        notes: [RecordID],
        absences: [RecordID],
        _ random: inout SplitMix64
    ) throws -> [FieldChange] {
        let pupil = pupils[Int(random.next() % 2)]
        switch random.next() % 4 {
        case 0:
            return try node.store.set(
                entity: "pupil",
                record: pupil,
                values: ["given_name": .string("\(marker)\(step)"), "school": .string(school)]
            )
        case 1:
            return try node.store.set(entity: "pupil", record: pupil, values: ["grade": .integer(Int64(step % 10))])
        case 2:
            return try node.store.set(
                entity: "health_note",
                record: notes[Int(random.next() % 2)],
                values: ["pupil_id": .string(pupil.rawValue), "text": .string("\(marker)anteckning \(step)")]
            )
        default:
            return try node.store.set(
                entity: "absence",
                record: absences[Int(random.next() % 2)],
                values: ["pupil_id": .string(pupil.rawValue), "unexcused_minutes": .integer(Int64(step * 10))]
            )
        }
    }

    /// The node's records of its own school's data, as `sst dump` shows them.
    static func schoolDump(_ store: Store) throws -> String {
        try store.dumpText()
    }

    /// Syncs `node` once with the node of its school listening at `port`, as `sst sync --peer` does.
    static func peerSync(_ node: TestNode, port: Int) async throws -> Result<SyncReport, SyncFailure> {
        try await NodeSynchronizer.withPeer(
            store: node.store,
            dataDirectory: node.dataDirectory,
            peer: NodeSynchronizer.PeerSettings(
                url: "https://127.0.0.1:\(port)",
                tls: node.tls,
                connectTimeout: .seconds(5)
            ),
            physicalClock: node.clock,
            logger: quietLogger
        ) { await $0.syncResult() }
    }
}
