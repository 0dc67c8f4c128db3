import Foundation
import Hummingbird
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore

extension StaffAPI {
    /// The conflicts endpoint: `GET /api/v1/conflicts`, `POST /api/v1/conflicts/resolve`.
    public static let conflictsPath = "/\(pathPrefix)/conflicts"

    /// A text field with concurrent values waiting for a person to choose.
    public struct Conflict: Codable, Hashable, Sendable {
        public let entity: String
        public let id: String
        public let field: String
        /// The value shown now (the greatest stamp).
        public let current: Field
        /// The concurrent values that lost, kept so that nothing is silently lost.
        public let others: [Field]

        public init(_ conflict: SSTStore.Conflict) {
            entity = conflict.entity
            id = conflict.record.rawValue
            field = conflict.field
            current = Field(value: conflict.current.value, stamp: conflict.current.stamp.description)
            others = conflict.others.map { Field(value: $0.value, stamp: $0.stamp.description) }
        }
    }

    /// The body of `POST /api/v1/conflicts/resolve`: the value that supersedes every concurrent one.
    public struct Resolution: Codable, Hashable, Sendable {
        public let entity: String
        public let id: String
        public let field: String
        public let value: Value

        public init(entity: String, id: String, field: String, value: Value) {
            self.entity = entity
            self.id = id
            self.field = field
            self.value = value
        }
    }
}

/// The staff API's conflict routes (`Protocol/staff-api.md`): the open conflicts, each read logged, and their
/// resolution, the staff member's logged write.
enum StaffConflictRoutes {
    static func add(to api: RouterGroup<SyncRequestContext>, store: Store) {
        let conflicts = api.group("conflicts")
        conflicts.get { _, context in
            let token = try StaffRoutes.token(context)
            let found = try await Blocking.run { try store.staffConflicts(presenting: token) }
            return try SyncRoutes.json(found.map(StaffAPI.Conflict.init))
        }
        conflicts.post("resolve") { request, context in
            let token = try StaffRoutes.token(context)
            let resolution = try StaffRoutes.decode(StaffAPI.Resolution.self, try await StaffRoutes.body(request))
            guard let record = RecordID(resolution.id) else {
                throw Problem.malformed("id: \"\(resolution.id)\" is not a record id (a lower-case UUID)")
            }
            let change = try await Blocking.run {
                try store.resolveConflict(
                    entity: resolution.entity,
                    record: record,
                    field: resolution.field,
                    value: resolution.value,
                    presenting: token
                )
            }
            return try SyncRoutes.json(
                StaffAPI.Written(
                    entity: change.entity,
                    id: record.rawValue,
                    fields: [change.field],
                    stamp: "\(change.stamp)"
                )
            )
        }
    }
}
