import ArgumentParser
import Foundation
import SSTCore
import SSTPrivacy
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

                Example:
                  sst staff add --data ./ekbacken-1 --name "Anna Lind"
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
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let token = try options.openStore().addStaff(name: name, healthRecords: healthRecords)
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
                let healthRecords = member.healthRecords ? "  elevhälsa records" : ""
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
