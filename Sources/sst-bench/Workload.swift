import Foundation
import SSTCore

/// Synthetic SST data for the benchmarks: pupils, guardians, absence periods and cases with fake
/// Swedish names and personnummer, stamped by one node with an increasing hybrid logical clock.
///
/// The same seed gives the same records, values and stamps, so every figure of a run (and every run)
/// measures the same work.
struct Workload {
    /// The node that wrote the synthetic changes.
    static let origin = NodeID("ekbacken-1")!
    /// A second writer, whose concurrent text writes leave conflicts.
    static let otherWriter = NodeID("ekbacken-3")!

    /// The school the pupils are registered at (a hub takes a school's pupils only from that school's nodes).
    var school = "Ekbackens skola"
    var stadsdel = "Södermalm"
    /// The node whose stamps the changes carry.
    var writer = Workload.origin

    private var random: SplitMix64
    private var nextMilliseconds: UInt64
    private var nextPupil = 0
    private var pending: [FieldChange] = []
    /// With consent: no pupil has protected identity, and each family's consent record is kept here.
    private let consented: Bool
    private var consents: [FieldChange] = []
    /// With consent: each family's consent record comes first among its changes instead of being kept apart.
    var inlineConsents = false
    /// Absence periods of each family, a week apart from 7 September (B8's year of history has more).
    var absencePeriods = 2
    /// How far apart the records' stamps are (B8 spreads a year of history).
    var millisecondsPerRecord: UInt64 = 1

    /// `startMilliseconds` should be in the past (stamps from the future are refused by the store);
    /// each record gets the next millisecond.
    init(seed: UInt64, startMilliseconds: UInt64) {
        random = SplitMix64(seed: seed)
        nextMilliseconds = startMilliseconds
        consented = false
    }

    /// A workload whose data the default privacy policy lets cross from the school to the hub: each pupil's
    /// guardian consented (scopes `identity`, `absence` and `sst_case`, active, valid today) and no pupil has
    /// protected identity. See ``consentedChanges(_:)``.
    init(consentedSeed seed: UInt64, startMilliseconds: UInt64, school: String, stadsdel: String, writer: NodeID) {
        random = SplitMix64(seed: seed)
        nextMilliseconds = startMilliseconds
        consented = true
        self.school = school
        self.stadsdel = stadsdel
        self.writer = writer
    }

    /// A start an hour ago, so that no stamp of a workload of up to ~3.6 million records is in the future.
    static func defaultStart() -> UInt64 {
        UInt64(Date().timeIntervalSince1970 * 1000) - 3_600_000
    }

    /// The next `count` field changes: whole new records, each written with one stamp.
    mutating func newChanges(_ count: Int) -> [FieldChange] {
        var changes: [FieldChange] = []
        changes.reserveCapacity(count)
        while changes.count < count {
            if pending.isEmpty { pending = nextFamily() }
            let take = min(count - changes.count, pending.count)
            changes += pending.prefix(take)
            pending.removeFirst(take)
        }
        return changes
    }

    /// `count` field changes of pupils with consent (as ``newChanges(_:)``), and apart from them the consent
    /// records of those pupils (9 fields each), which a sync benchmark sends to the hub first.
    mutating func consentedChanges(_ count: Int) -> (consents: [FieldChange], data: [FieldChange]) {
        precondition(consented, "consentedChanges needs a workload made with init(consentedSeed:…)")
        let data = newChanges(count)
        defer { consents = [] }
        return (consents, data)
    }

