import SSTCore
import SSTPrivacy
import Testing

/// DESIGN §5, column "school → hub", one test per row of the table.
@Suite struct FilterToSocialTests {
    private static let pupilFields = World.fields("pupil")
    private static let guardianFields = World.fields("guardian")
    private static let caseRecords = ["case", "intervention", "meeting"].flatMap { entity in
        World.fields(entity).map { "\(entity).\($0)" }
    }

    /// Crosses with a consent of `scope`, is withheld naming the scope without it, and no other scope helps.
    private func expectConsentRow(_ entity: String, _ field: String, scope: String) throws {
        let none = try World.decide(entity, field, .toSocial, World.context())
        #expect(none.reason?.contains("no consent in force with scope \(scope)") == true, "\(entity).\(field)")
        let others = World.everyScope.subtracting([scope])
        let withOthers = try World.decide(entity, field, .toSocial, World.context(scopes: others))
        #expect(!withOthers.isAllowed, "\(entity).\(field) crossed without scope \(scope)")
        let context = World.context(scopes: [scope])
        let decision = try World.decide(entity, field, .toSocial, context)
        let consent = try #require(context.consentRecords.first)
        #expect(decision.allows(pupil: World.pupil, basis: .consent(scope: scope), consent: consent.id))
    }

    @Test(arguments: pupilFields)
    func pupilIdentityCrossesOnlyWithIdentityConsent(field: String) throws {
        try expectConsentRow("pupil", field, scope: "identity")
    }

    @Test(arguments: pupilFields)
    func pupilIdentityCrossesUnderLegalDutyWhenThePupilHasAReportOfConcern(field: String) throws {
        let decision = try World.decide("pupil", field, .toSocial, World.context(concernReport: true))
        #expect(decision.allows(pupil: World.pupil, basis: .legalDuty))
        let without = try World.decide("pupil", field, .toSocial, World.context())
        #expect(without.reason?.contains("no report of concern") == true)
    }

    @Test(arguments: guardianFields)
    func guardiansCrossOnlyWithIdentityConsent(field: String) throws {
        try expectConsentRow("guardian", field, scope: "identity")
    }

    @Test(arguments: guardianFields)
    func aReportOfConcernDoesNotCarryTheGuardians(field: String) throws {
        let decision = try World.decide("guardian", field, .toSocial, World.context(concernReport: true))
        #expect(!decision.isAllowed)
    }

    @Test(arguments: World.fields("absence"))
    func absenceCrossesOnlyWithAbsenceConsent(field: String) throws {
        try expectConsentRow("absence", field, scope: "absence")
    }

    @Test(arguments: World.fields("school_assessment"))
    func schoolAssessmentCrossesOnlyWithSchoolAssessmentConsent(field: String) throws {
        try expectConsentRow("school_assessment", field, scope: "school_assessment")
    }

    @Test(arguments: World.fields("health_note"))
    func healthNotesNeverCrossEvenWithEveryConsentAndAReportOfConcern(field: String) throws {
        let context = World.context(scopes: World.everyScope, concernReport: true)
        let decision = try World.decide("health_note", field, .toSocial, context)
        #expect(decision.reason?.contains("never") == true)
    }

    @Test(arguments: caseRecords)
    func caseInterventionsAndMeetingsCrossWithSSTCaseConsent(name: String) throws {
        let parts = name.split(separator: ".").map(String.init)
        try expectConsentRow(parts[0], parts[1], scope: "sst_case")
    }

    @Test(arguments: ["intervention", "meeting"])
    func interventionsAndMeetingsOfAnUnknownCaseAreWithheld(entity: String) throws {
        var context = World.context(scopes: World.everyScope)
        context.caseOfRecord[World.record(entity)] = nil
        let decision = try World.decide(entity, World.fields(entity)[0], .toSocial, context)
        #expect(decision.reason?.contains("not known") == true)
    }

