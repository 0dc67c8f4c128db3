import SSTCore
import SSTPrivacy
import Testing

/// Which consents count (status, validity, pupil) and the protected-identity rule.
@Suite struct FilterConsentTests {
    private static let identityOnly: Set<String> = ["identity"]

    private func decideIdentity(with consent: ConsentState) throws -> PrivacyFilter.Decision {
        try World.decide("pupil", "personnummer", .toSocial, World.context(consents: [consent]))
    }

    @Test(arguments: ["pending", "refused", "withdrawn"])
    func aConsentThatIsNotActiveDoesNotCount(status: String) throws {
        let decision = try decideIdentity(with: World.consent(1, scopes: Self.identityOnly, status: status))
        #expect(decision.reason?.contains("no consent in force with scope identity") == true)
    }

    @Test func aConsentNotYetValidDoesNotCount() throws {
        let consent = World.consent(1, scopes: Self.identityOnly, from: "2025-06-16")
        #expect(try !decideIdentity(with: consent).isAllowed)
        #expect(consent.effectiveStatus(on: World.today) == "not yet valid")
    }

    @Test func anExpiredConsentDoesNotCount() throws {
        let consent = World.consent(1, scopes: Self.identityOnly, from: "2024-06-01", until: "2025-06-14")
        #expect(try !decideIdentity(with: consent).isAllowed)
        #expect(consent.effectiveStatus(on: World.today) == "expired")
    }

    @Test func aConsentCountsOnItsFirstAndLastDay() throws {
        let first = World.consent(1, scopes: Self.identityOnly, from: "2025-06-15", until: "2026-06-15")
        let last = World.consent(2, scopes: Self.identityOnly, from: "2024-06-15", until: "2025-06-15")
        #expect(
            try decideIdentity(with: first).allows(
                pupil: World.pupil,
                basis: .consent(scope: "identity"),
                consent: first.id
            )
        )
        #expect(
            try decideIdentity(with: last).allows(
                pupil: World.pupil,
                basis: .consent(scope: "identity"),
                consent: last.id
            )
        )
        #expect(last.effectiveStatus(on: World.today) == "active")
    }

    @Test func aConsentForAnotherPupilDoesNotCount() throws {
        let consent = World.consent(1, scopes: World.everyScope, pupil: World.otherPupil)
        #expect(try !decideIdentity(with: consent).isAllowed)
    }

    @Test func aConsentWithSeveralScopesCountsForEachOfThem() throws {
        let consent = World.consent(7, scopes: ["absence", "sst_case"])
        let context = World.context(consents: [consent])
        let absence = try World.decide("absence", "unexcused_minutes", .toSocial, context)
        let meeting = try World.decide("meeting", "notes", .toSchool, context)
        #expect(absence.allows(pupil: World.pupil, basis: .consent(scope: "absence"), consent: consent.id))
        #expect(meeting.allows(pupil: World.pupil, basis: .consent(scope: "sst_case"), consent: consent.id))
        #expect(try !World.decide("guardian", "phone", .toSocial, context).isAllowed)
    }

    @Test func aWithdrawnConsentBesideAnActiveOneLeavesTheActiveOneInForce() throws {
        let withdrawn = World.consent(1, scopes: Self.identityOnly, status: "withdrawn")
        let active = World.consent(2, scopes: Self.identityOnly)
        let context = World.context(consents: [withdrawn, active])
        let decision = try World.decide("pupil", "family_name", .toSocial, context)
        #expect(decision.grant?.consent == active.id)
    }

    @Test(
        arguments: World.fields("pupil").filter { $0 != "protected_identity" }
            + World.fields("guardian").map { "guardian." + $0 }
    )
    func protectedIdentityNeverCrossesWhateverTheConsentOrLegalDuty(name: String) throws {
        let entity = name.hasPrefix("guardian.") ? "guardian" : "pupil"
        let field = entity == "guardian" ? String(name.dropFirst("guardian.".count)) : name
        let context = World.context(scopes: World.everyScope, concernReport: true, protectedIdentity: true)
        let decision = try World.decide(entity, field, .toSocial, context)
        #expect(decision.reason?.contains("protected identity") == true, "\(name)")
    }

    /// The flag itself crosses on its own bases, so a side that holds the pupil's identity learns to purge it.
    @Test func theProtectionFlagCrossesOnItsOwnBases() throws {
        for (scopes, concern, allowed) in [
            (World.everyScope, false, true), (Set<String>(), true, true), (Set(["sst_case"]), false, false),
        ] {
            let context = World.context(scopes: scopes, concernReport: concern, protectedIdentity: true)
            let decision = try World.decide("pupil", "protected_identity", .toSocial, context)
            #expect(decision.isAllowed == allowed, "scopes \(scopes.sorted()), concern \(concern)")
            #expect(try World.decide("pupil", "family_name", .toSocial, context).isAllowed == false)
            #expect(try World.decide("pupil", "protected_identity", .toSchool, context).isAllowed == false)
        }
    }

    @Test(arguments: ["case", "intervention", "meeting"], [Direction.toSocial, .toSchool])
    func theCaseOfAPupilWithProtectedIdentityStillCrossesUnderSSTCase(entity: String, direction: Direction) throws {
        let context = World.context(scopes: ["sst_case"], protectedIdentity: true)
        for field in World.fields(entity) {
            let decision = try World.decide(entity, field, direction, context)
            #expect(
                decision.allows(pupil: World.pupil, basis: .consent(scope: "sst_case"), consent: World.consentID(4))
            )
        }
    }

    @Test func protectedIdentityOfAnotherPupilDoesNotMatter() throws {
        var context = World.context(scopes: Self.identityOnly)
        context.protectedPupils = [World.otherPupil]
        #expect(try World.decide("pupil", "given_name", .toSocial, context).isAllowed)
    }

    @Test func aRecordWhosePupilIsNotKnownIsWithheld() throws {
        let stranger = recordID(number: 0xDEAD)
        let change = World.change("absence", "period_start", record: stranger)
        let context = World.context(scopes: World.everyScope)
        let decision = try World.filter.decide(change, direction: .toSocial, context: context)
        #expect(decision.reason?.contains("not known") == true)
    }
}
