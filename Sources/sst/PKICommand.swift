import ArgumentParser
import Foundation
import SSTCore
import SSTPKI
import SSTStore

struct PKICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki",
        abstract: "The district PKI: the CA, node certificates and revocation.",
        discussion: """
            Nodes and the hub talk over HTTPS with mutual TLS; each has a certificate from the district CA \
            that says who it is (node id, role, school, stadsdel). Keep the CA folder (ca-key.pem) offline \
            and backed up.

            Example:
              sst pki init --out ./district-ca
              sst pki issue --ca ./district-ca --node-id hub-1 --role hub \\
                --dns hub.example.se --out ./hub-certs
              sst pki issue --ca ./district-ca --node-id school-ekbacken-1 --role school \\
                --school "Ekbackens skola" --stadsdel "Södermalm" --out ./ekbacken-certs
              sst pki show --cert ./ekbacken-certs/node.pem
              sst pki revoke --ca ./district-ca --node-id school-ekbacken-1 \\
                --reason "stolen laptop"
            """,
        subcommands: [Init.self, Issue.self, Revoke.self, Show.self]
    )

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the district CA: ca.pem (certificate) and ca-key.pem (private key, mode 0600).",
            discussion: """
                Refuses to touch a folder that already holds a CA. Give ca.pem to the hub and every node; \
                ca-key.pem never leaves the CA folder.

                Example:
                  sst pki init --out ./district-ca
                """
        )

        @Option(help: ArgumentHelp("The CA folder to create (may exist, but hold no CA).", valueName: "DIR"))
        var out: String

        @Option(help: "The CA's name, shown as the issuer of every node certificate.")
        var name: String = DistrictCA.defaultName

        @Option(help: ArgumentHelp("Days the CA is valid.", valueName: "N"))
        var days: Int = DistrictCA.defaultDays

        func run() throws {
            let ca = try DistrictCA.create(in: out, name: name, days: days)
            print("Created the district CA \"\(name)\" in \(out), valid until \(ca.notValidAfter.formatted(.iso8601))")
            print("  \(DistrictCA.certificateFileName)      the CA certificate: give it to the hub and every node")
            print("  \(DistrictCA.keyFileName)  the private key (mode 0600): keep it offline and backed up")
            print("Next: sst pki issue --ca \(out) --node-id ID --role school|hub ... --out DIR")
        }
    }

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a node certificate: node.pem, node-key.pem (mode 0600) and a copy of ca.pem.",
            discussion: """
                The certificate names the node id, role, school and stadsdel; the hub takes a node's identity \
                from it. It is valid for localhost and 127.0.0.1 plus any --dns and --ip given, so a hub \
                certificate also works as its TLS server certificate. A hub certificate also carries the name \
                hub.sst-sync.invalid, which nodes check their hub's certificate for: a node syncs with nothing \
                else (a hub certificate issued before SST Sync had this rule lacks it: reissue it). No other \
                certificate may carry a name in sst-sync.invalid. The CA folder records it in issued.json so \
                that `sst pki revoke` can find it. Refuses to overwrite a node's existing key.

                Example:
                  sst pki issue --ca ./district-ca --node-id school-ekbacken-1 --role school \\
                    --school "Ekbackens skola" --stadsdel "Södermalm" --out ./ekbacken-certs
                  sst pki issue --ca ./district-ca --node-id hub-1 --role hub \\
                    --dns hub.example.se --ip 10.0.0.5 --out ./hub-certs
                """
        )

        @Option(help: ArgumentHelp("The CA folder (made by `sst pki init`).", valueName: "DIR"))
        var ca: String

        @Option(help: ArgumentHelp("The node's id: 1–64 of A–Z a–z 0–9 . _ -", valueName: "ID"))
        var nodeId: String

        @Option(help: "The node's role: school or hub.")
        var role: NodeIdentity.Role

        @Option(help: "The school the node serves (required for school nodes).")
        var school: String?

        @Option(help: "The stadsdel (city district) of the school or hub.")
        var stadsdel: String?

        @Option(help: ArgumentHelp("Days the certificate is valid.", valueName: "N"))
        var days: Int = NodeCertificate.defaultDays

        @Option(
            help: ArgumentHelp(
                "A DNS name the certificate is valid for, besides localhost (repeatable; not in sst-sync.invalid).",
                valueName: "NAME"
            )
        )
        var dns: [String] = []

        @Option(
            help: ArgumentHelp(
                "An IP address the certificate is valid for, besides 127.0.0.1 (repeatable).",
                valueName: "ADDR"
            )
        )
        var ip: [String] = []

        @Option(
            help: ArgumentHelp("The folder to write the node's files to (must hold no node key).", valueName: "DIR")
        )
        var out: String

        func validate() throws {
            guard NodeID(nodeId) != nil else {
                throw ValidationError("--node-id \"\(nodeId)\" is not a node id: use 1–64 of A–Z a–z 0–9 . _ -")
            }
            if role == .school && school == nil {
                throw ValidationError("a school node's certificate needs --school NAME")
            }
            guard days >= 1 else { throw ValidationError("--days must be 1 or more") }
        }

        func run() throws {
            let authority = try DistrictCA.load(from: ca)
            let identity = try CertificateIdentity(
                node: NodeID(nodeId)!,
                role: role.rawValue,
                school: school,
                stadsdel: stadsdel
            )
            let options = NodeCertificate.Options(days: days, dnsNames: dns, ipAddresses: ip)
            let issued = try authority.issue(for: identity, options: options, into: out)
            print(
                "Issued a \(role.rawValue) certificate for node \(nodeId) (serial \(issued.serial)), valid until "
                    + "\(issued.notValidAfter.formatted(.iso8601)), in \(out):"
            )
            print("  \(NodeCertificate.certificateFileName)      the node certificate")
            print("  \(NodeCertificate.keyFileName)  its private key (mode 0600): it stays on the node")
            print("  \(DistrictCA.certificateFileName)        the district CA certificate, to trust")
            if role == .hub {
                print("Nodes know it as their hub by the name \(HubTLSName.name) it carries.")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke every certificate issued to a node: the hub refuses it from its next request on.",
            discussion: """
                Adds the serial numbers of the node's certificates (from issued.json) to revoked.json in the \
                CA folder, replacing the file in one step. A hub reading that file applies it without a \
                restart. To let the node back in, issue it a new certificate.

                Example:
                  sst pki revoke --ca ./district-ca --node-id school-ekbacken-1 \\
                    --reason "stolen laptop"
                """
        )

        @Option(help: ArgumentHelp("The CA folder (made by `sst pki init`).", valueName: "DIR"))
        var ca: String

        @Option(help: ArgumentHelp("The node whose certificates to revoke.", valueName: "ID"))
        var nodeId: String

        @Option(help: ArgumentHelp("Why, recorded in revoked.json.", valueName: "TEXT"))
        var reason: String?

        func validate() throws {
            guard NodeID(nodeId) != nil else {
                throw ValidationError("--node-id \"\(nodeId)\" is not a node id: use 1–64 of A–Z a–z 0–9 . _ -")
            }
        }

        func run() throws {
            let added = try RevocationList.revoke(node: NodeID(nodeId)!, reason: reason, caDirectory: ca)
            guard !added.isEmpty else {
                print("Every certificate of node \(nodeId) was already revoked; nothing changed.")
                return
            }
            print("Revoked \(added.count) certificate(s) of node \(nodeId) in \(RevocationList.path(inCA: ca)):")
            for entry in added { print("  serial \(entry.serial)") }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a certificate: node identity, serial number and validity.",
            discussion: """
                Example:
                  sst pki show --cert ./ekbacken-certs/node.pem

                The same with OpenSSL (-nameopt utf8 prints å ä ö as letters):
                  openssl x509 -in ./ekbacken-certs/node.pem -noout -text -nameopt utf8
                """
        )

        @Option(help: ArgumentHelp("A PEM certificate file (node.pem or ca.pem).", valueName: "FILE"))
        var cert: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let summary = try CertificateSummary(contentsOf: cert)
            if json {
                printJSON(summary.json())
            } else {
                for line in summary.lines() { print(line) }
            }
        }
    }
}
