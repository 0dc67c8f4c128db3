import Foundation
import Hummingbird
import NIOCore
import SSTCore
import SSTPrivacy
import SSTStore

/// The staff API's routes (`Protocol/staff-api.md`), on a school node's or the hub's HTTPS listener, behind
/// ``StaffTokenMiddleware``. Every read and write is logged in the node's audit trail by the store.
public enum StaffRoutes {
    /// Adds `GET` and `PATCH` `/api/v1/records/{entity}/{id}` and `GET /api/v1/pupils/{id}` to `router`.
    public static func add(to router: Router<SyncRequestContext>, store: Store) {
        let api = router.group(RouterPath(StaffAPI.pathPrefix)).add(middleware: StaffTokenMiddleware(store: store))
        let records = api.group("records")
        records.get(":entity/:id") { request, context in
            let (entity, record, token) = try target(context)
            let fields = try await Blocking.run {
                try store.readRecord(entity: entity, record: record, presenting: token)
            }
            guard let fields else { throw notHere("\(entity) \(record)") }
            return try SyncRoutes.json(Self.record(RecordRead(entity: entity, record: record, fields: fields)))
        }
        records.patch(":entity/:id") { request, context in
            let (entity, record, token) = try target(context)
            let body: Data
            do {
                body = Data(try await request.body.collect(upTo: StaffAPI.maxBodyBytes).readableBytesView)
            } catch is NIOTooManyBytesError {
                throw Problem(
                    status: 413,
                    code: Problem.Codes.bodyTooLarge,
                    title: "Request body too large",
                    detail: "the body is larger than the staff API accepts (\(StaffAPI.maxBodyBytes) bytes)",
                    remedy: "Write a record's fields in more than one request."
                )
            }
            let write = try decodeWrite(body)
            let changes = try await Blocking.run {
                try store.writeRecord(entity: entity, record: record, values: write.fields, presenting: token)
            }
            return try SyncRoutes.json(
                StaffAPI.Written(
                    entity: entity,
                    id: record.rawValue,
                    fields: changes.map(\.field),
                    stamp: changes.first.map { "\($0.stamp)" } ?? ""
                )
            )
        }
        api.get("pupils/:id") { request, context in
            let (_, pupil, token) = try target(context)
            let file = try await Blocking.run { try store.readPupilFile(pupil: pupil, presenting: token) }
            guard let file else { throw notHere("pupil \(pupil), nor any record about the pupil,") }
            return try SyncRoutes.json(StaffAPI.PupilFile(pupil: pupil.rawValue, records: file.map(Self.record)))
        }
    }

    private static func record(_ read: RecordRead) -> StaffAPI.Record {
        StaffAPI.Record(
            entity: read.entity,
            id: read.record.rawValue,
            fields: read.fields.mapValues { StaffAPI.Field(value: $0.value, stamp: $0.stamp.description) }
        )
    }

    private static func notHere(_ what: String) -> Problem {
        Problem(
            status: 404,
            code: Problem.Codes.notFound,
            title: "Not found",
            detail: "there is no \(what) on this node",
            remedy: "Check the id (and the entity); a record that another node holds reaches this one by sync, as far "
                + "as the privacy policy lets it cross."
        )
    }

    private static func target(_ context: SyncRequestContext) throws -> (String, RecordID, StaffToken) {
        guard let token = context.staffToken else { throw Problem.staffToken("no staff token was checked") }
        let entity = context.parameters.get("entity") ?? ""
        let text = context.parameters.get("id") ?? ""
        guard let record = RecordID(text) else {
            throw Problem.malformed("\"\(text)\" is not a record id (a lower-case UUID)")
        }
        return (entity, record, token)
    }

    /// The write a PATCH body asks for, or a 400 problem naming what is wrong with it.
    static func decodeWrite(_ body: Data) throws(Problem) -> StaffAPI.Write {
        if let duplicate = JSONDuplicateMembers.first(in: body) {
            throw Problem.malformed("the body names \(duplicate.joined(separator: ".")) twice")
        }
        do {
            return try JSONDecoder().decode(StaffAPI.Write.self, from: body)
        } catch {
            throw Problem.malformed(
                "the body is not {\"fields\": {\"<field>\": <value>, …}} with JSON values (null clears a field): \(error)"
            )
        }
    }
}
