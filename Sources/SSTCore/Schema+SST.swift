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
        "pupil",
        owner: .school,
        fields: [
            FieldSchema("personnummer", .personnummer, owner: .school, privacy: .identity),
            FieldSchema("given_name", .string, owner: .school, privacy: .identity),
            FieldSchema("family_name", .string, owner: .school, privacy: .identity),
            FieldSchema("grade", .integer(minimum: 0, maximum: 10), owner: .school, privacy: .identity),
            FieldSchema("class_name", .string, owner: .school, privacy: .identity),
            FieldSchema("school", .string, owner: .school, privacy: .identity),
            FieldSchema("stadsdel", .string, owner: .school, privacy: .identity),
            FieldSchema("protected_identity", .boolean, owner: .school, privacy: .identity),
        ]
    )

    static let guardian = EntitySchema(
        "guardian",
        owner: .school,
        fields: [
            FieldSchema("pupil_id", .reference("pupil"), owner: .school, privacy: .guardianContact),
            FieldSchema("given_name", .string, owner: .school, privacy: .guardianContact),
            FieldSchema("family_name", .string, owner: .school, privacy: .guardianContact),
            FieldSchema("phone", .string, owner: .school, privacy: .guardianContact),
            FieldSchema("email", .string, owner: .school, privacy: .guardianContact),
            FieldSchema("has_custody", .boolean, owner: .school, privacy: .guardianContact),
        ]
    )

    static let consent = EntitySchema(
        "consent",
        owner: .school,
        fields: [
            FieldSchema("pupil_id", .reference("pupil"), owner: .school, privacy: .consent),
            FieldSchema("scopes", .enumerationList(consentScopes), owner: .school, privacy: .consent),
            FieldSchema("purpose", .string, owner: .school, privacy: .consent),
            FieldSchema("given_by", .referenceList("guardian"), owner: .school, privacy: .consent),
            FieldSchema("method", .enumeration(["written", "oral"]), owner: .school, privacy: .consent),
            FieldSchema("valid_from", .date, owner: .school, privacy: .consent),
            FieldSchema("valid_until", .date, owner: .school, privacy: .consent),
            FieldSchema(
                "status",
                .enumeration(consentStatuses),
                merge: .withdrawWins,
                owner: .school,
                privacy: .consent
            ),
            FieldSchema("recorded_by", .string, owner: .school, privacy: .consent),
            FieldSchema("document_ref", .string, owner: .school, privacy: .consent),
            FieldSchema("refused_by", .referenceList("guardian"), owner: .school, privacy: .consent, addedIn: 2),
            FieldSchema("pupil_view", .text, merge: .text, owner: .school, privacy: .consent, addedIn: 2),
            FieldSchema("pupil_consent", .boolean, owner: .school, privacy: .consent, addedIn: 2),
        ]
    )

    static let absence = EntitySchema(
        "absence",
        owner: .school,
        fields: [
            FieldSchema("pupil_id", .reference("pupil"), owner: .school, privacy: .absence),
            FieldSchema("period_start", .date, owner: .school, privacy: .absence),
            FieldSchema("period_end", .date, owner: .school, privacy: .absence),
            FieldSchema("scheduled_minutes", .integer(minimum: 0, maximum: nil), owner: .school, privacy: .absence),
            FieldSchema("excused_minutes", .integer(minimum: 0, maximum: nil), owner: .school, privacy: .absence),
            FieldSchema("unexcused_minutes", .integer(minimum: 0, maximum: nil), owner: .school, privacy: .absence),
        ]
    )

    static let schoolAssessment = EntitySchema(
        "school_assessment",
        owner: .school,
        fields: [
            FieldSchema("pupil_id", .reference("pupil"), owner: .school, privacy: .schoolAssessment),
            FieldSchema("causes", .stringList, owner: .school, privacy: .schoolAssessment),
            FieldSchema("summary", .text, merge: .text, owner: .school, privacy: .schoolAssessment),
        ]
    )

    static let healthNote = EntitySchema(
        "health_note",
        owner: .school,
        fields: [
            FieldSchema("pupil_id", .reference("pupil"), owner: .school, privacy: .health),
            FieldSchema("text", .text, merge: .text, owner: .school, privacy: .health),
        ]
    )

    static let sstCase = EntitySchema(
        "case",
        owner: .shared,
        fields: [
            FieldSchema("pupil_id", .reference("pupil"), owner: .shared, privacy: .sstCase),
            FieldSchema("category", .enumeration(caseCategories), owner: .shared, privacy: .sstCase),
            FieldSchema("phase", .phase, merge: .phase, owner: .shared, privacy: .sstCase),
            FieldSchema("concern", .text, merge: .text, owner: .shared, privacy: .sstCase),
            FieldSchema("plan", .text, merge: .text, owner: .shared, privacy: .sstCase),
            FieldSchema("opened_at", .date, owner: .shared, privacy: .sstCase),
            FieldSchema("closed_at", .date, owner: .shared, privacy: .sstCase),
        ]
    )

    static let intervention = EntitySchema(
        "intervention",
        owner: .shared,
        fields: [
            FieldSchema("case_id", .reference("case"), owner: .shared, privacy: .sstCase),
            FieldSchema("kind", .enumeration(interventionKinds), owner: .shared, privacy: .sstCase),
            FieldSchema("description", .text, merge: .text, owner: .shared, privacy: .sstCase),
            FieldSchema("starts", .date, owner: .shared, privacy: .sstCase),
            FieldSchema("ends", .date, owner: .shared, privacy: .sstCase),
            FieldSchema("responsible", .string, owner: .shared, privacy: .sstCase),
        ]
    )

    static let meeting = EntitySchema(
        "meeting",
        owner: .shared,
        fields: [
            FieldSchema("case_id", .reference("case"), owner: .shared, privacy: .sstCase),
            FieldSchema("held_at", .instant, owner: .shared, privacy: .sstCase),
            FieldSchema("participants", .stringList, owner: .shared, privacy: .sstCase),
            FieldSchema("notes", .text, merge: .text, owner: .shared, privacy: .sstCase),
        ]
    )

    static let socialInvestigation = EntitySchema(
        "social_investigation",
        owner: .social,
        fields: [
            FieldSchema("pupil_id", .reference("pupil"), owner: .social, privacy: .socialInvestigation),
            FieldSchema("notes", .text, merge: .text, owner: .social, privacy: .socialInvestigation),
        ]
    )

    static let socialSupport = EntitySchema(
        "social_support",
        owner: .social,
        fields: [
            FieldSchema("pupil_id", .reference("pupil"), owner: .social, privacy: .socialSupportFlag),
            FieldSchema("has_ongoing_support", .boolean, owner: .social, privacy: .socialSupportFlag),
            FieldSchema("decision_notes", .text, merge: .text, owner: .social, privacy: .socialDecision),
        ]
    )

    static let concernReport = EntitySchema(
        "concern_report",
        owner: .school,
        fields: [
            FieldSchema("pupil_id", .reference("pupil"), owner: .school, privacy: .concernReport),
            FieldSchema("concern", .text, merge: .text, owner: .school, privacy: .concernReport),
            FieldSchema("reported_by", .string, owner: .school, privacy: .concernReport),
            FieldSchema("reported_at", .instant, owner: .school, privacy: .concernReport),
            FieldSchema("received_at", .instant, owner: .social, privacy: .concernReceipt),
            FieldSchema("investigation_opened", .boolean, owner: .social, privacy: .concernReceipt),
        ]
    )

    /// The receiving side's acknowledgement that it purged what it had received under a consent that was
    /// withdrawn or expired, so the school can show that the hub let go of the data.
    static let purgeReceipt = EntitySchema(
        "purge_receipt",
        owner: .shared,
        addedIn: 2,
        fields: [
            FieldSchema("consent_id", .reference("consent"), owner: .shared, privacy: .record, addedIn: 2),
            FieldSchema("pupil_id", .reference("pupil"), owner: .shared, privacy: .record, addedIn: 2),
            FieldSchema("purged_at", .instant, owner: .shared, privacy: .record, addedIn: 2),
            FieldSchema("fields", .stringList, owner: .shared, privacy: .record, addedIn: 2),
            FieldSchema("reason", .string, owner: .shared, privacy: .record, addedIn: 2),
        ]
    )
}
