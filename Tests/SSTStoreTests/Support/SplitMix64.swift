import Foundation

/// A small seeded random number generator (SplitMix64), so a failing random history replays from its seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// How many random histories a property test runs: `SST_PROPERTY_HISTORIES` (default `ciDefault`),
/// and from which seed (`SST_PROPERTY_SEED`, default a fixed one so CI runs are reproducible).
enum PropertyRun {
    static func histories(default ciDefault: Int) -> Int {
        ProcessInfo.processInfo.environment["SST_PROPERTY_HISTORIES"].flatMap(Int.init) ?? ciDefault
    }

    static var baseSeed: UInt64 {
        ProcessInfo.processInfo.environment["SST_PROPERTY_SEED"].flatMap { UInt64($0) } ?? 0x5357_5359_4E43
    }
}
