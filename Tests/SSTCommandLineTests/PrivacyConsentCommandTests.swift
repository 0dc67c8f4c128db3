import Foundation
import Testing

/// `sst consent grant` with bad input: a non-zero exit, an error that says what is wrong and what to do,
/// and nothing recorded (`sst consent list` and the dump unchanged).
@Suite struct PrivacyConsentCommandTests {
    enum BadGrant: String, CaseIterable, CustomTestStringConvertible {
        case pupilWithoutCustodians
        case periodEndsBeforeItBegins
        case unknownScope
        case guardianOfAnotherPupil
        case unknownMethod
        case malformedDate

        var testDescription: String { rawValue }

        var phrases: [String] {
            switch self {
            case .pupilWithoutCustodians: ["no guardian with custody", "has_custody=true"]
            case .periodEndsBeforeItBegins: ["before it begins", "--valid-until"]
            case .unknownScope: ["unknown consent scope \"hälsa\"", "identity, absence"]
            case .guardianOfAnotherPupil: ["is not a guardian of this pupil"]
            case .unknownMethod: ["--method must be written or oral"]
            case .malformedDate: ["--valid-until", "\"31/12/2027\" is not a date YYYY-MM-DD"]
            }
        }
    }

    @Test(.timeLimit(.minutes(10)), arguments: BadGrant.allCases)
    func badConsentIsRefusedAndNothingIsRecorded(_ bad: BadGrant) throws {
        try withScratchDirectory { scratch in
            let school = try Node.school("ekbacken-1", in: scratch)
            let asa = newRecordID()
            let asaGuardian = newRecordID()
            try school.set("pupil", asa, ["given_name=Åsa", "personnummer=20160315-2388"])
            let custody = bad == .pupilWithoutCustodians ? "false" : "true"
            try school.set("guardian", asaGuardian, ["pupil_id=\(asa)", "given_name=Karin", "has_custody=\(custody)"])
            let bjorn = newRecordID()
            let bjornGuardian = newRecordID()
            try school.set("pupil", bjorn, ["given_name=Björn", "personnummer=20160101-1230"])
            try school.set("guardian", bjornGuardian, ["pupil_id=\(bjorn)", "given_name=Örjan", "has_custody=true"])
            try school.grantConsent(pupil: bjorn, scopes: "identity", givenBy: [bjornGuardian])

            var scopes = "identity,sst_case"
            var givenBy = asaGuardian
            var more: [String] = ["--method", "written"]
            switch bad {
            case .pupilWithoutCustodians: break
            case .periodEndsBeforeItBegins: more += ["--valid-from", "2027-02-01", "--valid-until", "2027-01-20"]
            case .unknownScope: scopes = "identity,hälsa"
            case .guardianOfAnotherPupil: givenBy = "\(asaGuardian),\(bjornGuardian)"
            case .unknownMethod: more = ["--method", "sms"]
            case .malformedDate: more += ["--valid-until", "31/12/2027"]
            }
            let consents = try school.consentList()
            let dump = try school.dump()

            let result = try SST.run(
                ["consent", "grant", "--data", school.data, "--pupil", asa, "--scopes", scopes, "--given-by", givenBy]
                    + more
            )
            expectRefusal(result, mentions: bad.phrases)
            #expect(!result.out.contains("Recorded consent"), "\(result)")
            #expect(try school.consentList() == consents)
            #expect(try school.dump() == dump)
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func jointCustodyIsPendingUntilTheSecondGuardianAnswers() throws {
        try withScratchDirectory { scratch in
            let school = try Node.school("ekbacken-1", in: scratch)
            let pupil = newRecordID()
            let guardians = [newRecordID(), newRecordID()]
            try school.set("pupil", pupil, ["given_name=Åsa", "personnummer=20160315-2388"])
            for guardian in guardians {
                try school.set("guardian", guardian, ["pupil_id=\(pupil)", "has_custody=true"])
            }
            let consent = try school.grantConsent(pupil: pupil, scopes: "sst_case", givenBy: [guardians[0]])
            #expect(try school.consentList().contains("\"pending\""))
            let answered = try school.sst(
                ["consent", "answer", "--data", school.data, "--id", consent, "--guardian", guardians[1], "--yes"]
            )
            #expect(answered.out.contains("active"), "\(answered)")
            let withdrawn = try school.sst(["consent", "withdraw", "--data", school.data, "--id", consent])
            #expect(withdrawn.out.contains("withdrawn"), "\(withdrawn)")
        }
    }
}
