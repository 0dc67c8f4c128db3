/// The SST domain (DESIGN §4). Field names are part of the contract with other implementations.
extension Schema {
    /// Consent scopes: what a guardian's consent lets cross the boundary.
    public static let consentScopes = ["identity", "absence", "school_assessment", "sst_case", "social_support_flag"]
    public static let consentStatuses = ["pending", "active", "refused", "withdrawn"]
    /// What brought a case to the team.
    public static let caseCategories = ["absence", "behaviour"]
    public static let interventionKinds = [
        "motivational_talks", "parenting_support", "school_adaptations", "relationship_activities", "study_support",
        "other",
    ]

    public static let sst = Schema(entities: [
        pupil, guardian, consent, absence, schoolAssessment, healthNote, sstCase, intervention, meeting,
        socialInvestigation, socialSupport, concernReport, purgeReceipt,
    ])

    static let pupil = EntitySchema(
        EntityName.pupil,
        owner: .school,
        role: .pupil,
        fields: [
            FieldSchema(FieldName.personnummer, .personnummer, owner: .school, privacy: .identity),
            FieldSchema(FieldName.givenName, .string, owner: .school, privacy: .identity),
            FieldSchema(FieldName.familyName, .string, owner: .school, privacy: .identity),
            FieldSchema(FieldName.grade, .integer(minimum: 0, maximum: 10), owner: .school, privacy: .identity),
            FieldSchema(FieldName.className, .string, owner: .school, privacy: .identity),
            FieldSchema(FieldName.school, .string, owner: .school, privacy: .identity, role: .school),
            FieldSchema(FieldName.stadsdel, .string, owner: .school, privacy: .identity, role: .stadsdel),
            FieldSchema(
                FieldName.protectedIdentity,
                .boolean,
                owner: .school,
                privacy: .identity,
                role: .protectionFlag
            ),
        ]
    )

    static let guardian = EntitySchema(
        EntityName.guardian,
        owner: .school,
        fields: [
            FieldSchema(
                FieldName.pupilID,
                .reference(EntityName.pupil),
                owner: .school,
                privacy: .guardianContact,
                role: .pupilReference
            ),
            FieldSchema(FieldName.givenName, .string, owner: .school, privacy: .guardianContact),
            FieldSchema(FieldName.familyName, .string, owner: .school, privacy: .guardianContact),
            FieldSchema(FieldName.phone, .string, owner: .school, privacy: .guardianContact),
            FieldSchema(FieldName.email, .string, owner: .school, privacy: .guardianContact),
            FieldSchema(FieldName.hasCustody, .boolean, owner: .school, privacy: .guardianContact),
        ]
    )

    static let consent = EntitySchema(
        EntityName.consent,
        owner: .school,
        role: .consent,
        fields: [
            FieldSchema(
                FieldName.pupilID,
                .reference(EntityName.pupil),
                owner: .school,
                privacy: .consent,
                role: .pupilReference
            ),
            FieldSchema(
                FieldName.scopes,
                .enumerationList(consentScopes),
                owner: .school,
                privacy: .consent,
                role: .consentScopes
            ),
            FieldSchema(FieldName.purpose, .string, owner: .school, privacy: .consent),
            FieldSchema(FieldName.givenBy, .referenceList(EntityName.guardian), owner: .school, privacy: .consent),
            FieldSchema(FieldName.method, .enumeration(["written", "oral"]), owner: .school, privacy: .consent),
            FieldSchema(FieldName.validFrom, .date, owner: .school, privacy: .consent, role: .consentValidFrom),
            FieldSchema(FieldName.validUntil, .date, owner: .school, privacy: .consent, role: .consentValidUntil),
            FieldSchema(
                FieldName.status,
                .enumeration(consentStatuses),
                merge: .withdrawWins,
                owner: .school,
                privacy: .consent,
                role: .consentStatus
            ),
            FieldSchema(FieldName.recordedBy, .string, owner: .school, privacy: .consent),
            FieldSchema(FieldName.documentRef, .string, owner: .school, privacy: .consent),
            FieldSchema(
                FieldName.refusedBy,
                .referenceList(EntityName.guardian),
                owner: .school,
                privacy: .consent,
                addedIn: 2
            ),
            FieldSchema(FieldName.pupilView, .text, merge: .text, owner: .school, privacy: .consent, addedIn: 2),
            FieldSchema(FieldName.pupilConsent, .boolean, owner: .school, privacy: .consent, addedIn: 2),
        ]
    )

