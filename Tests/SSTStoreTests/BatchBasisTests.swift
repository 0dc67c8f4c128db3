import SSTCore
import SSTPrivacy
import Testing

@testable import SSTStore

/// A sync batch ends at a sequence number, but the crossing of a field in it can rest on a record written later:
/// a consent, a report of concern, or the `pupil_id` / `case_id` that ties the record to its pupil. The receiver
/// checks each set alone, so every batch must carry that basis along. Here the school and the hub sync batch by
/// batch at every batch size, and must end exactly where one unbatched sync ends.
@Suite struct BatchBasisTests {
    /// The school's writes, in an order that puts every basis after what it lets cross. (A consent granted
    /// here renumbers the pupil's records after it; a consent granted first does not.)
    struct Scenario {
        let pair: PrivacyPair
        /// Pupils whose identity crosses under a consent and under a report of concern, both written later.
        let consented: PrivacyPupil
        let reported: PrivacyPupil
        /// A case of `consented` whose intervention, then plan, were written before its `pupil_id`.
        let schoolCase: RecordID

        static func write() throws -> Scenario {
            let pair = try PrivacyPair.inMemory()
            let school = pair.school
            // Ylva's consent comes first; her case's intervention comes before the case names her.
            let ylva = try PrivacyPupil.write(on: school, ["given_name": .string("Ylva")])
            try ylva.grant(["sst_case"], on: school)
            // As the first export would: her consent in force is noted once, so what follows keeps its order.
            try school.resendForConsentsComingIntoForce()
            let ylvaCase = RecordID.random()
            try school.set(
                entity: "intervention",
                record: RecordID.random(),
                values: ["case_id": .string(ylvaCase.rawValue), "description": .string("Samtal med kurator")]
            )
            try school.set(entity: "case", record: ylvaCase, values: ["category": .string("absence")])

            let consented = try PrivacyPupil.write(on: school, ["given_name": .string("Björn")])
            let reported = try PrivacyPupil.write(on: school, ["given_name": .string("Märta")])
            let schoolCase = RecordID.random()
            try school.set(
                entity: "intervention",
                record: RecordID.random(),
                values: ["case_id": .string(schoolCase.rawValue), "description": .string("Närvarostöd varje morgon")]
            )
            try school.set(entity: "case", record: schoolCase, values: ["plan": .string("Samordnad plan")])
            _ = try PrivacyPupil.write(on: school, ["given_name": .string("Örjan")])  // nothing of his crosses
            try school.set(entity: "case", record: ylvaCase, values: ["pupil_id": .string(ylva.id.rawValue)])
            try school.set(entity: "case", record: schoolCase, values: ["pupil_id": .string(consented.id.rawValue)])
            try consented.grant(["identity", "sst_case"], on: school)
            try reported.add("concern_report", on: school, ["concern": .string("Lång frånvaro sedan vecka 36")])
            return Scenario(pair: pair, consented: consented, reported: reported, schoolCase: schoolCase)
        }
    }

    /// Sends from `sender` to `receiver` batch by batch, `limit` fields each, until the receiver has everything;
    /// returns the number of batches.
    @discardableResult
    static func sync(from sender: Store, to receiver: Store, limit: Int) throws -> Int {
        let toHub = try sender.identity().role == .school
        let (origin, senderPeer, receiverPeer) =
            toHub
            ? (PrivacyNodes.schoolNode, PrivacyNodes.schoolPeer, PrivacyNodes.hubPeer)
            : (PrivacyNodes.hubNode, PrivacyNodes.hubPeer, PrivacyNodes.schoolPeer)
        var batches = 0
        while true {
            let since = try receiver.cursor(for: origin)
            let export = try sender.exportChanges(
                forSide: toHub ? .social : .school,
                peer: receiverPeer,
                since: since,
                limit: limit
            )
            guard export.changeSet.upTo > since else { return batches }
            try receiver.apply(export.changeSet, from: senderPeer)
            batches += 1
            try #require(batches < 1_000, "the batches do not move the receiver's cursor")
        }
    }

    @Test func everyPushBatchSizeGivesTheHubWhatOneUnbatchedPushGives() throws {
        let scenario = try Scenario.write()
        let school = scenario.pair.school
        try scenario.pair.syncToHub()
        let expected = try scenario.pair.hub.dumpText()
        try #require(expected.contains("Björn") && expected.contains("Märta") && expected.contains("Samordnad plan"))
        try #require(expected.contains("Närvarostöd varje morgon") && expected.contains("Samtal med kurator"))
        try #require(!expected.contains("Örjan"))

        let fields = try school.exportChanges(since: 0).changes.count
        for limit in 1...fields {
            let hub = try Store.inMemory(
                identity: PrivacyNodes.hubIdentity,
                policy: .default,
                physicalClock: scenario.pair.hubClock
            )
            let batches = try Self.sync(from: school, to: hub, limit: limit)
            #expect(batches == (fields + limit - 1) / limit, "a batch holds `limit` fields of the sequence")
            #expect(try hub.dumpText() == expected, "the hub differs after batches of \(limit)")
        }
    }

    @Test func everyPullBatchSizeBringsTheSchoolTheHubsCase() throws {
        for limit in [1, 2, 3, 5, 8, 13] {
            let scenario = try Scenario.write()
            try scenario.pair.syncToHub()
            let hubCase = RecordID.random()
            let hub = scenario.pair.hub
            // Social services write a case for Björn at the hub, its plan before its pupil_id.
            try hub.set(entity: "case", record: hubCase, values: ["plan": .string("Socialtjänstens plan")])
            try hub.set(entity: "case", record: hubCase, values: ["pupil_id": .string(scenario.consented.id.rawValue)])
            try Self.sync(from: hub, to: scenario.pair.school, limit: limit)
            let received = try #require(try scenario.pair.school.record(entity: "case", record: hubCase))
            #expect(received["plan"]?.value == .string("Socialtjänstens plan"), "batches of \(limit)")
            #expect(received["pupil_id"]?.value == .string(scenario.consented.id.rawValue), "batches of \(limit)")
        }
    }
}
