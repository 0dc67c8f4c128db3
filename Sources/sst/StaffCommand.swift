import ArgumentParser
import Foundation
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore

struct StaffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "staff",
        abstract: "Give staff access to the node's staff API, list who has it, and revoke it.",
        discussion: """
            School staff (at a school node) and social workers (at the hub) read and write records through \
            the staff API of `sst node serve` / `sst hub serve` (Protocol/staff-api.md), with a bearer token \
            made here. Every read and write through it is logged in the audit trail (`sst audit list`) \
            with the staff member's name.
            """,
        subcommands: [Add.self, List.self, Revoke.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a staff member's access token; it is shown once.",
            discussion: """
                The node keeps only the token's SHA-256 digest: hand the token over in person or by another \
                secure channel. A name whose token is valid must be revoked before it is added again.

                The role decides what the member may read and write (Protocol/staff-api.md, Roles). At a school \
                node: elevhalsa (elevhälsa records too; --health-records is the same), sst (the team's cases; the \
                default) or mentor (the identity and absence of the pupils of --classes). At the hub an account \
                sees every record the hub holds, or with --stadsdel only those of that stadsdel.

                Examples:
                  sst staff add --data ./ekbacken-1 --name "Anna Lind"
                  sst staff add --data ./ekbacken-1 --name "Per Mentor" --role mentor --classes 8B,9A
                  sst staff add --data ./hub --name "Siv Socialsekreterare" --stadsdel Södermalm
                """
        )

        @OptionGroup var options: DataOptions
        @Option(help: ArgumentHelp("The staff member's name, as the audit trail will show it.", valueName: "NAME"))
        var name: String
        @Flag(
            help: """
                The member works in elevhälsa (school nurse, psychologist, kurator) and may read and write its \
                records (health_note); no one else may.
                """
        )
        var healthRecords = false
        @Option(
            help: ArgumentHelp(
                "At a school node: elevhalsa, sst (default) or mentor (with --classes).",
                valueName: "ROLE"
            )
        )
        var role: String?
        @Option(help: ArgumentHelp("A mentor's classes, comma-separated (8B,9A).", valueName: "CLASSES"))
        var classes: String?
        @Option(help: ArgumentHelp("At the hub: the stadsdel whose records the account sees.", valueName: "NAME"))
        var stadsdel: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if let role, StaffRole(rawValue: role) == nil || role == StaffRole.social.rawValue {
                throw ValidationError("--role \"\(role)\" is not a role: give elevhalsa, sst or mentor")
            }
        }

        func run() throws {
            let token = try options.openStore().addStaff(
                name: name,
                healthRecords: healthRecords,
                role: role.flatMap(StaffRole.init(rawValue:)),
                classes: classes.map { $0.split(separator: ",").map(String.init) } ?? [],
                stadsdel: stadsdel
            )
            if json {
                printJSON(.object(["name": .string(name), "token": .string(token.text)]))
            } else {
                print("Staff token for \(name) (shown once; the node keeps only its digest):")
                print(token.text)
                print("Use it as: Authorization: Bearer <token>. Revoke it with `sst staff revoke --name \"\(name)\"`.")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the staff members and whether their tokens are valid."
        )

        @OptionGroup var options: DataOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let members = try options.openStore().staffMembers()
            if json {
                printJSON(
                    .array(
                        members.map { member in
                            .object([
                                "name": .string(member.name),
                                "healthRecords": .bool(member.healthRecords),
                                "role": .string(member.role.rawValue),
                                "classes": .array(member.classes.map(CanonicalJSON.string)),
                                "stadsdel": member.stadsdel.map(CanonicalJSON.string) ?? .null,
                                "added": .string(
                                    InstantText.iso8601(millisecondsSinceEpoch: member.addedAtMilliseconds)
                                ),
                                "revoked": member.revokedAtMilliseconds.map {
                                    .string(InstantText.iso8601(millisecondsSinceEpoch: $0))
                                } ?? .null,
                            ])
                        }
                    )
                )
                return
            }
            if members.isEmpty { print("No staff members. Add one with `sst staff add --name NAME`.") }
            let width = members.map(\.name.count).max() ?? 0
            for member in members {
                let added = InstantText.iso8601(millisecondsSinceEpoch: member.addedAtMilliseconds)
                let healthRecords =
                    (member.healthRecords ? "  elevhälsa records" : "  role \(member.role.rawValue)")
                    + (member.classes.isEmpty ? "" : " of \(member.classes.joined(separator: ","))")
                    + (member.stadsdel.map { " in \($0)" } ?? "")
                let state =
                    member.revokedAtMilliseconds.map {
                        "revoked \(InstantText.iso8601(millisecondsSinceEpoch: $0))"
                    } ?? "valid"
                print(
                    member.name.padding(toLength: width, withPad: " ", startingAt: 0)
                        + "  added \(added)  \(state)\(healthRecords)"
                )
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a staff member's token; the staff API refuses it from the next request on."
        )

        @OptionGroup var options: DataOptions
        @Option(help: ArgumentHelp("The staff member's name.", valueName: "NAME")) var name: String

        func run() throws {
            try options.openStore().revokeStaff(name: name)
            print("Revoked the staff token of \(name).")
        }
    }
}
