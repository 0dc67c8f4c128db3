import SSTCore

/// The names the store's privacy rules read, found once by their roles in the schema (``FieldRole``,
/// ``EntityRole``): no rule of the store spells a field's name. The store's tables are the SST schema's
/// entities, so its rules read ``sst``.
struct SchemaRoles: Sendable {
    /// The roles of ``Schema/sst``.
    static let sst = SchemaRoles(.sst)

    /// The pupil entity, and its protection flag, school and stadsdel.
    let pupil: String
    let protectionFlag: String
    let school: String
    let stadsdel: String
    /// The case entity, and the entities whose records reach their pupil through a case.
    let sstCase: String
    let caseEntities: [String]
    /// The consent entity, the field naming its pupil, and the fields the filter judges a consent by.
    let consent: String
    let consentPupil: String
    let consentScopes: String
    let consentStatus: String
    let consentValidFrom: String
    let consentValidUntil: String
    /// The entities whose live records give their pupil the legal-duty basis, and the field naming the pupil.
    let legalDuty: [(entity: String, pupilField: String)]
    /// The purge receipt entity and the field naming its pupil.
    let purgeReceipt: String
    let purgeReceiptPupil: String
    /// Every field name that ties a record to its pupil or its case, in any entity.
    let referenceFields: Set<String>
    private let paths: [String: PupilPath]

    init(_ schema: Schema) {
        func field(_ role: FieldRole, of entity: EntitySchema) -> String {
            guard let field = entity.field(withRole: role) else {
                preconditionFailure("\(entity.name) has no field with role \(role)")
            }
            return field.name
        }
        let pupil = schema.entity(withRole: .pupil)
        self.pupil = pupil.name
        protectionFlag = field(.protectionFlag, of: pupil)
        school = field(.school, of: pupil)
        stadsdel = field(.stadsdel, of: pupil)
        sstCase = schema.entity(withRole: .case).name
        caseEntities = schema.caseEntities
        let consent = schema.entity(withRole: .consent)
        self.consent = consent.name
        consentPupil = field(.pupilReference, of: consent)
        consentScopes = field(.consentScopes, of: consent)
        consentStatus = field(.consentStatus, of: consent)
        consentValidFrom = field(.consentValidFrom, of: consent)
        consentValidUntil = field(.consentValidUntil, of: consent)
        legalDuty = schema.entities(withRole: .legalDuty).map { ($0.name, field(.pupilReference, of: $0)) }
        let receipt = schema.entity(withRole: .purgeReceipt)
        purgeReceipt = receipt.name
        purgeReceiptPupil = field(.pupilReference, of: receipt)
        referenceFields = Set(
            schema.entities.flatMap(\.fields).filter { $0.role == .pupilReference || $0.role == .caseReference }
                .map(\.name)
        )
        paths = Dictionary(uniqueKeysWithValues: schema.entities.map { ($0.name, schema.pupilPath(of: $0.name)) })
    }

    /// How a record of `entity` reaches its pupil (``Schema/pupilPath(of:)``, worked out once).
    func pupilPath(of entity: String) -> PupilPath { paths[entity] ?? .none }

    /// The field that ties a record of `entity` to its pupil: the case reference for the entities of a case,
    /// the pupil reference for the rest; nil for the pupil itself and for entities that concern no pupil.
    func linkField(of entity: String) -> String? {
        switch pupilPath(of: entity) {
        case .reference(let field), .throughCase(let field): field
        case .itself, .none: nil
        }
    }

    /// The field naming the pupil in a record of `entity`, when it names its pupil itself.
    func pupilField(of entity: String) -> String? {
        if case .reference(let field) = pupilPath(of: entity) { return field }
        return nil
    }

    /// Whether the live records of `entity` give their pupil the legal-duty basis.
    func isLegalDuty(_ entity: String) -> Bool { legalDuty.contains { $0.entity == entity } }
}
