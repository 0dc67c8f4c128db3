import Crypto
import Foundation

/// A staff member's access token for the node's staff API: `sst_` and 43 base64url characters (32 random
/// bytes). The node keeps only its SHA-256 digest, so a copy of the database (a backup) grants no access.
public struct StaffToken: Hashable, Sendable, CustomStringConvertible {
    public static let prefix = "sst_"

    /// The token as the staff member presents it (`Authorization: Bearer <token>`).
    public let text: String

    /// A new token from the system's secure random source.
    public static func random() -> StaffToken {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let encoded = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return StaffToken(checked: prefix + encoded)
    }

    /// The token in `text`, or nil when it does not have a token's form.
    public init?(_ text: String) {
        let body = text.dropFirst(Self.prefix.count)
        guard text.hasPrefix(Self.prefix), body.count == 43,
            body.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { return nil }
        self.text = text
    }

    private init(checked text: String) {
        self.text = text
    }

    /// The lower-case hex SHA-256 digest of the token's text: what the node stores and looks tokens up by.
    public var digest: String {
        SHA256.hash(data: Data(text.utf8)).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
        }.joined()
    }

    /// Never the token itself: a token printed by mistake in a log would be a key to the pupils' records.
    public var description: String { "StaffToken(…)" }
}