    /// `count` later values for fields of the given existing changes (lww fields only), one stamp per
    /// record, as edits arriving after the records were created.
    mutating func edits(_ count: Int, of existing: [FieldChange]) -> [FieldChange] {
        let editable = existing.filter {
            [FieldName.grade, FieldName.className, FieldName.excusedMinutes, FieldName.phone].contains($0.field)
        }
        guard !editable.isEmpty else { return [] }
        var changes: [FieldChange] = []
        changes.reserveCapacity(count)
        var index = Int(random.next() % UInt64(editable.count))
        while changes.count < count {
            let old = editable[index % editable.count]
            index += 7919
            let value: Value =
                switch old.field {
                case FieldName.grade: .integer(Int64(4 + random.next() % 6))
                case FieldName.className: .string("\(4 + random.next() % 6)\(["A", "B", "C"][Int(random.next() % 3)])")
                case FieldName.phone: .string(phone())
                default: .integer(Int64(random.next() % 600))
                }
            let state = FieldState(value: value, stamp: nextStamp(writer))
            changes.append(FieldChange(entity: old.entity, record: old.record, field: old.field, state: state))
        }
        return changes
    }

    /// Concurrent overwrites of text fields by ``otherWriter`` (no context: it had not seen the value),
    /// which the store keeps as conflicts.
    mutating func concurrentTextWrites(of existing: [FieldChange], every stride: Int) -> [FieldChange] {
        let texts = existing.filter { $0.entity == EntityName.case && $0.field == FieldName.concern }
        return texts.enumerated().compactMap { index, old in
            guard index % max(1, stride) == 0 else { return nil }
            let state = FieldState(
                value: .string("Enligt mentor: frånvaron gäller främst måndagar."),
                stamp: Stamp(timestamp: old.stamp.timestamp, node: Self.otherWriter)
            )
            return FieldChange(entity: old.entity, record: old.record, field: old.field, state: state)
        }
    }

    // MARK: Records

    /// One pupil with a guardian, ``absencePeriods`` absence periods (by default two) and a case:
    /// 8 + 6 + 6 × periods + 5 (31 by default) field changes, and 9 more for the consent of a consented workload.
    private mutating func nextFamily() -> [FieldChange] {
        nextPupil += 1
        let pupil = RecordID.random(using: &random)
        let guardian = consented ? RecordID.random(using: &random) : nil
        let consentRecord = guardian.map { consent(pupil: pupil, guardian: $0) } ?? []
        let family = pick(Self.familyNames)
        let grade = Int64(4 + random.next() % 6)
        let birthYear = 2026 - 7 - Int(grade)
        let month = 1 + Int(random.next() % 12)
        let day = 1 + Int(random.next() % 28)
        let serial = Int(random.next() % 10_000) / 10  // The fourth digit is the check digit.
        let personnummer = Personnummer.number(year: birthYear, month: month, day: day, serial: serial)!
        var changes = record(
            EntityName.pupil,
            [
                (FieldName.personnummer, .string(personnummer)), (FieldName.givenName, .string(pick(Self.givenNames))),
                (FieldName.familyName, .string(family)), (FieldName.grade, .integer(grade)),
                (FieldName.className, .string("\(grade)\(["A", "B", "C"][Int(random.next() % 3)])")),
                (FieldName.school, .string(school)), (FieldName.stadsdel, .string(stadsdel)),
                (FieldName.protectedIdentity, .boolean(random.next() % 50 == 0 && !consented)),
            ],
            id: pupil
        )
        let guardianName = pick(Self.givenNames)
        changes += record(
            EntityName.guardian,
            [
                (FieldName.pupilID, .string(pupil.rawValue)), (FieldName.givenName, .string(guardianName)),
                (FieldName.familyName, .string(family)), (FieldName.phone, .string(phone())),
                (FieldName.email, .string("\(guardianName.lowercased()).\(nextPupil)@example.se")),
                (FieldName.hasCustody, .boolean(true)),
            ],
            id: guardian
        )
        for week in 0..<absencePeriods {
            let scheduled = Int64(1200 + random.next() % 400)
            changes += record(
                EntityName.absence,
                [
                    (FieldName.pupilID, .string(pupil.rawValue)),
                    (FieldName.periodStart, .string(Self.day(7 * week))),
                    (FieldName.periodEnd, .string(Self.day(7 * week + 4))),
                    (FieldName.scheduledMinutes, .integer(scheduled)),
                    (FieldName.excusedMinutes, .integer(Int64(random.next() % 300))),
                    (FieldName.unexcusedMinutes, .integer(Int64(random.next() % 300))),
                ]
            )
        }
        changes += record(
            EntityName.case,
            [
                (FieldName.pupilID, .string(pupil.rawValue)), (FieldName.category, .string("absence")),
                (FieldName.phase, .phase(Phase(generation: 1, step: .noticed))),
                (FieldName.concern, .string(pick(Self.concerns))),
                (FieldName.openedAt, .string("2026-10-0\(1 + random.next() % 9)")),
            ]
        )
        if inlineConsents { return consentRecord + changes }
        consents += consentRecord
        return changes
    }

