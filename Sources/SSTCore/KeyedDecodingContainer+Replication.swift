/// Decoding helpers shared by the change-set formats: a record id, a stamp and a causal context, each refused
/// with a message that names the bad text.
extension KeyedDecodingContainer {
    /// A record id in lower-case canonical UUID form.
    func decodeRecordID(forKey key: Key) throws -> RecordID {
        try decodeText(forKey: key, as: RecordID.init, "a record id (a lower-case UUID)")
    }

    /// A stamp `<milliseconds>:<counter>@<node>`.
    func decodeStamp(forKey key: Key) throws -> Stamp {
        try decodeText(forKey: key, as: { Stamp(text: $0) }, "a stamp of the form <milliseconds>:<counter>@<node>")
    }

    /// A string parsed by `parse`, refused as not being `expected` when it gives nil.
    private func decodeText<T>(forKey key: Key, as parse: (String) -> T?, _ expected: String) throws -> T {
        let text = try decode(String.self, forKey: key)
        guard let parsed = parse(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: key,
                in: self,
                debugDescription: "\"\(text)\" is not \(expected)"
            )
        }
        return parsed
    }

    /// A causal context: an object from node id to `<milliseconds>:<counter>`.
    func decodeContext(forKey key: Key) throws -> CausalContext {
        var decoded: [NodeID: Timestamp] = [:]
        for (nodeText, timestampText) in try decode([String: String].self, forKey: key) {
            guard let node = NodeID(nodeText), let timestamp = Timestamp(text: timestampText) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key,
                    in: self,
                    debugDescription: "context entry \"\(nodeText)\": \"\(timestampText)\" is not a node id "
                        + "and a <milliseconds>:<counter> timestamp"
                )
            }
            decoded[node] = timestamp
        }
        return CausalContext(decoded)
    }
}
