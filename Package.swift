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
        .executable(name: "sst-bench", targets: ["sst-bench"]),
        .library(name: "SSTCore", targets: ["SSTCore"]),
        .library(name: "SSTPrivacy", targets: ["SSTPrivacy"]),
        .library(name: "SSTStore", targets: ["SSTStore"]),
        .library(name: "SSTServices", targets: ["SSTServices"]),
        .library(name: "SSTPKI", targets: ["SSTPKI"]),
        .library(name: "SSTSync", targets: ["SSTSync"]),
        .library(name: "SSTSealing", targets: ["SSTSealing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
    ],
    targets: [
        // Pure replication core: clocks, stamps, values, schema, changes, merge rules. No I/O.
        .target(name: "SSTCore", swiftSettings: strictSettings),
        // Pure privacy rules: the policy file, consent evaluation, the boundary filter, audit hashing. No I/O.
        .target(
            name: "SSTPrivacy",
            dependencies: ["SSTCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // The replica on GRDB: tables from the schema, change log, apply and export, cursors, audit trail, backup.
        .target(
            name: "SSTStore",
            dependencies: ["SSTCore", "SSTPrivacy", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        // Features over a store: staff accounts and access, pupil search, consents, the follow-up report, absences.
        .target(
            name: "SSTServices",
            dependencies: ["SSTCore", "SSTPrivacy", "SSTStore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        // District PKI: CA and node certificates (ECDSA P-256), identities read from certificates, revocation.
        .target(
            name: "SSTPKI",
            dependencies: [
                "SSTCore",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // A school's own data sealed end to end with the school key, so the hub relays it without reading it.
        .target(
            name: "SSTSealing",
            dependencies: [
                "SSTCore", "SSTPKI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: strictSettings
        ),
        // The system's zlib (gzip bodies), instead of a module internal to swift-nio-extras.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Sync over HTTPS with mutual TLS: the hub server and the node client.
        .target(
            name: "SSTSync",
            dependencies: [
                "SSTCore", "SSTPrivacy", "SSTStore", "SSTServices", "SSTPKI", "SSTSealing", "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPCompression", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The staff web page: server-rendered HTML beside the staff API, on the node's and the hub's listener.
        .target(
            name: "SSTWeb",
            dependencies: [
                "SSTCore", "SSTPrivacy", "SSTStore", "SSTServices", "SSTSync",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftCSV", package: "SwiftCSV"),
            ],
            swiftSettings: strictSettings
        ),
        // `sst demo`: a district on loopback, an outage, convergence and a report.
        .target(
            name: "SSTDemo",
            dependencies: [
                "SSTCore", "SSTPrivacy", "SSTStore", "SSTServices", "SSTPKI", "SSTSync",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        // The `sst` command line: argument parsing over the libraries, nothing more.
        .executableTarget(
            name: "sst",
            dependencies: [
                "SSTCore", "SSTPrivacy", "SSTStore", "SSTServices", "SSTPKI", "SSTSync", "SSTSealing", "SSTDemo",
                "SSTWeb",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // The benchmark executable: figures as ratios against raw SQLite measured in the same run.
        .executableTarget(
            name: "sst-bench",
            dependencies: [
                "SSTCore", "SSTPrivacy", "SSTStore", "SSTPKI", "SSTSync", "CZlib",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // What several test targets share: the reference model of DESIGN §3 that random histories are checked
        // against.
        .target(
            name: "SSTTestSupport",
            dependencies: ["SSTCore"],
            path: "Tests/SSTTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(name: "SSTCoreTests", dependencies: ["SSTCore"], swiftSettings: strictSettings),
        .testTarget(
            name: "SSTPrivacyTests",
            dependencies: ["SSTCore", "SSTPrivacy"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SSTStoreTests",
            dependencies: [
                "SSTCore", "SSTPrivacy", "SSTStore", "SSTServices", "SSTTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SSTPKITests",
            dependencies: ["SSTPKI", "SSTCore", "SSTTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SSTSealingTests",
            dependencies: ["SSTSealing", "SSTPKI", "SSTCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SSTSyncTests",
            dependencies: [
                "SSTCore", "SSTStore", "SSTServices", "SSTPKI", "SSTSync", "SSTSealing", "SSTDemo", "SSTTestSupport",
                "SSTWeb",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SSTCommandLineTests",
            dependencies: [
                "sst", "SSTCore", "SSTTestSupport",
                // Only to talk to `sst node serve`'s staff API as a staff member's program would.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // Only to look into databases of an earlier layout (Fixtures/), never to write the store.
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
    ]
)
