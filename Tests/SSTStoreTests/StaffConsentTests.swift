import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import Testing

/// Consents recorded, answered and withdrawn by staff (the staff API): the consent rules as for `sst consent`,
/// the token checked and the write logged in the same transaction, and only at a school node.
@Suite struct StaffConsentTests {
    let pupil = RecordID("7e3f4a5b-6c7d-4e8f-9a01-2b3c4d5e6f70")!
    let mother = RecordID.random()
    let father = RecordID.random()
    let school = NodeIdentity(node: NodeID("school-a")!, role: .school, school: "Ekbackens skola")

    /// A pupil of 13 (so the child's view is required) with two guardians with custody.
    func schoolStore() throws -> Store {
        let store = try Store.inMemory(identity: school)
        try store.set(entity: "pupil", record: pupil, values: ["personnummer": .string("20130101-0003")])
        for guardian in [mother, father] {
            try store.set(
                entity: "guardian",
                record: guardian,
                values: ["pupil_id": .string(pupil.rawValue), "has_custody": .boolean(true)]
            )
        }
        return store
    }

    func request(givenBy: [RecordID], pupilView: String? = "Jag vill ha hjälp.") -> ConsentRequest {
        ConsentRequest(
            pupil: pupil,
            scopes: ["identity", "sst_case"],
            answers: ConsentAnswers(givenBy: givenBy, pupilView: pupilView),
            method: "written"
        )
    }

    @Test func grantAnswerAndWithdrawAreEachTheStaffMembersLoggedWrite() throws {
        let store = try schoolStore()
        let token = try store.addStaff(name: "Kurator Lena Sjögren")
        let granted = try store.grantConsent(request(givenBy: [mother]), presenting: token)
        #expect(granted.status == "pending")  // joint custody: the father has not answered
        #expect(
            try store.record(entity: "consent", record: granted.id)?["recorded_by"]?.value
                == .string("Kurator Lena Sjögren")
        )
        let answered = try store.answerConsent(id: granted.id, guardian: father, consents: true, presenting: token)
        #expect(answered.status == "active")
        let withdrawn = try store.withdrawConsent(id: granted.id, presenting: token)
        #expect(withdrawn.status == "withdrawn")

        let entries = try store.auditEntries(pupil: pupil).map(\.entry)
        #expect(entries.map(\.kind) == [.staffWrite, .staffWrite, .staffWrite])
        #expect(
            entries.allSatisfy {
                $0.peer == "staff:Kurator Lena Sjögren" && $0.detail.hasPrefix("consent \(granted.id)")
            }
        )
        #expect(entries[0].fields.contains("consent.scopes") && entries[0].fields.contains("consent.recorded_by"))
        #expect(entries[1].fields == ["consent.given_by", "consent.refused_by", "consent.status"])
        #expect(entries[2].fields == ["consent.status"])
        #expect(try store.verifyAudit().problems.isEmpty)
    }

    @Test func withoutAValidTokenOrAgainstTheRulesNothingIsRecorded() throws {
        let store = try schoolStore()
        let token = try store.addStaff(name: "Anna Lind")
        let consent = try store.grantConsent(request(givenBy: [mother, father]))
        try store.revokeStaff(name: "Anna Lind")
        let (audit, sequence) = (try store.auditEntries().count, try store.lastSequence())
        let refusals: [(String, () throws -> ConsentSummary)] = [
            ("grant", { try store.grantConsent(request(givenBy: [mother, father]), presenting: token) }),
            (
                "answer",
                { try store.answerConsent(id: consent.id, guardian: father, consents: false, presenting: token) }
            ),
            ("withdraw", { try store.withdrawConsent(id: consent.id, presenting: token) }),
        ]
        for (name, refusal) in refusals {
            let error = #expect(throws: StoreError.self, "\(name)") { try refusal() }
            #expect(error?.code == .unauthorized, "\(name)")
        }
        // A valid token does not lift the consent rules: from 12 the child's view must be recorded.
        let valid = try store.addStaff(name: "Bo Berg")
        let (validAudit, validSequence) = (try store.auditEntries().count, try store.lastSequence())
        #expect(validAudit == audit + 1 && validSequence == sequence)
        let rules = #expect(throws: StoreError.self) {
            try store.grantConsent(request(givenBy: [mother, father], pupilView: nil), presenting: valid)
        }
        #expect(rules?.code == .invalidValue)
        #expect(try store.auditEntries().count == validAudit && store.lastSequence() == validSequence)
        #expect(try store.consentSummaries(pupil: pupil).map(\.id) == [consent.id])
    }

    @Test func aHubRecordsNoConsentForStaff() throws {
        let hub = try Store.inMemory(identity: NodeIdentity(node: NodeID("hub-1")!, role: .hub))
        let token = try hub.addStaff(name: "Cecilia Socialsekreterare")
        let error = #expect(throws: StoreError.self) {
            try hub.grantConsent(request(givenBy: [mother, father]), presenting: token)
        }
        #expect(error?.code == .notOwner && error?.remedy.contains("school") == true)
        #expect(try hub.lastSequence() == 0)
    }
}
