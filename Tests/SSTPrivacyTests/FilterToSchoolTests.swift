import SSTCore
import SSTPrivacy
import Testing

/// DESIGN §5, column "hub → school", one test per row of the table.
@Suite struct FilterToSchoolTests {
    /// Rows whose "hub → school" cell is "—" or "never": nothing crosses, whatever the consents.
    private static let neverToSchool =
        [
            "pupil", "guardian", "consent", "absence", "school_assessment", "health_note", "social_investigation",
        ].flatMap { entity in World.fields(entity).map { "\(entity).\($0)" } } + ["social_support.decision_notes"]

    private static let caseRecords = ["case", "intervention", "meeting"].flatMap { entity in
        World.fields(entity).map { "\(entity).\($0)" }
    }

    private static func split(_ name: String) -> (String, String) {
        let parts = name.split(separator: ".").map(String.init)
        return (parts[0], parts[1])
    }

    @Test(arguments: neverToSchool)
    func schoolRowsAndSocialInvestigationNeverCrossToTheSchool(name: String) throws {
        let (entity, field) = Self.split(name)
        let context = World.context(scopes: World.everyScope, concernReport: true)
        let decision = try World.decide(entity, field, .toSchool, context)
        #expect(decision.reason?.contains("\(name) never crosses social services → school") == true, "\(name)")
    }

    @Test(arguments: caseRecords)
    func caseInterventionsAndMeetingsCrossToTheSchoolWithSSTCaseConsent(name: String) throws {
        let (entity, field) = Self.split(name)
        let none = try World.decide(entity, field, .toSchool, World.context(concernReport: true))
        #expect(none.reason?.contains("no consent in force with scope sst_case") == true, "\(name)")
        let others = World.everyScope.subtracting(["sst_case"])
        #expect(try !World.decide(entity, field, .toSchool, World.context(scopes: others)).isAllowed, "\(name)")
        let sstCaseID = World.consentID(4)
        let decision = try World.decide(entity, field, .toSchool, World.context(scopes: ["sst_case"]))
        #expect(decision.allows(pupil: World.pupil, basis: .consent(scope: "sst_case"), consent: sstCaseID), "\(name)")
    }

    @Test(arguments: ["pupil_id", "has_ongoing_support"])
    func onlyTheOngoingSupportFlagCrossesToTheSchoolWithItsConsent(field: String) throws {
        let none = try World.decide("social_support", field, .toSchool, World.context(concernReport: true))
        #expect(none.reason?.contains("no consent in force with scope social_support_flag") == true)
        let others = World.everyScope.subtracting(["social_support_flag"])
        #expect(try !World.decide("social_support", field, .toSchool, World.context(scopes: others)).isAllowed)
        let flagID = World.consentID(5)
        let decision = try World.decide(
            "social_support",
            field,
            .toSchool,
            World.context(scopes: ["social_support_flag"])
        )
        #expect(decision.allows(pupil: World.pupil, basis: .consent(scope: "social_support_flag"), consent: flagID))
    }

    @Test func decisionNotesStayEvenWithTheFlagConsent() throws {
        let context = World.context(scopes: ["social_support_flag"])
        #expect(try !World.decide("social_support", "decision_notes", .toSchool, context).isAllowed)
    }

    @Test(arguments: ["received_at", "investigation_opened"])
    func theSchoolLearnsReceiptAndWhetherAnInvestigationWasOpened(field: String) throws {
        let decision = try World.decide("concern_report", field, .toSchool, World.context())
        #expect(decision.allows(pupil: World.pupil, basis: .legalDuty))
    }

    @Test(arguments: ["pupil_id", "concern", "reported_by", "reported_at"])
    func nothingElseOfAReportOfConcernComesBack(field: String) throws {
        let context = World.context(scopes: World.everyScope, concernReport: true)
        #expect(try World.decide("concern_report", field, .toSchool, context).reason?.contains("never") == true)
    }

    @Test(arguments: World.fields("purge_receipt"), [Direction.toSocial, .toSchool])
    func purgeReceiptsCrossBothWaysAsBookkeeping(field: String, direction: Direction) throws {
        let decision = try World.decide("purge_receipt", field, direction, World.context())
        #expect(decision.allows(pupil: World.pupil, basis: .administrative))
    }
}
