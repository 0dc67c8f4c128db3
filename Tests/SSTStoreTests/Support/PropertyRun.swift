import Foundation

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
