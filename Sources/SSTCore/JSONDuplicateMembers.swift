/// Finds an object member named twice in a JSON text: Foundation's decoder keeps one of them silently (and
/// other readers may keep the other), so a file with one means different things to different readers.
public enum JSONDuplicateMembers {
    /// The path of the first member that repeats a name already used in its object (keys from the root,
    /// the repeated name last), or nil. Reads JSON text that a decoder has already accepted.
    public static func first(in bytes: some Collection<UInt8>) -> [String]? {
        var scanner = Scanner(bytes: Array(bytes))
        return scanner.run()
    }

    private struct Scanner {
        enum Frame {
            case object(names: Set<String>, member: String?, expectingName: Bool)
            case array
        }

        let bytes: [UInt8]
        var index = 0
        var stack: [Frame] = []

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func run() -> [String]? {
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "{"): stack.append(.object(names: [], member: nil, expectingName: true))
                case UInt8(ascii: "["): stack.append(.array)
                case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = stack.popLast()
                case UInt8(ascii: ","):
                    if case .object(let names, _, _)? = stack.last {
                        stack[stack.count - 1] = .object(names: names, member: nil, expectingName: true)
                    }
                case UInt8(ascii: "\""):
                    let text = readString()
                    guard case .object(var names, _, true)? = stack.last else { continue }
                    if !names.insert(text).inserted { return path() + [text] }
                    stack[stack.count - 1] = .object(names: names, member: text, expectingName: false)
                default: continue
                }
            }
            return nil
        }

        /// The names of the members the scanner is inside, from the root.
        private func path() -> [String] {
            stack.dropLast().compactMap { frame in
                if case .object(_, let member?, _) = frame { member } else { nil }
            }
        }

        /// Reads a string whose opening quote was just read, decoding its escapes.
        private mutating func readString() -> String {
            var scalars = String.UnicodeScalarView()
            var raw: [UInt8] = []
            func flush() {
                scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
                raw.removeAll()
            }
            var pendingHigh: UInt32?
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\"") { break }
                guard byte == UInt8(ascii: "\\"), index < bytes.count else {
                    raw.append(byte)
                    pendingHigh = nil
                    continue
                }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "u"):
                    flush()
                    let unit = readHex()
                    if (0xD800...0xDBFF).contains(unit) {
                        pendingHigh = unit
                        continue
                    }
                    if let high = pendingHigh, (0xDC00...0xDFFF).contains(unit) {
                        let combined = 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00)
                        scalars.append(Unicode.Scalar(combined) ?? "\u{FFFD}")
                    } else {
                        scalars.append(Unicode.Scalar(unit) ?? "\u{FFFD}")
                    }
                case UInt8(ascii: "n"): raw.append(0x0A)
                case UInt8(ascii: "t"): raw.append(0x09)
                case UInt8(ascii: "r"): raw.append(0x0D)
                case UInt8(ascii: "b"): raw.append(0x08)
                case UInt8(ascii: "f"): raw.append(0x0C)
                default: raw.append(escape)  // \" \\ \/
                }
                pendingHigh = nil
            }
            flush()
            return String(scalars)
        }

        private mutating func readHex() -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 where index < bytes.count {
                let digit = bytes[index]
                index += 1
                let nibble: UInt32 =
                    switch digit {
                    case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(digit - UInt8(ascii: "0"))
                    case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(digit - UInt8(ascii: "a") + 10)
                    case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(digit - UInt8(ascii: "A") + 10)
                    default: 0
                    }
                value = value << 4 | nibble
            }
            return value
        }
    }
}
