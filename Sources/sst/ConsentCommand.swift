import ArgumentParser
import Foundation
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore

struct ConsentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consent",
        abstract: "Record, withdraw and list the guardians' consent to share across the secrecy boundary.",
        discussion: """
            A consent names the pupil, the scopes (identity, absence, school_assessment, sst_case, \
            social_support_flag), who consented and how, and its validity (default 12 months). With \
            joint custody it is pending until every guardian with custody has said yes; any no makes \
            it refused. From 12 the child's view is recorded; from 15 the pupil's own consent is also \
            required (policy settings). Withdrawal stops the flow at once and the other side purges \
            what it received under the consent.
            """,
        subcommands: [Grant.self, Answer.self, Withdraw.self, List.self, Sweep.self]
    )

    struct Grant: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a consent.",
            discussion: """
                Example:
                  sst consent grant --data ./ekbacken --pupil PUPIL_ID \\
                    --scopes identity,sst_case --given-by GUARDIAN_1,GUARDIAN_2 \\
                    --method written --pupil-view "Vill ha hjälp med skolan."
                """
        )

        @OptionGroup var options: DataOptions
        @Option(help: ArgumentHelp("The pupil's record id.", valueName: "UUID")) var pupil: String
        @Option(help: ArgumentHelp("Comma-separated consent scopes.", valueName: "S1,S2")) var scopes: String
        @Option(help: ArgumentHelp("Guardians who said yes (record ids).", valueName: "ID[,ID]")) var givenBy: String
        @Option(help: ArgumentHelp("Guardians who said no.", valueName: "ID[,ID]")) var refusedBy: String?
        @Option(help: "written or oral.") var method: String
        @Option(help: ArgumentHelp("First day of validity (default today).", valueName: "YYYY-MM-DD")) var validFrom:
            String?
        @Option(help: ArgumentHelp("Last day of validity (default 12 months on).", valueName: "YYYY-MM-DD"))
        var validUntil: String?
        @Option(help: "What the information is shared for.") var purpose: String?
        @Option(help: "The child's view, in the child's words (required from the policy's age, 12).") var pupilView:
            String?
        @Flag(inversion: .prefixedNo, help: "The pupil's own consent (required from the policy's age, 15).")
        var pupilConsent: Bool?
        @Option(help: "Who recorded the consent.") var recordedBy: String?
        @Option(help: "Where the signed form is kept.") var documentRef: String?
        @Option(
            help: ArgumentHelp(
                "Record the consent under this id: after a restore from a backup, the id the hub holds a consent "
                    + "given after the backup by (the refused sync names the pupil; the hub's `sst consent list "
                    + "--pupil ID` shows the id), so that a later withdrawal here reaches the hub's copy.",
                valueName: "UUID"
            )
        )
        var id: String?

        func validate() throws {
            guard ["written", "oral"].contains(method) else {
                throw ValidationError("--method must be written or oral")
            }
            for (name, text) in [("--valid-from", validFrom), ("--valid-until", validUntil)] {
                if let text, CivilDate(text) == nil {
                    throw ValidationError("\(name) \"\(text)\" is not a date YYYY-MM-DD")
                }
            }
        }

        func run() throws {
            let request = ConsentRequest(
                id: try id.map { try recordID($0, "--id") },
                pupil: try recordID(pupil, "--pupil"),
                scopes: scopes.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) },
                purpose: purpose,
                answers: ConsentAnswers(
                    givenBy: try ids(givenBy, "--given-by"),
                    refusedBy: try ids(refusedBy ?? "", "--refused-by"),
                    pupilView: pupilView,
                    pupilConsent: pupilConsent
                ),
                method: method,
                validFrom: validFrom.flatMap(CivilDate.init),
                validUntil: validUntil.flatMap(CivilDate.init),
                recordedBy: recordedBy,
                documentRef: documentRef
            )
            let summary = try options.openStore().grantConsent(request)
            print(
                "Recorded consent \(summary.id): \(summary.status), \(summary.scopes.joined(separator: ", ")), "
                    + "valid \(summary.validFrom ?? "?") – \(summary.validUntil ?? "?")"
            )
        }
    }

    struct Answer: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record one more guardian's yes or no on a consent.")

        @OptionGroup var options: DataOptions
        @Option(help: ArgumentHelp("The consent's id.", valueName: "UUID")) var id: String
        @Option(help: ArgumentHelp("The guardian's record id.", valueName: "UUID")) var guardian: String
        @Flag(help: "The guardian consents.") var yes = false
        @Flag(help: "The guardian refuses.") var no = false

        func validate() throws {
            if yes == no { throw ValidationError("give exactly one of --yes or --no") }
        }

        func run() throws {
            let summary = try options.openStore().answerConsent(
                id: try recordID(id, "--id"),
                guardian: try recordID(guardian, "--guardian"),
                consents: yes
            )
            print("Consent \(summary.id) is now \(summary.status)")
        }
    }

    struct Withdraw: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Withdraw a consent: sharing stops at once and the other side purges what it received."
        )

        @OptionGroup var options: DataOptions
        @Option(help: ArgumentHelp("The consent's id.", valueName: "UUID")) var id: String

        func run() throws {
            let summary = try options.openStore().withdrawConsent(id: try recordID(id, "--id"))
            print("Consent \(summary.id) is \(summary.status)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List consents with today's status (expired included)."
        )

        @OptionGroup var options: DataOptions
        @Option(help: ArgumentHelp("Only this pupil's consents.", valueName: "UUID")) var pupil: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let summaries = try options.openStore().consentSummaries(
                pupil: try pupil.map { try recordID($0, "--pupil") }
            )
            if json {
                printJSON(
                    .array(
                        summaries.map { summary in
                            .object([
                                "id": .string(summary.id.rawValue), "pupil": .string(summary.pupil.rawValue),
                                FieldName.scopes: .array(summary.scopes.map(CanonicalJSON.string)),
                                FieldName.status: .string(summary.status),
                                "validFrom": summary.validFrom.map(CanonicalJSON.string) ?? .null,
                                "validUntil": summary.validUntil.map(CanonicalJSON.string) ?? .null,
                                "givenBy": .array(summary.givenBy.map(CanonicalJSON.string)),
                                FieldName.method: summary.method.map(CanonicalJSON.string) ?? .null,
                            ])
                        }
                    )
                )
                return
            }
            if summaries.isEmpty { print("No consents.") }
            for summary in summaries {
                print(
                    "\(summary.id)  pupil \(summary.pupil)  \(summary.status)  \(summary.scopes.joined(separator: ","))  "
                        + "\(summary.validFrom ?? "?") – \(summary.validUntil ?? "?")  \(summary.method ?? "")"
                )
            }
        }
    }

    struct Sweep: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Purge data received under consents that were withdrawn or have expired (run daily).",
            discussion: "The node service runs this on its own; the command is for nodes run by hand."
        )

        @OptionGroup var options: DataOptions

        func run() throws {
            let report = try options.openStore().sweepConsents()
            print(
                "Purged \(report.purgedFields) fields, retained \(report.retainedFields), for \(report.pupils.count) pupils"
            )
        }
    }
}

/// Parses a record id given on the command line.
func recordID(_ text: String, _ option: String) throws -> RecordID {
    guard let id = RecordID(text.lowercased()) else {
        throw ValidationError("\(option) \"\(text)\" is not a record id (a UUID)")
    }
    return id
}

private func ids(_ text: String, _ option: String) throws -> [RecordID] {
    try text.split(separator: ",").map { try recordID(String($0).trimmingCharacters(in: .whitespaces), option) }
}
