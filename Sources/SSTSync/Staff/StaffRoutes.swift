import Foundation
import Hummingbird
import NIOCore
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore

/// The staff API's routes (`Protocol/staff-api.md`), on a school node's or the hub's HTTPS listener, behind
/// ``StaffTokenMiddleware``. Every read and write is logged in the node's audit trail by the store.
public enum StaffRoutes {
    /// Adds `GET`, `PATCH` and `DELETE` `/api/v1/records/{entity}/{id}`, `GET /api/v1/pupils?q=…` (search),
    /// `GET /api/v1/pupils/{id}` (a pupil's file), the consent routes (``StaffConsentRoutes``) and the conflict
    /// routes (``StaffConflictRoutes``) to `router`.
    public static func add(to router: Router<SyncRequestContext>, store: Store) {
        let api = router.group(RouterPath(StaffAPI.pathPrefix)).add(middleware: StaffTokenMiddleware(store: store))
            .add(middleware: RefusalAuditMiddleware(store: store))
        let records = api.group("records")
        records.get(":entity/:id") { _, context in
            let (token, entity, record) = (try token(context), try entity(context), try recordID(context, "id"))
            let fields = try await Blocking.run {
                try store.readRecord(entity: entity, record: record, presenting: token)
            }
            guard let fields else { throw notHere("\(entity) \(record)") }
            return try SyncRoutes.json(Self.record(RecordRead(entity: entity, record: record, fields: fields)))
        }
        records.patch(":entity/:id") { request, context in
            let (token, entity, record) = (try token(context), try entity(context), try recordID(context, "id"))
            let write = try decode(StaffAPI.Write.self, try await body(request))
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
        records.delete(":entity/:id") { _, context in
            let (token, entity, record) = (try token(context), try entity(context), try recordID(context, "id"))
            let change = try await Blocking.run { try store.delete(entity: entity, record: record, presenting: token) }
            return try SyncRoutes.json(
                StaffAPI.Written(entity: entity, id: record.rawValue, fields: [change.field], stamp: "\(change.stamp)")
            )
        }
        api.get("pupils") { request, context in
            let token = try token(context)
            guard let query = request.uri.queryParameters["q"].map(String.init) else {
                throw Problem.malformed("the search needs a query parameter q, e.g. /api/v1/pupils?q=Öberg")
            }
            let limit = try SyncRoutes.integer(request, "limit").map { Int(clamping: $0) } ?? Store.maxPupilMatches
            let found = try await Blocking.run {
                try store.searchPupils(matching: query, limit: limit, presenting: token)
            }
            return try SyncRoutes.json(StaffAPI.PupilSearch(found))
        }
        api.get("pupils/:id") { _, context in
            let (token, pupil) = (try token(context), try recordID(context, "id"))
            let file = try await Blocking.run { try store.readPupilFile(pupil: pupil, presenting: token) }
            guard let file else { throw notHere("pupil \(pupil), nor any record about the pupil,") }
            return try SyncRoutes.json(
                StaffAPI.PupilFile(
                    pupil: pupil.rawValue,
                    records: file.records.map(Self.record),
                    withheldHealthRecords: file.withheldHealthRecords
                )
            )
        }
        StaffConsentRoutes.add(to: api, store: store)
        StaffConflictRoutes.add(to: api, store: store)
    }

    /// The token ``StaffTokenMiddleware`` checked.
    static func token(_ context: SyncRequestContext) throws(Problem) -> StaffToken {
        guard let token = context.staffToken else { throw Problem.staffToken("no staff token was checked") }
        return token
    }

    private static func entity(_ context: SyncRequestContext) throws(Problem) -> String {
        context.parameters.get("entity") ?? ""
    }

    /// The record id in the path parameter `name`, or a 400 problem.
    static func recordID(_ context: SyncRequestContext, _ name: String) throws(Problem) -> RecordID {
        let text = context.parameters.get(name) ?? ""
        guard let record = RecordID(text) else {
            throw Problem.malformed("\"\(text)\" is not a record id (a lower-case UUID)")
        }
        return record
    }

    /// The request body, at most ``StaffAPI/maxBodyBytes``, or a 413 problem.
    static func body(_ request: Request) async throws -> Data {
        do {
            return Data(try await request.body.collect(upTo: StaffAPI.maxBodyBytes).readableBytesView)
        } catch is NIOTooManyBytesError {
            throw Problem(
                status: 413,
                code: Problem.Codes.bodyTooLarge,
                title: "Request body too large",
                detail: "the body is larger than the staff API accepts (\(StaffAPI.maxBodyBytes) bytes)",
                remedy: "Write a record's fields in more than one request."
            )
        }
    }

    /// A JSON body as `type`, or a 400 problem naming what is wrong with it (a member named twice included).
    static func decode<T: Decodable>(_ type: T.Type, _ body: Data) throws(Problem) -> T {
        if let duplicate = JSONDuplicateMembers.first(in: body) {
            throw Problem.malformed("the body names \(duplicate.joined(separator: ".")) twice")
        }
        do {
            return try JSONDecoder().decode(type, from: body)
        } catch {
            throw Problem.malformed("the body is not the JSON this endpoint takes (Protocol/openapi.yaml): \(error)")
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
}
