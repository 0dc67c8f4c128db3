import Foundation
import Testing

/// `sst staff add|list|revoke`: who may use the staff API of `sst node serve` / `sst hub serve`.
@Suite struct StaffCommandTests {
    private struct Added: Decodable {
        let name: String
        let token: String
    }

    private struct Member: Decodable {
        let name: String
        let added: String
        let revoked: String?
        let healthRecords: Bool
    }

    @Test(.timeLimit(.minutes(10)))
    func addListAndRevokeAStaffMember() throws {
        try withScratchDirectory { scratch in
            let node = try Node.school("ekbacken-a", in: scratch)
            let added = try decode(
                Added.self,
                try node.sst(["staff", "add", "--data", node.data, "--name", "Anna Lind", "--json"])
            )
            #expect(added.name == "Anna Lind" && added.token.hasPrefix("sst_") && added.token.count == 47)
            let text = try node.sst(["staff", "add", "--data", node.data, "--name", "Bo Berg", "--health-records"]).out
            #expect(text.contains("shown once") && text.contains("Authorization: Bearer"))
            expectRefusal(
                try SST.run(["staff", "add", "--data", node.data, "--name", "Anna Lind"]),
                mentions: ["Anna Lind has a valid staff token already", "sst staff revoke"]
            )
            expectRefusal(
                try SST.run(["staff", "add", "--data", node.data, "--name", ""]),
                mentions: ["is not a staff member's name", "--name \"Anna Lind\""]
            )

            try node.sst(["staff", "revoke", "--data", node.data, "--name", "Anna Lind"])
            expectRefusal(
                try SST.run(["staff", "revoke", "--data", node.data, "--name", "Anna Lind"]),
                mentions: ["no valid staff token", "sst staff list"]
            )
            let members = try decode([Member].self, try node.sst(["staff", "list", "--data", node.data, "--json"]))
            #expect(members.map(\.name) == ["Anna Lind", "Bo Berg"])
            #expect(members[0].revoked != nil && members[1].revoked == nil)
            #expect(members.map(\.healthRecords) == [false, true])
            let table = try node.sst(["staff", "list", "--data", node.data]).out
            #expect(table.contains("Anna Lind") && table.contains("revoked") && table.contains("valid"))
            #expect(table.contains("elevhälsa records"))

            // The grant and the revocation are in the audit trail; the token is nowhere in it.
            let audit = try node.sst(["audit", "list", "--data", node.data]).out
            #expect(
                audit.contains("staff_added  peer staff:Anna Lind")
                    && audit.contains("staff_revoked  peer staff:Anna Lind")
            )
            #expect(!audit.contains(added.token))
            let revocations = try node.sst(["audit", "list", "--data", node.data, "--kind", "staff_revoked"]).out
            #expect(revocations.contains("staff_revoked") && !revocations.contains("staff_added"))
            expectRefusal(
                try SST.run(["audit", "list", "--data", node.data, "--kind", "staff_looked"]),
                mentions: ["\"staff_looked\" is not a kind of audit entry", "staff_read"]
            )
        }
    }
}
