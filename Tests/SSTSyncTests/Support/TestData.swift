import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore

/// A pupil written at a school node, with a guardian with custody and, optionally, an active consent.
struct TestPupil: Sendable {
    let pupil: RecordID
    let guardian: RecordID
    let schoolName: String

    /// Writes the pupil (under `id`, else a new one) and a new guardian; `consent` scopes are granted by the
    /// guardian (and the child's view).
    @discardableResult
    init(
        at node: TestNode,
        reusing id: RecordID? = nil,
        givenName: String = "Åsa",
        familyName: String = "Öberg",
        personnummer: String = "20130101-0003",
        consent scopes: [String] = []
    ) throws {
        pupil = id ?? RecordID.random()
        guardian = RecordID.random()
        schoolName = node.identity.school ?? "?"
        try node.store.set(
            entity: "pupil",
            record: pupil,
            assignments: [
                ("given_name", givenName), ("family_name", familyName), ("personnummer", personnummer),
                ("grade", "7"), ("school", schoolName), ("stadsdel", node.identity.stadsdel ?? "?"),
            ]
        )
        try node.store.set(
            entity: "guardian",
            record: guardian,
            assignments: [
                ("pupil_id", pupil.rawValue), ("given_name", "Örjan"), ("family_name", familyName),
                ("has_custody", "true"),
            ]
        )
        if !scopes.isEmpty { try grantConsent(at: node, scopes: scopes) }
    }

    /// Records the guardian's written consent (with the child's view) to `scopes` at `node`.
    func grantConsent(at node: TestNode, scopes: [String] = ["identity", "sst_case"]) throws {
        try node.store.grantConsent(
            ConsentRequest(
                pupil: pupil,
                scopes: scopes,
                answers: ConsentAnswers(givenBy: [guardian], pupilView: "vill ha stöd"),
                method: "written"
            )
        )
    }

    /// Opens a case on the pupil (crosses with consent scope `sst_case`) and returns its id.
    func openCase(at node: TestNode, plan: String = "Motiverande samtal varje vecka.") throws -> RecordID {
        let id = RecordID.random()
        try node.store.set(
            entity: "case",
            record: id,
            assignments: [("pupil_id", pupil.rawValue), ("category", "absence"), ("phase", "opened"), ("plan", plan)]
        )
        return id
    }

    /// Files a report of concern (crosses by legal duty, without consent) and returns its id.
    func reportConcern(at node: TestNode, concern: String = "Lång frånvaro sedan augusti.") throws -> RecordID {
        let id = RecordID.random()
        try node.store.set(
            entity: "concern_report",
            record: id,
            assignments: [("pupil_id", pupil.rawValue), ("concern", concern), ("reported_by", "Rektor Märta Ek")]
        )
        return id
    }
}

extension Store {
    /// The record's fields as `field → value`, or `nil` when this node does not hold it.
    func values(_ entity: String, _ record: RecordID) throws -> [String: Value]? {
        try self.record(entity: entity, record: record)?.mapValues(\.value)
    }
}
