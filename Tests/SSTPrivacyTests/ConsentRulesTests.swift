import SSTCore
import SSTPrivacy
import Testing

/// DESIGN §5 consent rules: joint custody, the child's view, the pupil's own consent, validity.
@Suite struct ConsentRulesTests {
    private static let mother = recordID(number: 0xA1)
    private static let father = recordID(number: 0xA2)
    private static let stepParent = recordID(number: 0xA3)
    private static let stranger = recordID(number: 0xBAD)
    /// Joint custody, and a guardian without custody.
    private static let family = [
        GuardianInfo(id: mother, hasCustody: true), GuardianInfo(id: father, hasCustody: true),
        GuardianInfo(id: stepParent, hasCustody: false),
    ]

    private func status(
        _ answers: ConsentAnswers,
        guardians: [GuardianInfo] = family,
        age: Int? = 10,
        settings: Policy.Settings = Policy.default.settings
    ) throws(ConsentError) -> String {
        try ConsentRules.status(answers: answers, guardians: guardians, pupilAge: age, settings: settings)
    }

    /// The error `body` throws, nil when it throws none; anything but a ``ConsentError`` is an issue.
    private func consentError(_ body: () throws -> some Any) -> ConsentError? {
        do {
            _ = try body()
            return nil
        } catch let error as ConsentError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func aPupilWithoutCustodiansCannotConsent() {
        let none = consentError { try status(ConsentAnswers(givenBy: []), guardians: []) }
        #expect(none?.message.contains("no guardian with custody") == true)
        let noCustody = [GuardianInfo(id: Self.stepParent, hasCustody: false)]
        let onlyStepParent = consentError {
            try status(ConsentAnswers(givenBy: [Self.stepParent]), guardians: noCustody)
        }
        #expect(onlyStepParent?.message.contains("no guardian with custody") == true)
        #expect(onlyStepParent?.description.contains("Nothing was recorded") == true)
    }

    @Test func aYesOrNoFromSomeoneWhoIsNotTheirGuardianIsAnError() {
        let yes = consentError { try status(ConsentAnswers(givenBy: [Self.mother, Self.stranger])) }
        #expect(yes?.message.contains("\(Self.stranger) is not a guardian of this pupil") == true)
        let no = consentError { try status(ConsentAnswers(givenBy: [Self.mother], refusedBy: [Self.stranger])) }
        #expect(no?.message.contains(Self.stranger.rawValue) == true)
    }

    @Test func jointCustodyIsPendingUntilEveryCustodianSaidYes() throws {
        #expect(try status(ConsentAnswers(givenBy: [])) == "pending")
        #expect(try status(ConsentAnswers(givenBy: [Self.mother])) == "pending")
        #expect(try status(ConsentAnswers(givenBy: [Self.father, Self.stepParent])) == "pending")
        #expect(try status(ConsentAnswers(givenBy: [Self.mother, Self.father])) == "active")
    }

    @Test func aGuardianWithoutCustodyNeedNotSayYes() throws {
        #expect(try status(ConsentAnswers(givenBy: [Self.father, Self.mother])) == "active")
        let soleCustody = [
            GuardianInfo(id: Self.mother, hasCustody: true), GuardianInfo(id: Self.father, hasCustody: false),
        ]
        #expect(try status(ConsentAnswers(givenBy: [Self.mother]), guardians: soleCustody) == "active")
    }

    @Test(arguments: [mother, father, stepParent])
    func anyGuardiansNoRefuses(guardian: RecordID) throws {
        let answers = ConsentAnswers(
            givenBy: [Self.mother, Self.father].filter { $0 != guardian },
            refusedBy: [guardian]
        )
        #expect(try status(answers) == "refused")
    }

    @Test(arguments: [12, 13, 14, 15, 17])
    func fromTwelveTheChildsViewMustBeRecorded(age: Int) {
        let both = [Self.mother, Self.father]
        let missing = consentError { try status(ConsentAnswers(givenBy: both, pupilConsent: true), age: age) }
        #expect(missing?.message.contains("child's view") == true)
        let empty = consentError {
            try status(ConsentAnswers(givenBy: both, pupilView: "", pupilConsent: true), age: age)
        }
        #expect(empty != nil)
        let given = consentError {
            try status(ConsentAnswers(givenBy: both, pupilView: "Vill ha stöd.", pupilConsent: true), age: age)
        }
        #expect(given == nil)
    }

    @Test func underTwelveNoViewIsNeeded() throws {
        #expect(try status(ConsentAnswers(givenBy: [Self.mother, Self.father]), age: 11) == "active")
    }

    @Test(arguments: [15, 16, 18])
    func fromFifteenThePupilsOwnConsentIsAlsoRequired(age: Int) throws {
        let both = [Self.mother, Self.father]
        #expect(try status(ConsentAnswers(givenBy: both, pupilView: "Okej."), age: age) == "pending")
        #expect(try status(ConsentAnswers(givenBy: both, pupilView: "Okej.", pupilConsent: true), age: age) == "active")
        #expect(
            try status(ConsentAnswers(givenBy: [Self.mother], pupilView: "Okej.", pupilConsent: true), age: age)
                == "pending"
        )
    }

