/// Reading any JSON document into a ``CanonicalJSON`` value, for canonical hashing of files such as the
/// privacy policy. Numbers must be integers: canonical JSON has no fractions.
extension CanonicalJSON: Decodable {
    private struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: AnyKey.self) {
            var members: [String: CanonicalJSON] = [:]
            for key in keyed.allKeys {
                members[key.stringValue] = try keyed.decode(CanonicalJSON.self, forKey: key)
            }
            self = .object(members)
            return
        }
        if var array = try? decoder.unkeyedContainer() {
            var items: [CanonicalJSON] = []
            while !array.isAtEnd { items.append(try array.decode(CanonicalJSON.self)) }
            self = .array(items)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let bool = try? single.decode(Bool.self) {
            self = .bool(bool)
        } else if let integer = try? single.decode(Int64.self) {
            self = .integer(integer)
        } else if let string = try? single.decode(String.self) {
            self = .string(string)
        } else {
            throw DecodingError.dataCorruptedError(
                in: single,
                debugDescription: "numbers must be integers"
            )
        }
    }

    /// The members of an object, or nil.
    public var objectMembers: [String: CanonicalJSON]? {
        if case .object(let members) = self { return members }
        return nil
    }
}
