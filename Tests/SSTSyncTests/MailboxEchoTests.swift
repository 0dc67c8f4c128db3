import Foundation
import SSTCore
import SSTSealing
import SSTStore
import SSTSync
import Testing

/// A node does not post back through the mailbox what it just took from it: each relayed change is stored at
/// the hub once, by the node that wrote it (or first relayed it), until a snapshot replaces it.
@Suite(.timeLimit(.minutes(10)))
struct MailboxEchoTests {
    @Test func whatANodeAppliedFromTheMailboxIsNotPostedBackButItsOwnWritesAre() async throws {
        let district = try TestDistrict()
        let hub = try TestNode("hub-1", role: .hub, stadsdel: "Södermalm", district: district)
        let school = "Ekbackens skola"
        let first = try TestNode("ekbacken-1", school: school, stadsdel: "Södermalm", district: district)
        let second = try TestNode("ekbacken-2", school: school, stadsdel: "Södermalm", district: district)
        let key = SchoolKey.generate(school: school, epoch: 1, now: first.clock.milliseconds())
        for node in [first, second] { try SchoolKeyFile.save(key, directory: node.dataDirectory) }
        let note = RecordID.random()
        try first.store.set(entity: "health_note", record: note, values: ["text": .string("Samtal med kuratorn.")])
        try await withHub(hub) { port in
            let posted = try await first.relaySync(port: port)
            #expect(posted.mailbox?.changesPosted == 1)
            let taken = try await second.relaySync(port: port)
            #expect(taken.mailbox?.changesApplied == 1)
            #expect(taken.mailbox?.changesPosted == 0, "ekbacken-2 posted back what it took from the mailbox")
            #expect(try await second.relaySync(port: port).mailbox?.changesPosted == 0)
            // Its own write still goes.
            try second.store.set(entity: "health_note", record: note, values: ["text": .string("Uppföljning.")])
            #expect(try await second.relaySync(port: port).mailbox?.changesPosted == 1)
            #expect(try await first.relaySync(port: port).mailbox?.changesApplied == 1)
        }
        #expect(try first.store.dumpText() == second.store.dumpText())
    }
}