    @Test func atFourteenThePupilsConsentIsNotRequired() throws {
        let answers = ConsentAnswers(givenBy: [Self.mother, Self.father], pupilView: "Okej.")
        #expect(try status(answers, age: 14) == "active")
    }

    @Test func thePupilsNoRefuses() throws {
        let answers = ConsentAnswers(givenBy: [Self.mother, Self.father], pupilView: "Nej.", pupilConsent: false)
        #expect(try status(answers, age: 15) == "refused")
    }

    @Test func anUnknownAgeIsAnError() {
        let unknown = consentError { try status(ConsentAnswers(givenBy: [Self.mother, Self.father]), age: nil) }
        #expect(unknown?.message.contains("age is unknown") == true)
    }

    @Test func theAgesComeFromThePolicySettings() throws {
        let younger = settings(childViewFromAge: 10, pupilConsentFromAge: 13)
        let both = [Self.mother, Self.father]
        #expect(consentError { try status(ConsentAnswers(givenBy: both), age: 10, settings: younger) } != nil)
        #expect(try status(ConsentAnswers(givenBy: both, pupilView: "Ja."), age: 13, settings: younger) == "pending")
    }

    @Test func validityDefaultsToTodayAndTwelveMonths() throws {
        let today = civilDate("2025-06-15")
        let period = try ConsentRules.validity(from: nil, until: nil, today: today, settings: Policy.default.settings)
        #expect(period.from == today)
        #expect(period.until == civilDate("2026-06-15"))
        let later = try ConsentRules.validity(
            from: civilDate("2025-09-01"),
            until: nil,
            today: today,
            settings: Policy.default.settings
        )
        #expect(later.until == civilDate("2026-09-01"))
    }

    @Test(arguments: [
        ("2025-01-31", 1, "2025-02-28"), ("2024-01-31", 1, "2024-02-29"), ("2024-02-29", 12, "2025-02-28"),
        ("2100-01-31", 1, "2100-02-28"), ("2000-01-31", 1, "2000-02-29"), ("2025-08-31", 1, "2025-09-30"),
        ("2025-12-15", 1, "2026-01-15"), ("2025-11-30", 3, "2026-02-28"), ("2025-03-31", 120, "2035-03-31"),
    ])
    func aMonthLaterIsTheEndOfTheMonthWhenTheDayDoesNotExist(start: String, months: Int, end: String) throws {
        #expect(civilDate(start).adding(months: months) == civilDate(end))
        let period = try ConsentRules.validity(
            from: nil,
            until: nil,
            today: civilDate(start),
            settings: settings(validityMonths: months)
        )
        #expect(period.until == civilDate(end))
    }

    @Test func aPeriodThatEndsBeforeItBeginsIsAnError() throws {
        let today = civilDate("2025-06-15")
        let backwards = consentError {
            try ConsentRules.validity(from: today, until: civilDate("2025-06-14"), today: today, settings: settings())
        }
        #expect(backwards?.message.contains("2025-06-14") == true)
        #expect(backwards?.message.contains("before it begins (2025-06-15)") == true)
        let oneDay = try ConsentRules.validity(from: today, until: today, today: today, settings: settings())
        #expect(oneDay.from == today && oneDay.until == today)
    }

    @Test(arguments: [
        ("20120315-1236", "2012-03-15"), ("20120375-1233", "2012-03-15"), ("20120229-0001", "2012-02-29"),
        ("20120289-0008", "2012-02-29"), ("20091231-9993", "2009-12-31"), ("20091291-9990", "2009-12-31"),
    ])
    func birthDateFromPersonnummerAndSamordningsnummer(personnummer: String, birthDate: String) {
        #expect(ConsentRules.birthDate(personnummer: personnummer) == civilDate(birthDate))
    }

    @Test(arguments: ["20130229-0000", "20120231-0007", "20121301-0000", "20120360-0000", "2012031", "1203151234", ""])
    func noBirthDateFromSomethingElse(personnummer: String) {
        #expect(ConsentRules.birthDate(personnummer: personnummer) == nil)
    }

    @Test func theAgeFromAPersonnummerTurnsOnTheBirthday() throws {
        let born = try #require(ConsentRules.birthDate(personnummer: "20130375-4327"))
        #expect(born.years(until: civilDate("2025-03-14")) == 11)
        #expect(born.years(until: civilDate("2025-03-15")) == 12)
    }
}
