import Foundation
import Testing

@testable import SSTCore

@Suite struct ChangeValidatorTests {
    private static let now: UInt64 = 1_763_884_800_000
    private static let record = recordID("0b6f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4")
    private let validator = ChangeValidator(schema: .sst)

    private static func change(
        _ entity: String,
        _ field: String,
        _ value: Value,
        at milliseconds: UInt64 = now,
        context: CausalContext? = nil
    ) -> FieldChange {
        let stamp = stampAt(milliseconds, 0, node: "skola-a")
        return FieldChange(
            entity: entity,
            record: record,
            field: field,
            state: FieldState(value: value, stamp: stamp, context: context)
        )
    }

    private static func set(_ changes: [FieldChange]) -> ChangeSet {
        ChangeSet(origin: nodeID("skola-a"), side: .school, since: 0, upTo: Int64(changes.count), changes: changes)
    }

    /// The error validating `changes` throws against a clock at ``now``, or nil when they pass.
    private func problem(_ changes: FieldChange..., clock: HybridLogicalClock = HybridLogicalClock()) -> ChangeSetError?
    {
        do {
            try validator.validate(Self.set(changes), clock: clock, physical: Self.now)
            return nil
        } catch {
            return error
        }
    }

    @Test func validChangeSetPasses() {
        let plan = stampAt(Self.now, 0, node: "skola-a")
        #expect(
            problem(
                Self.change("pupil", "personnummer", .string("20130101-0003")),
                Self.change("pupil", "given_name", .string("Åsa")),
                Self.change("pupil", "grade", .integer(7)),
                Self.change("case", "phase", .phase(Phase(generation: 1, step: .planning))),
                Self.change("case", "plan", .string("Samtal varje vecka"), context: CausalContext(stamp: plan)),
                Self.change("consent", "status", .string("withdrawn")),
                Self.change("consent", "scopes", .list(["identity", "sst_case"])),
                Self.change("meeting", "held_at", .string("2025-03-14T08:30:00Z")),
                Self.change("guardian", "family_name", .null)
            ) == nil
        )
    }

    @Test func unknownEntityIsRefusedListingKnownEntities() throws {
        let error = try #require(problem(Self.change("elev", "given_name", .string("Åsa"))))
        #expect(error.code == .unknownEntity)
        #expect(error.message.contains("no entity \"elev\""))
        #expect(error.message.contains("pupil, guardian, consent"))
    }

    @Test func unknownFieldIsRefusedNamingIt() throws {
        let error = try #require(problem(Self.change("pupil", "shoe_size", .integer(38))))
        #expect(error.code == .unknownField)
        #expect(error.message.contains("pupil has no field \"shoe_size\""))
    }

    @Test(arguments: [
        ("pupil", "grade", Value.string("nio")),
        ("pupil", "grade", .integer(11)),
        ("pupil", "personnummer", .string("130101-0000")),
        ("pupil", "given_name", .string("Åsa\nÖberg")),
        ("case", "phase", .string("1:planning")),
        ("consent", "status", .string("revoked")),
        ("consent", "scopes", .list(["health"])),
        ("guardian", "pupil_id", .string("20130101-0003")),
        ("pupil", "_deleted", .string("ja")),
    ])
    func valueOfWrongTypeIsInvalid(entity: String, field: String, value: Value) throws {
        let error = try #require(problem(Self.change(entity, field, value)), "accepted \(entity).\(field) = \(value)")
        #expect(error.code == .invalidValue)
        #expect(error.message.contains("\(entity) \(Self.record) \(field)"))
    }

    @Test(arguments: [Value.boolean(false), .null])
    func purgeMarkerThatIsNotTrueIsInvalid(value: Value) throws {
        let error = try #require(problem(Self.change("pupil", "_purged", value)))
        #expect(error.code == .invalidValue)
        #expect(error.message.contains("purge"))
    }

    @Test(arguments: [("pupil", "given_name"), ("case", "phase"), ("consent", "status"), ("pupil", "_deleted")])
    func contextOnNonTextFieldIsInvalid(entity: String, field: String) throws {
        let type = try #require(Schema.sst.entity(named: entity)?.field(named: field)?.type)
        let value: Value =
            switch type {
            case .phase: .phase(Phase(generation: 1, step: .opened))
            case .boolean: .boolean(true)
            case .enumeration(let allowed): .string(allowed[0])
            default: .string("Åsa")
            }
        let context = CausalContext(stamp: stampAt(Self.now, 0, node: "skola-a"))
        #expect(problem(Self.change(entity, field, value)) == nil)
        let error = try #require(problem(Self.change(entity, field, value, context: context)))
        #expect(error.code == .invalidValue)
        #expect(error.message.contains("only text fields carry a context"))
    }

    @Test func stampBeyondClockOffsetIsClockAheadNamingOffsetAndNode() throws {
        let ahead = Self.change("pupil", "given_name", .string("Åsa"), at: Self.now + 300_001)
        let error = try #require(problem(ahead))
        #expect(error.code == .clockAhead)
        #expect(error.message.contains("the allowed offset is 5 min"))
        #expect(error.message.contains("skola-a"))
        #expect(error.remedy.contains("NTP"))
    }

    @Test func stampExactlyAtClockOffsetPasses() {
        #expect(problem(Self.change("pupil", "given_name", .string("Åsa"), at: Self.now + 300_000)) == nil)
    }

    @Test func clockOffsetComesFromTheReceivingClock() throws {
        let change = Self.change("pupil", "given_name", .string("Åsa"), at: Self.now + 60_000)
        #expect(problem(change) == nil)
        let strict = HybridLogicalClock(maxOffsetMilliseconds: 30_000)
        let error = try #require(problem(change, clock: strict))
        #expect(error.code == .clockAhead)
        #expect(error.message.contains("the allowed offset is 30 s"))
    }

    @Test(arguments: Schema.sst.entities.map(\.name))
    func deletedAndPurgedAreFieldsOfEveryEntity(entity: String) {
        #expect(problem(Self.change(entity, "_deleted", .boolean(true))) == nil)
        #expect(problem(Self.change(entity, "_deleted", .boolean(false))) == nil)
        #expect(problem(Self.change(entity, "_purged", .boolean(true))) == nil)
    }

    @Test func firstProblemIsNamedByPosition() throws {
        let error = try #require(
            problem(
                Self.change("pupil", "given_name", .string("Åsa")),
                Self.change("pupil", "grade", .integer(3)),
                Self.change("pupil", "grade", .integer(-1)),
                Self.change("elev", "given_name", .string("Björn"))
            )
        )
        #expect(error.code == .invalidValue)
        #expect(error.message.hasPrefix("change 2 (pupil \(Self.record) grade)"))
    }

    @Test func originThatIsNotANodeIDIsCorrupt() throws {
        let valid = Self.set([Self.change("pupil", "given_name", .string("Åsa"))])
        let text = String(decoding: try ChangeSetCodec.encode(valid), as: UTF8.self)
        let damaged = text.replacingOccurrences(of: "\"origin\":\"skola-a\"", with: "\"origin\":\"skola a\"")
        let decoded = try ChangeSetCodec.decode(Data(damaged.utf8))
        let error = #expect(throws: ChangeSetError.self) {
            try validator.validate(decoded, clock: HybridLogicalClock(), physical: Self.now)
        }
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains("\"skola a\"") == true)
    }
}
