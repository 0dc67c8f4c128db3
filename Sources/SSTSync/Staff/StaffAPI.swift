import SSTCore
import SSTServices
import SSTStore

/// The bodies of the node's staff API (`Protocol/staff-api.md`): what school staff (at a school node) and
/// social workers (at the hub) read and write through it.
public enum StaffAPI {
    /// The first path component of the staff API, with its version.
    public static let pathPrefix = "api/v1"
    /// The records endpoint: `GET`, `PATCH` and `DELETE` `/api/v1/records/{entity}/{id}`.
    public static let recordsPath = "/\(pathPrefix)/records"
    /// The pupils endpoint: `GET /api/v1/pupils?q=…` (search), `GET /api/v1/pupils/{id}` (a pupil's file) and
    /// `GET /api/v1/pupils/{id}/consents`.
    public static let pupilsPath = "/\(pathPrefix)/pupils"
    /// The largest request body the staff API accepts (a record's fields): 1 MiB.
    public static let maxBodyBytes = 1 << 20

    /// A record as `GET /api/v1/records/{entity}/{id}` answers it.
    public struct Record: Codable, Hashable, Sendable {
        public let entity: String
        public let id: String
        /// Every field the node holds for the record (with `_deleted` when it was deleted), by name.
        public let fields: [String: Field]

        public init(entity: String, id: String, fields: [String: Field]) {
            self.entity = entity
            self.id = id
            self.fields = fields
        }
    }

    /// A pupil's file as `GET /api/v1/pupils/{id}` answers it: every record at the node that concerns the pupil,
    /// ordered by entity and id.
    public struct PupilFile: Codable, Hashable, Sendable {
        public let pupil: String
        public let records: [Record]
        /// How many elevhälsa records the staff member may not read (and were left out).
        public let withheldHealthRecords: Int

        public init(pupil: String, records: [Record], withheldHealthRecords: Int) {
            self.pupil = pupil
            self.records = records
            self.withheldHealthRecords = withheldHealthRecords
        }
    }

    /// The answer to `GET /api/v1/pupils?q=…`: the pupils found, and whether there were more than the limit.
    public struct PupilSearch: Codable, Hashable, Sendable {
        public let matches: [PupilMatch]
        public let truncated: Bool

        public init(_ search: SSTServices.PupilSearch) {
            matches = search.matches.map(PupilMatch.init)
            truncated = search.truncated
        }
    }

    /// A pupil found by a search.
    public struct PupilMatch: Codable, Hashable, Sendable {
        public let id: String
        public let givenName: String?
        public let familyName: String?
        public let personnummer: String?
        public let grade: Int64?
        public let className: String?
        public let school: String?
        public let protectedIdentity: Bool

        public init(_ match: SSTServices.PupilMatch) {
            id = match.pupil.rawValue
            givenName = match.givenName
            familyName = match.familyName
            personnummer = match.personnummer
            grade = match.grade
            className = match.className
            school = match.school
            protectedIdentity = match.protectedIdentity
        }
    }

    /// A field's value and the stamp of the write that gave it.
    public struct Field: Codable, Hashable, Sendable {
        public let value: Value
        public let stamp: String

        public init(value: Value, stamp: String) {
            self.value = value
            self.stamp = stamp
        }
    }

    /// The body of `PATCH /api/v1/records/{entity}/{id}`: the fields to write, each with its JSON value
    /// (`null` clears a field).
    public struct Write: Codable, Hashable, Sendable {
        public let fields: [String: Value]

        public init(fields: [String: Value]) {
            self.fields = fields
        }
    }

    /// The answer to a write: the fields written and the stamp they share.
    public struct Written: Codable, Hashable, Sendable {
        public let entity: String
        public let id: String
        public let fields: [String]
        public let stamp: String

        public init(entity: String, id: String, fields: [String], stamp: String) {
            self.entity = entity
            self.id = id
            self.fields = fields
            self.stamp = stamp
        }
    }
}
