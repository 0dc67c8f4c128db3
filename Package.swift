// swift-tools-version:6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "sst-sync",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sst", targets: ["sst"]),
        .library(name: "SSTCore", targets: ["SSTCore"]),
        .library(name: "SSTStore", targets: ["SSTStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Pure replication core: clocks, stamps, values, schema, changes, merge rules. No I/O.
        .target(name: "SSTCore", swiftSettings: strictSettings),
        // Durable local store on GRDB: tables from the schema, change log, apply and export.
        .target(
            name: "SSTStore",
            dependencies: ["SSTCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        // The `sst` command line: argument parsing over the libraries, nothing more.
        .executableTarget(
            name: "sst",
            dependencies: [
                "SSTCore", "SSTStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "SSTCoreTests", dependencies: ["SSTCore"], swiftSettings: strictSettings),
        .testTarget(
            name: "SSTStoreTests",
            dependencies: ["SSTCore", "SSTStore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SSTCommandLineTests",
            dependencies: ["sst", "SSTCore"],
            swiftSettings: strictSettings
        ),
    ]
)
