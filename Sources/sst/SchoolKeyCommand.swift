import ArgumentParser
import Foundation
import SSTCore
import SSTPKI
import SSTSealing
import SSTStore
import SSTSync
import SwiftASN1
import X509

struct SchoolKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "school-key",
        abstract: "The school key: the key only a school's own nodes hold, sealing what the hub relays between them.",
        discussion: """
            A school's own data (health notes, pupils without consent to share, …) travels between the \
            school's nodes partly through the hub, sealed with the school key so that the hub cannot read \
            it. `sst init --role school` makes the key; every other node of the school gets it wrapped for \
            its own certificate (a join file), or from the recovery file in the rektor's safe. The key file \
            is DIR/school-key.json (mode 0600).

            Example, a second node of Ekbackens skola:
              (new node)   sst init --role school --join --node-id ekbacken-2 \\
                             --school "Ekbackens skola" --data ./ekbacken-2
              (first node) sst school-key wrap --data ./ekbacken-1 \\
                             --for ./certs-2/node.pem --ca ./ca.pem \\
                             --out ./ekbacken-2.join
              (new node)   sst school-key import --data ./ekbacken-2 \\
                             ./ekbacken-2.join --key ./certs-2/node-key.pem
              (first node) sst school-key recovery --data ./ekbacken-1 \\
                             --out /media/usb/ekbacken-key.txt
            """,
        subcommands: [Show.self, Wrap.self, Import.self, Recovery.self, Recover.self]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the node's school key: school, key id, epoch, created (never the key itself).",
            discussion: """
                Two nodes of a school share the key when they show the same key id. A node made with \
                `sst init --join` shows that it still waits for the key.

                Example:
                  sst school-key show --data ./ekbacken --json
                """
        )

        @OptionGroup var options: DataOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let identity = try options.openStore().identity()
            let entry = try SchoolKeyFile.loadEntry(directory: options.data)
            if json {
                var members: [String: CanonicalJSON] = [
                    "node": .string(identity.node.rawValue),
                    "school": identity.school.map(CanonicalJSON.string) ?? .null,
                    "hasKey": .bool(entry != nil),
                ]
                if let entry {
                    members["keyID"] = .string(entry.key.id)
                    members["epoch"] = .integer(Int64(entry.key.epoch))
                    members["createdAtMilliseconds"] = .integer(Int64(clamping: entry.key.createdAtMilliseconds))
                    members["created"] = .string(Self.dateText(entry.key.createdAtMilliseconds))
                    members["sealed"] = .bool(entry.sealed)
                }
                printJSON(.object(members))
                return
            }
            guard let entry else {
                print("Node \(identity.node) has no school key yet: it waits for one.")
                print("Install it with `sst school-key import` (a join file from a node of the school) or")
                print("`sst school-key recover` (the recovery file from the rektor's safe).")
                return
            }
            print("School      \(entry.key.school)")
            print("Key id      \(entry.key.id)")
            print("Epoch       \(entry.key.epoch)")
            print("Created     \(Self.dateText(entry.key.createdAtMilliseconds))")
            print("Used        \(entry.sealed ? "yes, this node has sealed data with it" : "not yet")")
        }

        static func dateText(_ milliseconds: UInt64) -> String {
            Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000).formatted(.iso8601)
        }
    }

    struct Wrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wrap the school key for a new node of the same school: a join file only that node opens.",
            discussion: """
                The key is encrypted for the public key in the new node's certificate (HPKE), so the file \
                may travel by USB stick or e-mail: only the holder of that certificate's private key opens \
                it. Refuses a hub's certificate, another school's, and a certificate that does not chain to \
                the district CA (--ca, or the CA in the node's sync settings).

                Example:
                  sst school-key wrap --data ./ekbacken-1 --for ./ekbacken-2-certs/node.pem \\
                    --ca ./ca.pem --out ./ekbacken-2.join
                """
        )

        @OptionGroup var options: DataOptions

        @Option(
            name: .customLong("for"),
            help: ArgumentHelp("The new node's certificate (node.pem).", valueName: "CERT")
        )
        var certificate: String

        @Option(help: ArgumentHelp("The join file to write (must not exist).", valueName: "FILE"))
        var out: String

        @Option(
            help: ArgumentHelp(
                "The district CA certificate (ca.pem); default: the one in the node's sync settings.",
                valueName: "FILE"
            )
        )
        var ca: String?

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let key = try SchoolKeyCommand.requireKey(data: options.data)
            let caFile = try SchoolKeyCommand.settingsPath(data: options.data, given: ca, option: "--ca", \.ca)
            let verifier = try CertificateVerifier(caFile: caFile)
            let pem = try SchoolKeyCommand.readText(certificate, what: "the certificate")
            let parsed: Certificate
            do {
                parsed = try Certificate(pemEncoded: pem)
            } catch {
                throw CommandError(
                    "\(certificate) is not a PEM certificate",
                    remedy: "Give the new node's node.pem made by `sst pki issue`."
                )
            }
            let identity: CertificateIdentity
            do {
                identity = try await verifier.verify(parsed)
            } catch {
                throw CommandError(
                    "the certificate \(certificate) is refused: \(error.message)",
                    remedy: "Give a valid certificate of the new node issued by the district CA \(caFile)."
                )
            }
            var serializer = DER.Serializer()
            try serializer.serialize(parsed)
            let envelope = try KeyEnvelope.wrap(key, forCertificate: serializer.serializedBytes)
            try SchoolKeyCommand.writeNew(try envelope.encoded(), to: out, what: "join file")
            if json {
                printJSON(
                    .object([
                        "out": .string(out), "recipient": .string(identity.node.rawValue),
                        "school": .string(key.school), "keyID": .string(key.id), "epoch": .integer(Int64(key.epoch)),
                    ])
                )
                return
            }
            print("Wrote the join file \(out): the key \(key.id) (epoch \(key.epoch)) of \(key.school),")
            print("wrapped for node \(identity.node) only. On that node run:")
            print("  sst school-key import --data DIR \(URL(fileURLWithPath: out).lastPathComponent)")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install the school key from a join file made for this node (`sst school-key wrap`).",
            discussion: """
                Opens the join file with this node's private key (--key, or the key in the node's sync \
                settings). Refuses another school's key and a key of an earlier epoch than the node's; \
                replaces the key `sst init` made only while this node has sealed nothing with it. Changes \
                nothing when it refuses.

                Example:
                  sst school-key import --data ./ekbacken-2 ./ekbacken-2.join \\
                    --key ./ekbacken-2-certs/node-key.pem
                """
        )

        @OptionGroup var options: DataOptions

        @Argument(help: ArgumentHelp("The join file.", valueName: "FILE"))
        var file: String

        @Option(
            help: ArgumentHelp(
                "This node's private key (node-key.pem); default: the one in the node's sync settings.",
                valueName: "NODE-KEY.pem"
            )
        )
        var key: String?

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let identity = try options.openStore().identity()
            let envelope = try KeyEnvelope.decode(try SchoolKeyCommand.readData(file, what: "the join file"))
            let school = try SchoolKeyCommand.school(of: identity)
            guard envelope.school == school else {
                throw SealingError(
                    .otherSchool,
                    "the join file holds a key of the school \"\(envelope.school)\", this node serves \"\(school)\"",
                    remedy: "Nothing changed. Ask a node of \(school) for a join file made for this node."
                )
            }
            guard envelope.recipient == identity.node.rawValue else {
                throw SealingError(
                    .notForThisNode,
                    "the join file is for node \(envelope.recipient), this is node \(identity.node)",
                    remedy: "Nothing changed. Make a join file for this node's certificate with `sst school-key wrap`."
                )
            }
            let keyPath = try SchoolKeyCommand.settingsPath(data: options.data, given: key, option: "--key", \.key)
            let schoolKey = try envelope.open(privateKeyPEM: try SchoolKeyCommand.readText(keyPath, what: "the key"))
            let outcome = try SchoolKeyFile.install(schoolKey, school: school, directory: options.data)
            SchoolKeyCommand.report(outcome, key: schoolKey, json: json)
        }
    }

    struct Recovery: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the recovery file: the school key as text, for the rektor's safe.",
            discussion: """
                With the recovery file a node of the school is rebuilt from nothing (`sst school-key \
                recover`). Whoever holds it can read the school's data relayed through the hub: keep it \
                (or a printout) in the rektor's safe, and make a new one after every key rotation. The file \
                is written with mode 0600 and never overwrites another.

                Example:
                  sst school-key recovery --data ./ekbacken --out /media/usb/ekbacken-school-key.txt
                """
        )

        @OptionGroup var options: DataOptions

        @Option(help: ArgumentHelp("The recovery file to write (must not exist).", valueName: "FILE"))
        var out: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let key = try SchoolKeyCommand.requireKey(data: options.data)
            try SchoolKeyCommand.writeNew(Data(RecoveryFile.text(for: key).utf8), to: out, what: "recovery file")
            if json {
                printJSON(
                    .object([
                        "out": .string(out), "school": .string(key.school), "keyID": .string(key.id),
                        "epoch": .integer(Int64(key.epoch)),
                    ])
                )
                return
            }
            print("Wrote the recovery file of \(key.school)'s key \(key.id) (epoch \(key.epoch)) to \(out).")
            print("It belongs in the rektor's safe (print it, then delete the file); whoever holds it can read")
            print("the school's data relayed through the hub. After a key rotation, make a new one.")
        }
    }

    struct Recover: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install the school key from the recovery file, into a node made with `sst init --join`.",
            discussion: """
                Refuses a truncated or mistyped file (its checksum), another school's key and a key of an \
                earlier epoch than the node's. Changes nothing when it refuses.

                Example:
                  sst init --role school --join --node-id school-ekbacken-3 \\
                    --school "Ekbackens skola" --data ./ekbacken-3
                  sst school-key recover --data ./ekbacken-3 ./ekbacken-school-key.txt
                """
        )

        @OptionGroup var options: DataOptions

        @Argument(help: ArgumentHelp("The recovery file.", valueName: "FILE"))
        var file: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let identity = try options.openStore().identity()
            let key = try RecoveryFile.read(try SchoolKeyCommand.readText(file, what: "the recovery file"))
            let outcome = try SchoolKeyFile.install(
                key,
                school: try SchoolKeyCommand.school(of: identity),
                directory: options.data
            )
            SchoolKeyCommand.report(outcome, key: key, json: json)
        }
    }

    // MARK: - Shared

    static func requireKey(data: String) throws -> SchoolKey {
        guard let key = try SchoolKeyFile.load(directory: data) else {
            throw CommandError(
                "the node in \(data) has no school key",
                remedy: "Run this on a node of the school that has it (`sst school-key show`), or install it first."
            )
        }
        return key
    }

    static func school(of identity: NodeIdentity) throws -> String {
        guard identity.role == .school, let school = identity.school else {
            throw CommandError(
                "node \(identity.node) is a \(identity.role.rawValue) node: only a school's nodes hold its key",
                remedy: "Run this on a school node."
            )
        }
        return school
    }

    /// `given`, or the file of the node's sync settings.
    static func settingsPath(
        data: String,
        given: String?,
        option: String,
        _ file: KeyPath<TLSFiles, String>
    ) throws -> String {
        if let given { return given }
        guard let settings = try SyncSettings.load(directory: data) else {
            throw CommandError(
                "the node in \(data) has no sync settings to take \(option) from",
                remedy: "Give \(option) FILE."
            )
        }
        return settings.tls[keyPath: file]
    }

    static func readData(_ path: String, what: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CommandError("cannot read \(what) \(path)", remedy: "Check the path.")
        }
    }

    static func readText(_ path: String, what: String) throws -> String {
        String(decoding: try readData(path, what: what), as: UTF8.self)
    }

    /// Writes a new file created with mode 0600; never overwrites one.
    static func writeNew(_ data: Data, to path: String, what: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw CommandError("\(path) already exists", remedy: "Choose another --out file for the \(what).")
        }
        try SchoolKeyFile.createPrivateFile(data, at: path)
    }

    static func report(_ outcome: SchoolKeyFile.Installation, key: SchoolKey, json: Bool) {
        if json {
            printJSON(
                .object([
                    "outcome": .string(outcome.rawValue), "school": .string(key.school), "keyID": .string(key.id),
                    "epoch": .integer(Int64(key.epoch)),
                ])
            )
            return
        }
        switch outcome {
        case .installed: print("Installed the school key \(key.id) (epoch \(key.epoch)) of \(key.school).")
        case .alreadyInstalled: print("This node already holds the school key \(key.id) (epoch \(key.epoch)).")
        case .replacedUnused:
            print("Installed the school key \(key.id) (epoch \(key.epoch)) of \(key.school), in place of the")
            print("unused key `sst init` made.")
        case .rotated: print("Installed the school key \(key.id) of the new epoch \(key.epoch) of \(key.school).")
        }
    }
}
