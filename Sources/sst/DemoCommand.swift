import ArgumentParser
import Foundation
import Logging
import SSTDemo

/// `sst demo`: the whole system on this machine in under a minute.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a hub and three schools in two stadsdelar on loopback: outage, conflict, convergence.",
        discussion: """
            In a temporary directory: a district CA and certificates, a hub and three school nodes \
            (Södermalm and Kungsholmen) syncing over HTTPS with mutual TLS on 127.0.0.1, synthetic pupils \
            (fake personnummer ending in -0000) with consent for some, the hub down while the schools keep \
            writing for a simulated week, a conflicting edit, the hub back, and convergence. Prints what \
            crossed the school ⇄ social-services boundary and what did not, the conflict to resolve, \
            and the district's follow-up per stadsdel as `sst report` gives it. Exits 0 when everything \
            converged; removes the directory unless --keep.
            """
    )

    @Flag(help: "Keep the demo's directory (databases, certificates) and print where it is.")
    var keep = false

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sst-demo-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer {
            if keep {
                print("\nThe demo's nodes are in \(directory) (try `sst status --data \(directory)/ekbacken-1`).")
            } else {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        print("SST Sync demo: a district hub and three schools on this machine.\n")
        let started = ContinuousClock.now
        let scenario = try DemoScenario(
            directory: directory,
            logger: Logger.command(label: "sst.demo", level: .error),
            say: { print($0) }
        )
        let report = try await scenario.run()
        for line in report.lines { print(line) }
        print(
            "\nDone in \((ContinuousClock.now - started).formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))."
        )
        guard report.converged else { throw ExitCode.failure }
    }
}