    static let absence = EntitySchema(
        EntityName.absence,
        owner: .school,
        fields: [
            FieldSchema(
                FieldName.pupilID,
                .reference(EntityName.pupil),
                owner: .school,
                privacy: .absence,
                role: .pupilReference
            ),
            FieldSchema(FieldName.periodStart, .date, owner: .school, privacy: .absence),
            FieldSchema(FieldName.periodEnd, .date, owner: .school, privacy: .absence),
            FieldSchema(
                FieldName.scheduledMinutes,
                .integer(minimum: 0, maximum: nil),
                owner: .school,
                privacy: .absence
            ),
            FieldSchema(
                FieldName.excusedMinutes,
                .integer(minimum: 0, maximum: nil),
                owner: .school,
                privacy: .absence
            ),
            FieldSchema(
                FieldName.unexcusedMinutes,
                .integer(minimum: 0, maximum: nil),
                owner: .school,
                privacy: .absence
            ),
        ]
    )

    static let schoolAssessment = EntitySchema(
        EntityName.schoolAssessment,
        owner: .school,
        fields: [
            FieldSchema(
                FieldName.pupilID,
                .reference(EntityName.pupil),
                owner: .school,
                privacy: .schoolAssessment,
                role: .pupilReference
            ),
            FieldSchema(FieldName.causes, .stringList, owner: .school, privacy: .schoolAssessment),
            FieldSchema(FieldName.summary, .text, merge: .text, owner: .school, privacy: .schoolAssessment),
        ]
    )

    static let healthNote = EntitySchema(
        EntityName.healthNote,
        owner: .school,
        role: .neverCrosses,
        fields: [
            FieldSchema(
                FieldName.pupilID,
                .reference(EntityName.pupil),
                owner: .school,
                privacy: .health,
                role: .pupilReference
            ),
            FieldSchema(FieldName.text, .text, merge: .text, owner: .school, privacy: .health),
        ]
    )

    static let sstCase = EntitySchema(
        EntityName.`case`,
        owner: .shared,
        role: .`case`,
        fields: [
            FieldSchema(
                FieldName.pupilID,
                .reference(EntityName.pupil),
                owner: .shared,
                privacy: .sstCase,
                role: .pupilReference
            ),
            FieldSchema(FieldName.category, .enumeration(caseCategories), owner: .shared, privacy: .sstCase),
            FieldSchema(FieldName.phase, .phase, merge: .phase, owner: .shared, privacy: .sstCase),
            FieldSchema(FieldName.concern, .text, merge: .text, owner: .shared, privacy: .sstCase),
            FieldSchema(FieldName.plan, .text, merge: .text, owner: .shared, privacy: .sstCase),
            FieldSchema(FieldName.openedAt, .date, owner: .shared, privacy: .sstCase),
            FieldSchema(FieldName.closedAt, .date, owner: .shared, privacy: .sstCase),
        ]
    )

    static let intervention = EntitySchema(
        EntityName.intervention,
        owner: .shared,
        fields: [
            FieldSchema(
                FieldName.caseID,
                .reference(EntityName.`case`),
                owner: .shared,
                privacy: .sstCase,
                role: .caseReference
            ),
            FieldSchema(FieldName.kind, .enumeration(interventionKinds), owner: .shared, privacy: .sstCase),
            FieldSchema(FieldName.description, .text, merge: .text, owner: .shared, privacy: .sstCase),
            FieldSchema(FieldName.starts, .date, owner: .shared, privacy: .sstCase),
            FieldSchema(FieldName.ends, .date, owner: .shared, privacy: .sstCase),
            FieldSchema(FieldName.responsible, .string, owner: .shared, privacy: .sstCase),
        ]
    )