    @Test(arguments: ["social_investigation", "social_support"].flatMap { e in World.fields(e).map { "\(e).\($0)" } })
    func socialServicesRecordsNeverCrossToSocialServicesFromASchool(name: String) throws {
        let parts = name.split(separator: ".").map(String.init)
        let context = World.context(scopes: World.everyScope, concernReport: true)
        let decision = try World.decide(parts[0], parts[1], .toSocial, context)
        #expect(decision.reason?.contains("\(name) never crosses school → social services") == true)
    }

    @Test(arguments: ["pupil_id", "concern", "reported_by", "reported_at"])
    func aReportOfConcernAlwaysCrossesUnderLegalDuty(field: String) throws {
        for context in [World.context(), World.context(scopes: World.everyScope, protectedIdentity: true)] {
            let decision = try World.decide("concern_report", field, .toSocial, context)
            #expect(decision.allows(pupil: World.pupil, basis: .legalDuty))
        }
    }

    @Test(arguments: ["received_at", "investigation_opened"])
    func theReceiptOfAReportOfConcernIsNotSentToSocialServices(field: String) throws {
        let context = World.context(scopes: World.everyScope, concernReport: true)
        #expect(try World.decide("concern_report", field, .toSocial, context).reason?.contains("never") == true)
    }

    @Test(arguments: World.fields("consent").filter { $0 != "pupil_view" })
    func consentRecordsCrossAsAdministrativeBookkeeping(field: String) throws {
        let decision = try World.decide("consent", field, .toSocial, World.context())
        #expect(decision.allows(pupil: World.pupil, basis: .administrative))
        #expect(decision.grant?.description == "administrative")
    }

    @Test func theChildsViewRecordedWithAConsentNeverCrosses() throws {
        let context = World.context(scopes: World.everyScope, concernReport: true)
        let decision = try World.decide("consent", "pupil_view", .toSocial, context)
        #expect(decision.reason?.contains("consent.pupil_view never crosses") == true)
    }

    @Test func aGrantNamesTheConsentInForce() throws {
        let context = World.context(scopes: ["identity"])
        let decision = try World.decide("pupil", "personnummer", .toSocial, context)
        let grant = try #require(decision.grant)
        #expect(grant.consent == World.consentID(1))
        #expect(grant.description == "consent:identity \(World.consentID(1))")
    }

    @Test func withConsentAndAReportOfConcernTheConsentIsNamed() throws {
        let context = World.context(scopes: ["identity"], concernReport: true)
        let decision = try World.decide("pupil", "given_name", .toSocial, context)
        #expect(decision.grant?.consent == World.consentID(1))
    }

    @Test func filterSplitsChangesAndGivesEachWithheldOneItsReason() throws {
        let changes = [
            World.change("case", "plan"), World.change("health_note", "text"), World.change("absence", "period_start"),
            World.change("concern_report", "concern"),
        ]
        let result = try World.filter.filter(
            changes,
            direction: .toSocial,
            context: World.context(scopes: ["sst_case"])
        )
        #expect(result.allowed.map(\.change) == [changes[0], changes[3]])
        #expect(result.allowed.map(\.pupil) == [World.pupil, World.pupil])
        #expect(result.withheld.map(\.change) == [changes[1], changes[2]])
        #expect(result.withheld[0].reason.contains("health_note.text never crosses school → social services"))
        #expect(result.withheld[1].reason.contains("scope absence"))
    }

    @Test func aFieldNotInTheSchemaIsWithheld() throws {
        let decision = try World.decide("pupil", "shoe_size", .toSocial, World.context(scopes: World.everyScope))
        #expect(decision.reason?.contains("pupil.shoe_size is not in the schema") == true)
        let entity = try World.filter.decide(
            World.change("teacher", "name", record: World.pupil),
            direction: .toSocial,
            context: World.context(scopes: World.everyScope)
        )
        #expect(!entity.isAllowed)
    }
}
