import X509

extension Certificate.SerialNumber {
    /// The serial number as lower-case hex without separators or leading zeros, as `revoked.json` and
    /// `issued.json` store it (`openssl x509 -serial` prints the same digits in upper case).
    public var hexString: String {
        SerialHex.normalized(bytes.map { byte in String(byte, radix: 16).leftPadded(to: 2) }.joined())
    }
}

/// Serial numbers written by hand or by other tools: any case, optional `:` separators and leading zeros.
enum SerialHex {
    /// Lower case, no `:`, no leading zeros (`"0"` for zero).
    static func normalized(_ text: String) -> String {
        let digits = text.lowercased().filter { $0 != ":" }
        let trimmed = digits.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    /// Whether `text` is a serial number in hex (with optional `:` separators).
    static func isValid(_ text: String) -> Bool {
        let digits = text.filter { $0 != ":" }
        return !digits.isEmpty && digits.allSatisfy(\.isHexDigit)
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
