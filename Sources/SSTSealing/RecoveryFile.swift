import Crypto
import Foundation

/// The recovery file: the school key as text for the rektor's safe, from which a node is rebuilt from nothing
/// (`sst school-key recover`).
///
/// A few explanatory lines in Swedish and English, then a block between `-----BEGIN SST SCHOOL KEY-----` and
/// `-----END SST SCHOOL KEY-----` of `name: value` lines: `version`, `school`, `key-id`, `epoch`, `created`
/// (milliseconds since 1970), `key` (64 hex digits in groups of four) and `checksum`: the first 8 bytes of
/// SHA-256 over `sst-school-key-recovery v1\n` + school, key id, epoch, created and the key in lower-case hex,
/// each followed by `\n`, in hex in groups of four. A truncated or mistyped file is refused.
public enum RecoveryFile {
    static let begin = "-----BEGIN SST SCHOOL KEY-----"
    static let end = "-----END SST SCHOOL KEY-----"
    static let fields = ["version", "school", "key-id", "epoch", "created", "key", "checksum"]

    /// The recovery file's text for `key`.
    public static func text(for key: SchoolKey) -> String {
        let hex = Hex.encode(key.material)
        return """
            SST Sync – återställningsfil för skolans nyckel / recovery file for the school's key
            Skola / School: \(key.school)

            Förvara filen (eller en utskrift) i rektorns kassaskåp. Den som har den kan läsa skolans egna
            uppgifter som skickas via navet: kopiera den inte och skicka den aldrig med e-post.
            Gör en ny återställningsfil efter varje nyckelbyte (rotation): den här gäller epok \(key.epoch).
            Återställ en nod med: sst school-key recover --data KATALOG FIL

            Keep this file (or a printout) in the rektor's safe. Whoever holds it can read the school's own
            data relayed through the hub: do not copy it, never send it by e-mail.
            Make a new recovery file after every key rotation: this one is for epoch \(key.epoch).
            Restore a node with: sst school-key recover --data DIR FILE

            \(begin)
            version: 1
            school: \(key.school)
            key-id: \(key.id)
            epoch: \(key.epoch)
            created: \(key.createdAtMilliseconds)
            key: \(grouped(hex))
            checksum: \(grouped(checksum(school: key.school, id: key.id, epoch: key.epoch,
                created: key.createdAtMilliseconds, hex: hex)))
            \(end)

            """
    }

    /// Reads the key from a recovery file's text; refuses a truncated file (`truncated`), a mistyped one whose
    /// checksum does not match (`tampered`), and anything else that is not a recovery file (`malformed`).
    public static func read(_ text: String) throws(SealingError) -> SchoolKey {
        let remedy =
            "Nothing was installed. Check the file against the paper copy in the rektor's safe, or make "
            + "a new one with `sst school-key recovery` on a node of the school that has the key."
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = lines.firstIndex(of: begin) else {
            throw SealingError(
                lines.contains { !$0.isEmpty } ? .malformed : .truncated,
                "the file is not a recovery file of a school key: it has no line \(begin)",
                remedy: remedy
            )
        }
        guard let last = lines[first...].firstIndex(of: end) else {
            throw SealingError(.truncated, "the recovery file is cut short: it has no line \(end)", remedy: remedy)
        }
        var values: [String: String] = [:]
        for line in lines[(first + 1)..<last] where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else {
                throw SealingError(.malformed, "the recovery file has a line \"\(line)\" without name:", remedy: remedy)
            }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            guard fields.contains(name) else {
                throw SealingError(.malformed, "the recovery file has an unknown line \"\(name)\"", remedy: remedy)
            }
            guard values[name] == nil else {
                throw SealingError(.malformed, "the recovery file has the line \"\(name)\" twice", remedy: remedy)
            }
            values[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if let missing = fields.first(where: { values[$0] == nil }) {
            throw SealingError(.truncated, "the recovery file has no line \"\(missing):\"", remedy: remedy)
        }
        guard values["version"] == "1" else {
            throw SealingError(
                .malformed,
                "the recovery file is of version \(values["version"]!); this sst reads version 1",
                remedy: "Upgrade sst to the version that made the file."
            )
        }
        let school = values["school"]!
        let id = values["key-id"]!.lowercased()
        guard let epoch = Int(values["epoch"]!), let created = UInt64(values["created"]!) else {
            throw SealingError(.malformed, "the recovery file's epoch or created line is not a number", remedy: remedy)
        }
        let hexText = values["key"]!.filter { !$0.isWhitespace }
        let checksumText = values["checksum"]!.filter { !$0.isWhitespace }.lowercased()
        guard let material = Hex.decode(hexText), material.count == SchoolKey.materialLength else {
            let tooShort = hexText.count < SchoolKey.materialLength * 2
            throw SealingError(
                tooShort ? .truncated : .malformed,
                "the recovery file's key line holds \(hexText.count) characters, not 64 hex digits",
                remedy: remedy
            )
        }
        guard checksumText.count == 16 else {
            throw SealingError(
                checksumText.count < 16 ? .truncated : .malformed,
                "the recovery file's checksum holds \(checksumText.count) characters, not 16 hex digits",
                remedy: remedy
            )
        }
        let expected = checksum(school: school, id: id, epoch: epoch, created: created, hex: Hex.encode(material))
        guard checksumText == expected else {
            throw SealingError(
                .tampered,
                "the recovery file's checksum does not match its contents: a character is mistyped or altered",
                remedy: remedy
            )
        }
        return try SchoolKey.validated(
            school: school,
            id: id,
            epoch: epoch,
            createdAtMilliseconds: created,
            material: material,
            what: "the recovery file"
        )
    }

    static func checksum(school: String, id: String, epoch: Int, created: UInt64, hex: String) -> String {
        let text = "sst-school-key-recovery v1\n\(school)\n\(id)\n\(epoch)\n\(created)\n\(hex)\n"
        return Hex.encode(SHA256.hash(data: Data(text.utf8)).prefix(8))
    }

    private static func grouped(_ hex: String) -> String {
        var groups: [Substring] = []
        var rest = Substring(hex)
        while !rest.isEmpty {
            groups.append(rest.prefix(4))
            rest = rest.dropFirst(4)
        }
        return groups.joined(separator: " ")
    }
}