    static let meeting = EntitySchema(
        EntityName.meeting,
        owner: .shared,
        fields: [
            FieldSchema(
                FieldName.caseID,
                .reference(EntityName.`case`),
                owner: .shared,
                privacy: .sstCase,
                role: .caseReference
            ),
            FieldSchema(FieldName.heldAt, .instant, owner: .shared, privacy: .sstCase),
            FieldSchema(FieldName.participants, .stringList, owner: .shared, privacy: .sstCase),
            FieldSchema(FieldName.notes, .text, merge: .text, owner: .shared, privacy: .sstCase),
        ]
    )

    static let socialInvestigation = EntitySchema(
        EntityName.socialInvestigation,
        owner: .social,
        role: .neverCrosses,
        fields: [
            FieldSchema(
                FieldName.pupilID,
                .reference(EntityName.pupil),
                owner: .social,
                privacy: .socialInvestigation,
                role: .pupilReference
            ),
            FieldSchema(FieldName.notes, .text, merge: .text, owner: .social, privacy: .socialInvestigation),
        ]
    )

    static let socialSupport = EntitySchema(
        EntityName.socialSupport,
        owner: .social,
        fields: [
            FieldSchema(
                FieldName.pupilID,
                .reference(EntityName.pupil),
                owner: .social,
                privacy: .socialSupportFlag,
                role: .pupilReference
            ),
            FieldSchema(FieldName.hasOngoingSupport, .boolean, owner: .social, privacy: .socialSupportFlag),
            FieldSchema(FieldName.decisionNotes, .text, merge: .text, owner: .social, privacy: .socialDecision),
        ]
    )

    static let concernReport = EntitySchema(
        EntityName.concernReport,
        owner: .school,
        role: .legalDuty,
        fields: [
            FieldSchema(
                FieldName.pupilID,
                .reference(EntityName.pupil),
                owner: .school,
                privacy: .concernReport,
                role: .pupilReference
            ),
            FieldSchema(FieldName.concern, .text, merge: .text, owner: .school, privacy: .concernReport),
            FieldSchema(FieldName.reportedBy, .string, owner: .school, privacy: .concernReport),
            FieldSchema(FieldName.reportedAt, .instant, owner: .school, privacy: .concernReport),
            FieldSchema(FieldName.receivedAt, .instant, owner: .social, privacy: .concernReceipt),
            FieldSchema(FieldName.investigationOpened, .boolean, owner: .social, privacy: .concernReceipt),
        ]
    )

    /// The receiving side's acknowledgement that it purged what it had received under a consent that was
    /// withdrawn or expired, so the school can show that the hub let go of the data.
    static let purgeReceipt = EntitySchema(
        EntityName.purgeReceipt,
        owner: .shared,
        role: .purgeReceipt,
        addedIn: 2,
        fields: [
            FieldSchema(
                FieldName.consentID,
                .reference(EntityName.consent),
                owner: .shared,
                privacy: .record,
                addedIn: 2
            ),
            FieldSchema(
                FieldName.pupilID,
                .reference(EntityName.pupil),
                owner: .shared,
                privacy: .record,
                role: .pupilReference,
                addedIn: 2
            ),
            FieldSchema(FieldName.purgedAt, .instant, owner: .shared, privacy: .record, addedIn: 2),
            FieldSchema(FieldName.fields, .stringList, owner: .shared, privacy: .record, addedIn: 2),
            FieldSchema(FieldName.reason, .string, owner: .shared, privacy: .record, addedIn: 2),
        ]
    )
}
