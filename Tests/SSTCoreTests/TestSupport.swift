@testable import SSTCore

/// A small deterministic generator (SplitMix64), so a failing property test replays from its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

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
