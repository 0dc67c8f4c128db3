import Crypto
import Foundation

/// A school's key: 32 bytes that only the school's nodes hold, sealing the school's own data so that the hub can
/// relay it without reading it.
///
/// `id` tells two keys of one school apart (two nodes that each made one at `sst init`); `epoch` counts rotations.
/// The key material never leaves this module except sealed, wrapped for a node (``KeyEnvelope``), in the node's
/// key file (``SchoolKeyFile``) or in the recovery file for the rektor's safe (``RecoveryFile``).
public struct SchoolKey: Hashable, Sendable, CustomStringConvertible {
    /// The school name as certificates name it (``CertificateIdentity/school``).
    public let school: String
    /// Random, 16 bytes as 32 lower-case hex digits.
    public let id: String
    /// 1 for a school's first key, +1 at each rotation.
    public let epoch: Int
    /// When the key was made, milliseconds since 1970 (UTC).
    public let createdAtMilliseconds: UInt64
    /// The 32 bytes of key material.
    let material: [UInt8]

    /// The length of the key material in bytes.
    static let materialLength = 32

    init(school: String, id: String, epoch: Int, createdAtMilliseconds: UInt64, material: [UInt8]) {
        self.school = school
        self.id = id
        self.epoch = epoch
        self.createdAtMilliseconds = createdAtMilliseconds
        self.material = material
    }

    /// A new random key of `school` for `epoch`, made at `now` (milliseconds since 1970).
    public static func generate(school: String, epoch: Int, now: UInt64) -> SchoolKey {
        var generator = SystemRandomNumberGenerator()
        let id = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let material = (0..<materialLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return SchoolKey(
            school: school,
            id: Hex.encode(id),
            epoch: epoch,
            createdAtMilliseconds: now,
            material: material
        )
    }

    /// The key for AES-256-GCM.
    var symmetricKey: SymmetricKey { SymmetricKey(data: material) }

    /// Names the key without its material: school, id, epoch.
    public var description: String { "school key \(id) (epoch \(epoch)) of \(school)" }

    /// Checks the fields every reader of a key checks; `what` names the source in the error.
    static func validated(
        school: String,
        id: String,
        epoch: Int,
        createdAtMilliseconds: UInt64,
        material: [UInt8],
        what: String
    ) throws(SealingError) -> SchoolKey {
        let remedy = "Use a file made by `sst school-key`, unaltered."
        guard !school.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw SealingError(.malformed, "\(what) names no school", remedy: remedy)
        }
        guard Hex.isKeyID(id) else {
            throw SealingError(.malformed, "\(what) has a key id \"\(id)\" that is not 32 hex digits", remedy: remedy)
        }
        guard epoch >= 1 else {
            throw SealingError(.malformed, "\(what) has an epoch \(epoch) below 1", remedy: remedy)
        }
        guard material.count == materialLength else {
            throw SealingError(
                material.count < materialLength ? .truncated : .malformed,
                "\(what) holds \(material.count) bytes of key material, not \(materialLength)",
                remedy: remedy
            )
        }
        return SchoolKey(
            school: school,
            id: id,
            epoch: epoch,
            createdAtMilliseconds: createdAtMilliseconds,
            material: material
        )
    }
}

/// Lower-case hex, as key ids are written.
enum Hex {
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes of lower- or upper-case hex text, or nil.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    /// Whether `text` is a key id: 32 lower-case hex digits.
    static func isKeyID(_ text: String) -> Bool {
        text.utf8.count == 32
            && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    private static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x61...0x66: byte - 0x61 + 10
        case 0x41...0x46: byte - 0x41 + 10
        default: nil
        }
    }
}
