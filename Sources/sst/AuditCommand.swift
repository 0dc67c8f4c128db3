import ArgumentParser
import Foundation
import SSTCore
import SSTPrivacy
import SSTStore

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read and verify the audit trail: what crossed the boundary, was refused or purged, and who read "
            + "or wrote what through the staff API.",
        subcommands: [List.self, Verify.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List audit entries, oldest first.")

        @OptionGroup var options: DataOptions
        @Option(help: ArgumentHelp("Only entries about this pupil.", valueName: "UUID")) var pupil: String?
        @Option(help: ArgumentHelp("From this day (UTC).", valueName: "YYYY-MM-DD")) var from: String?
        @Option(help: ArgumentHelp("Up to and including this day (UTC).", valueName: "YYYY-MM-DD")) var until: String?
        @Option(
            help: ArgumentHelp(
                "Only entries of these kinds (\(AuditEntry.Kind.allCases.map(\.rawValue).joined(separator: ", "))).",
                valueName: "KIND[,KIND]"
            )
        )
        var kind: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let kinds = try kind.map(Self.kinds)
            let records = try options.openStore().auditEntries(
                pupil: try pupil.map { try recordID($0, "--pupil") },
                from: try from.map { try Self.startOfDay($0, "--from") },
                until: try until.map { try Self.startOfDay($0, "--until") + 86_400_000 - 1 }
            ).filter { kinds?.contains($0.entry.kind) ?? true }
            if json {
                printJSON(.array(records.map { .object(["seq": .integer($0.sequence), "entry": $0.entry.json]) }))
                return
            }
            if records.isEmpty { print("No audit entries.") }
            for record in records {
                let entry = record.entry
                var line = "\(record.sequence)  \(InstantText.iso8601(millisecondsSinceEpoch: entry.atMilliseconds))  "
                line += entry.kind.rawValue
                if let direction = entry.direction { line += "  \(direction.label)" }
                if let peer = entry.peer { line += "  peer \(peer)" }
                if let pupil = entry.pupil { line += "  pupil \(pupil)" }
                if let basis = entry.basis { line += "  basis \(basis)" }
                print(line)
                if !entry.fields.isEmpty { print("    fields: \(entry.fields.joined(separator: ", "))") }
                if !entry.detail.isEmpty { print("    \(entry.detail)") }
            }
        }

        static func kinds(_ text: String) throws -> Set<AuditEntry.Kind> {
            Set(
                try text.split(separator: ",").map { name in
                    let trimmed = name.trimmingCharacters(in: .whitespaces)
                    guard let kind = AuditEntry.Kind(rawValue: trimmed) else {
                        throw ValidationError(
                            "--kind \"\(trimmed)\" is not a kind of audit entry; the kinds are "
                                + AuditEntry.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                        )
                    }
                    return kind
                }
            )
        }

        static func startOfDay(_ text: String, _ option: String) throws -> UInt64 {
            guard let date = CivilDate(text) else {
                throw ValidationError("\(option) \"\(text)\" is not a date YYYY-MM-DD")
            }
            return date.millisecondsSinceEpoch
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the hash chain: any edited, removed or reordered entry is named, and entries missing "
                + "at the end that a peer witnessed.",
            discussion: """
                Prints the head hash on success. At each sync the hub and the node record each other's head \
                (length and hash); a trail that ends before a head a peer witnessed (a restore from a backup \
                loses the entries written after it) is reported as "entries after N are missing". Keep the \
                head hash somewhere else too (a ticket, an e-mail to the data protection officer).
                """
        )

        @OptionGroup var options: DataOptions

        func run() throws {
            let result = try options.openStore().verifyAudit()
            if result.isIntact {
                print("The audit trail is intact: \(result.entries) entries, head hash \(result.headHash)")
                return
            }
            for problem in result.problems { print("TAMPERED: \(problem)") }
            for gap in result.missing { print("MISSING: \(gap.message)") }
            if result.problems.isEmpty {
                throw CommandError(
                    "the audit trail ends before what a peer witnessed (\(result.missing.count) "
                        + "\(result.missing.count == 1 ? "finding" : "findings"); \(result.entries) entries here)",
                    remedy: "Report it to the data protection officer: the missing entries were lost with a restore "
                        + "from a backup (or cut off). The peer's trail still names what crossed to it, and an older "
                        + "copy of this database may hold the rest. If this database was never restored, another "
                        + "holder of this node's certificate showed the peer a longer trail: revoke the certificate "
                        + "(`sst pki revoke`)."
                )
            }
            throw CommandError(
                "the audit trail has been altered (\(result.problems.count) problems in \(result.entries) entries"
                    + (result.missing.isEmpty ? ")" : ", and entries missing that a peer witnessed)"),
                remedy: "Report it to the data protection officer; restore the database from a backup to compare."
            )
        }
    }
}