    /// An active consent of the pupil's guardian to the scopes the family's records need, valid from a month
    /// ago for a year (dates in UTC, far enough from today for any receiver's time zone).
    private mutating func consent(pupil: RecordID, guardian: RecordID) -> [FieldChange] {
        record(
            EntityName.consent,
            [
                (FieldName.pupilID, .string(pupil.rawValue)),
                (FieldName.scopes, .list(["identity", "absence", "sst_case"])),
                (FieldName.purpose, .string("Skolsocialt team")), (FieldName.givenBy, .list([guardian.rawValue])),
                (FieldName.method, .string("written")), (FieldName.validFrom, .string(Self.consentValidity.from)),
                (FieldName.validUntil, .string(Self.consentValidity.until)),
                (FieldName.status, .string("active")), (FieldName.recordedBy, .string("Kurator Ingrid Ek")),
            ]
        )
    }

    /// From a month ago to 300 days ahead.
    private static let consentValidity = (
        from: date(Date(timeIntervalSinceNow: -30 * 86_400)), until: date(Date(timeIntervalSinceNow: 300 * 86_400))
    )

    /// `YYYY-MM-DD` of the day `offset` days after Monday 7 September 2026.
    private static func day(_ offset: Int) -> String {
        date(Date(timeIntervalSince1970: 1_788_739_200 + Double(offset) * 86_400))
    }

    /// `YYYY-MM-DD` in UTC.
    private static func date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// One record's fields, all with one new stamp (as one `sst record set` writes them).
    private mutating func record(_ entity: String, _ fields: [(String, Value)], id: RecordID? = nil) -> [FieldChange] {
        guard !fields.isEmpty else { return [] }
        let record = id ?? RecordID.random(using: &random)
        let stamp = nextStamp(writer)
        return fields.map { name, value in
            FieldChange(entity: entity, record: record, field: name, state: FieldState(value: value, stamp: stamp))
        }
    }

    private mutating func nextStamp(_ node: NodeID) -> Stamp {
        nextMilliseconds += millisecondsPerRecord
        return Stamp(timestamp: Timestamp(milliseconds: nextMilliseconds, counter: 0), node: node)
    }

    private mutating func pick(_ names: [String]) -> String {
        names[Int(random.next() % UInt64(names.count))]
    }

    private mutating func phone() -> String {
        String(
            format: "070-%03d %02d %02d",
            Int(random.next() % 1000),
            Int(random.next() % 100),
            Int(random.next() % 100)
        )
    }

    static let givenNames = [
        "Åsa", "Björn", "Elsa", "Örjan", "Linnea", "Oskar", "Maja", "Hugo", "Saga", "Ali", "Amira", "Noah",
        "Ebba", "Liam", "Alva", "Yusuf", "Selma", "Elias", "Wilma", "Matteo",
    ]
    static let familyNames = [
        "Öberg", "Lindqvist", "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson",
        "Åkesson", "Ahmed", "Hassan", "Berg", "Sjöberg", "Lundgren", "Bergström", "Falk",
    ]
    static let concerns = [
        "Hög ströfrånvaro sedan höstlovet, främst första lektionen.",
        "Upprepad frånvaro på idrotten; eleven uppger magont.",
        "Vårdnadshavare oroliga för skolvägran efter byte av klass.",
        "Frånvaro över 20 % under september; mentor har pratat med eleven.",
    ]
}

/// A small, fast, deterministic random number generator (Steele, Lea and Flood's SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
