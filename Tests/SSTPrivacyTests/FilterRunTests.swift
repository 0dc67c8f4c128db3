import SSTCore
import SSTPrivacy
import Testing

/// `filter` decides a pupil's fields once per class of outcome and reuses the answer for the pupil's next
/// fields (see `PrivacyFilter.filter`); `decide` decides one change alone. Over random runs of several
/// pupils in different states — consents, reports, protection, records of unknown pupils, system fields,
/// a pupil's records split and interleaved — the run must give exactly what each change decided alone gives.
@Suite struct FilterRunTests {
    /// Pupils 1…6, each with a record of every entity, and a consent state drawn at random.
    struct District {
        var context = DictionaryContext(today: World.today)
        var records: [(entity: String, record: RecordID)] = []

        init(seed: UInt64) {
            var random = SplitMix64(seed: seed)
            for number in 1...6 {
                let pupil = recordID(number: number)
                let caseID = recordID(number: number * 0x100 + 0x80)
                for (index, entity) in Schema.sst.entities.enumerated() {
                    let record =
                        entity.name == "pupil"
                        ? pupil
                        : entity.name == "case" ? caseID : recordID(number: number * 0x100 + index)
                    if entity.name == "intervention" || entity.name == "meeting" {
                        context.caseOfRecord[record] = caseID
                    } else {
                        context.pupilOfRecord[record] = pupil
                    }
                    records.append((entity.name, record))
                }
                if Bool.random(using: &random) { context.protectedPupils.insert(pupil) }
                if Bool.random(using: &random) { context.concernPupils.insert(pupil) }
                for (index, scope) in Schema.consentScopes.enumerated() where Bool.random(using: &random) {
                    let lapsed = Int.random(in: 0..<4, using: &random) == 0
                    context.consentRecords.append(
                        World.consent(
                            number * 16 + index,
                            scopes: [scope],
                            until: lapsed ? "2025-03-31" : "2025-12-31",
                            pupil: pupil
                        )
                    )
                }
            }
            // Records whose pupil is not known here.
            for entity in ["guardian", "case", "intervention"] {
                records.append((entity, recordID(number: 0xF000 + records.count)))
            }
        }

        /// A run of changes: a record's fields together, a pupil's records mostly together, some shuffled.
        func changes(seed: UInt64) -> [FieldChange] {
            var random = SplitMix64(seed: seed ^ 0x5EED)
            var changes: [FieldChange] = []
            for _ in 0..<40 {
                let (entity, record) = records.randomElement(using: &random)!
                let schema = Schema.sst.entity(named: entity)!
                let names = schema.fields.map(\.name) + [Schema.deletedField, Schema.purgedField]
                for field in names.shuffled(using: &random).prefix(Int.random(in: 1...6, using: &random)) {
                    changes.append(World.change(entity, field, record: record))
                }
            }
            if Bool.random(using: &random) { changes.shuffle(using: &random) }
            return changes
        }
    }

    struct Decided: Equatable {
        let change: FieldChange
        let decision: PrivacyFilter.Decision
    }

    @Test(arguments: 0..<40)
    func aRunDecidesEveryChangeAsItWouldBeDecidedAlone(seed: UInt64) throws {
        let district = District(seed: seed)
        let changes = district.changes(seed: seed)
        for direction in [Direction.toSocial, .toSchool] {
            let run = try World.filter.filter(changes, direction: direction, context: district.context)
            var allowed: [Decided] = []
            var withheld: [Decided] = []
            for change in changes {
                let decision = try World.filter.decide(change, direction: direction, context: district.context)
                if case .allow = decision {
                    allowed.append(Decided(change: change, decision: decision))
                } else {
                    withheld.append(Decided(change: change, decision: decision))
                }
            }
            let runAllowed = run.allowed.map {
                Decided(change: $0.change, decision: .allow(pupil: $0.pupil, grant: $0.grant))
            }
            let runWithheld = run.withheld.map { Decided(change: $0.change, decision: .withhold(reason: $0.reason)) }
            #expect(runAllowed == allowed, "seed \(seed), \(direction.rawValue)")
            #expect(runWithheld == withheld, "seed \(seed), \(direction.rawValue)")
            #expect(!allowed.isEmpty && !withheld.isEmpty, "the run must mix both outcomes to test anything")
        }
    }
}
