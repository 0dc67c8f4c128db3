import Foundation
import GRDB
import SSTCore
import SSTPrivacy
import SSTStore

/// A pupil found by a staff member's search: enough to tell pupils apart and open the right file.
public struct PupilMatch: Hashable, Sendable {
    public let pupil: RecordID
    public let givenName: String?
    public let familyName: String?
    public let personnummer: String?
    public let grade: Int64?
    public let className: String?
    public let school: String?
    /// *Skyddade personuppgifter*: the pupil's identity must not be passed on.
    public let protectedIdentity: Bool

    /// The `pupil.…` fields the match shows: those with a value, and whether the identity is protected.
    var shownFields: [String] {
        let present: [(String, Bool)] = [
            (FieldName.givenName, givenName != nil), (FieldName.familyName, familyName != nil),
            (FieldName.personnummer, personnummer != nil), (FieldName.grade, grade != nil),
            (FieldName.className, className != nil), (FieldName.school, school != nil),
        ]
        return (present.compactMap { $0.1 ? $0.0 : nil } + [FieldName.protectedIdentity]).map {
            "\(EntityName.pupil).\($0)"
        }
    }
}

/// What ``Store/searchPupils(matching:limit:presenting:)`` found.
public struct PupilSearch: Hashable, Sendable {
    /// The matches, by family name, given name and id, at most the limit asked for.
    public let matches: [PupilMatch]
    /// True when more pupils matched than the limit.
    public let truncated: Bool
}

extension Store {
    /// The most matches a pupil search answers.
    public static let maxPupilMatches = 50

    /// The pupils at this node that match `query`, for a staff member: each word of the query must match the
    /// start of a given or family name (case-insensitive), the start of the personnummer, or the whole class name.
    /// Deleted and purged pupils are not found. Every pupil shown is logged (a `staff_read` entry per pupil, with
    /// the query), in the same transaction; a search that finds nothing is logged once.
    ///
    /// Refuses a query of fewer than 2 characters (it would list the whole school) and a limit outside
    /// 1…``maxPupilMatches``.
    public func searchPupils(
        matching query: String,
        limit: Int = maxPupilMatches,
        presenting token: StaffToken
    ) throws -> PupilSearch {
        // Compared NFC-normalised on both sides: "Åsa" typed decomposed (A + ring) finds "Åsa" stored composed.
        let words = query.precomposedStringWithCanonicalMapping.split(whereSeparator: \.isWhitespace).map {
            $0.lowercased()
        }
        guard words.joined().count >= 2 else {
            throw StoreError(
                .invalidValue,
                "the search \"\(query)\" is too short",
                remedy: "Give at least 2 characters: part of a name, the start of a personnummer, or a class (8B)."
            )
        }
        guard (1...Self.maxPupilMatches).contains(limit) else {
            throw StoreError(
                .invalidValue,
                "the limit \(limit) is not between 1 and \(Self.maxPupilMatches)",
                remedy: "Give a limit from 1 to \(Self.maxPupilMatches), or none."
            )
        }
        let physical = physicalClock.milliseconds()
        return try writer.write { db in
            let member = try Self.requireStaff(presenting: token, db)
            let rows = try Row.fetchAll(db, sql: Self.pupilSearchSQL)
            let pupilSchema = schema.entity(named: EntityName.pupil)
            // Only the pupils the member may read: a mentor's classes, a bound social worker's stadsdel.
            let all = try rows.compactMap(Self.pupilMatch).filter { Self.pupil($0, matches: words) }.filter { match in
                let scope = try Self.recordScope(of: member, entity: EntityName.pupil, record: match.pupil, db)
                return member.permits(.read, entity: pupilSchema, named: EntityName.pupil, scope: scope)
            }.sorted {
                ($0.familyName ?? "", $0.givenName ?? "", $0.pupil) < (
                    $1.familyName ?? "", $1.givenName ?? "", $1.pupil
                )
            }
            let matches = Array(all.prefix(limit))
            let detail = "pupil search \"\(query)\""
            let entries =
                matches.isEmpty
                ? [member.readEntry(at: physical, detail: detail + ": no match")]
                : matches.map {
                    member.readEntry(at: physical, pupil: $0.pupil, fields: $0.shownFields, detail: detail)
                }
            try Self.appendAudit(entries, db)
            return PupilSearch(matches: matches, truncated: all.count > limit)
        }
    }

    private static let pupilSearchSQL: String = {
        let columns = [
            FieldName.givenName, FieldName.familyName, FieldName.personnummer, FieldName.grade, FieldName.className,
            FieldName.school, FieldName.protectedIdentity,
        ]
        return "SELECT id, \(columns.map(ColumnCoding.quoted).joined(separator: ", ")) "
            + "FROM \(ColumnCoding.quoted(EntityName.pupil)) WHERE NOT _deleted AND NOT _purged"
    }()

    private static func pupilMatch(_ row: Row) -> PupilMatch? {
        guard let id = RecordID(row["id"]) else { return nil }
        return PupilMatch(
            pupil: id,
            givenName: row[FieldName.givenName],
            familyName: row[FieldName.familyName],
            personnummer: row[FieldName.personnummer],
            grade: row[FieldName.grade],
            className: row[FieldName.className],
            school: row[FieldName.school],
            protectedIdentity: row[FieldName.protectedIdentity] ?? false
        )
    }

    /// Whether every word matches a name's start, the personnummer's start or the class name.
    private static func pupil(_ match: PupilMatch, matches words: [String]) -> Bool {
        var names: [String] = []
        for name in [match.givenName, match.familyName].compactMap({
            $0?.precomposedStringWithCanonicalMapping.lowercased()
        }) {
            names.append(name)
            names += name.split(whereSeparator: { $0 == " " || $0 == "-" }).map(String.init)
        }
        let personnummer = match.personnummer?.filter(\.isNumber) ?? ""
        let className = match.className?.precomposedStringWithCanonicalMapping.lowercased()
        return words.allSatisfy { word in
            if names.contains(where: { $0.hasPrefix(word) }) || className == word { return true }
            let digits = word.filter(\.isNumber)
            let isNumber = !digits.isEmpty && word.allSatisfy { $0.isNumber || $0 == "-" }
            return isNumber && personnummer.hasPrefix(digits)
        }
    }
}
