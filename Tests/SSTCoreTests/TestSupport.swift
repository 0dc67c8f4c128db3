@testable import SSTCore

/// A node id known to be valid.
func nodeID(_ name: String) -> NodeID {
    guard let node = NodeID(name) else { fatalError("test node id \"\(name)\" is invalid") }
    return node
}

/// A stamp at `milliseconds:counter` written by `node`.
func stampAt(_ milliseconds: UInt64, _ counter: UInt16 = 0, node: String = "skola-a") -> Stamp {
    Stamp(timestamp: Timestamp(milliseconds: milliseconds, counter: counter), node: nodeID(node))
}

/// A record id known to be valid.
func recordID(_ text: String) -> RecordID {
    guard let record = RecordID(text) else { fatalError("test record id \"\(text)\" is invalid") }
    return record
}
