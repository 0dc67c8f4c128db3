import Foundation
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import Testing

/// Bad consent input (issue 3, "Bad input"): a clear error that says what is wrong and what to do, and
/// nothing recorded — no consent, no change to the store, no audit entry.
@Suite struct PrivacyConsentInputTests {
    enum BadConsent: String, CaseIterable, CustomTestStringConvertible {
        case pupilWithoutCustodians
        case periodEndsBeforeItBegins
        case unknownScope
        case guardianOfAnotherPupil
        case noScopes
        case thirteenWithoutThePupilsView

        var testDescription: String { rawValue }

        /// Words the error's text must hold.
        var phrases: [String] {
            switch self {
            case .pupilWithoutCustodians: ["no guardian with custody", "has_custody=true"]
            case .periodEndsBeforeItBegins: ["2027-01-20", "before it begins", "2027-02-01"]
            case .unknownScope: ["unknown consent scope \"hälsa\"", "identity, absence"]
            case .guardianOfAnotherPupil: ["is not a guardian of this pupil"]
            case .noScopes: ["at least one scope"]
            case .thirteenWithoutThePupilsView: ["13", "child's view", "--pupil-view"]
            }
        }
    }

    @Test(arguments: BadConsent.allCases)
    func badConsentIsRefusedClearlyAndNothingIsRecorded(_ bad: BadConsent) throws {
        let clock = TestPhysicalClock(PrivacyNodes.start)
        let store = try Store.inMemory(identity: PrivacyNodes.schoolIdentity, physicalClock: clock)
        let asa = try PrivacyPupil.write(
            on: store,
            ["given_name": .string("Åsa")],
            guardians: [["given_name": .string("Karin"), "has_custody": .boolean(bad != .pupilWithoutCustodians)]]
        )
        let bjorn = try PrivacyPupil.write(
            on: store,
            ["given_name": .string("Björn"), "personnummer": .string("20130610-2391")]
        )
        try bjorn.grant(["identity"], on: store)
        var request = ConsentRequest(
            pupil: asa.id,
            scopes: ["identity", "sst_case"],
            answers: ConsentAnswers(givenBy: asa.guardians),
            method: "written"
        )
        switch bad {
        case .pupilWithoutCustodians:
            #expect(asa.custodians.isEmpty)
        case .periodEndsBeforeItBegins:
            request.validFrom = CivilDate("2027-02-01")
            request.validUntil = CivilDate("2027-01-20")
        case .unknownScope:
            request.scopes = ["identity", "hälsa"]
        case .guardianOfAnotherPupil:
            request.answers = ConsentAnswers(givenBy: asa.guardians + bjorn.guardians)
        case .noScopes:
            request.scopes = []
        case .thirteenWithoutThePupilsView:
            request.pupil = bjorn.id
            request.answers = ConsentAnswers(givenBy: bjorn.guardians, pupilConsent: true)
        }
        let consents = try store.consentSummaries()
        let dump = try store.dumpText()
        let sequence = try store.lastSequence()
        let audited = try store.auditEntries().count

        // Most refusals are StoreError(.invalidValue); the period check surfaces as a ConsentError.
        let error = #expect(throws: (any Error).self) { try store.grantConsent(request) }
        if let storeError = error as? StoreError { #expect(storeError.code == .invalidValue) }
        let text = error.map { String(describing: $0) } ?? ""
        for phrase in bad.phrases {
            #expect(text.contains(phrase), "the error should say \"\(phrase)\": \(text)")
        }
        #expect(try store.consentSummaries() == consents)
        #expect(try store.dumpText() == dump)
        #expect(try store.lastSequence() == sequence)
        #expect(try store.auditEntries().count == audited)
    }

    /// The good request the bad ones are made from is accepted (so each refusal is for its own reason).
    @Test func theSameRequestWithGoodInputIsRecorded() throws {
        let clock = TestPhysicalClock(PrivacyNodes.start)
        let store = try Store.inMemory(identity: PrivacyNodes.schoolIdentity, physicalClock: clock)
        let asa = try PrivacyPupil.write(on: store, ["given_name": .string("Åsa")])
        let summary = try store.grantConsent(
            ConsentRequest(
                pupil: asa.id,
                scopes: ["identity", "sst_case"],
                answers: ConsentAnswers(givenBy: asa.guardians),
                method: "written",
                validFrom: CivilDate("2027-01-20"),
                validUntil: CivilDate("2027-02-01")
            )
        )
        #expect(summary.status == "not yet valid")
        #expect(summary.validUntil == "2027-02-01")
        #expect(try store.consentSummaries().map(\.id) == [summary.id])
    }
}
