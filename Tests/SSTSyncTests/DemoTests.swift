import Foundation
import SSTDemo
import Testing

/// `sst demo`'s scenario, end to end in process: it must converge and keep the boundary.
@Suite(.timeLimit(.minutes(10)))
struct DemoTests {
    @Test func demoConvergesKeepsTheBoundaryAndShowsTheConflict() async throws {
        let directory = try TemporaryDirectory()
        let said = Said()
        let scenario = try DemoScenario(directory: directory.path("demo"), logger: quietLogger) { said.append($0) }
        let report = try await scenario.run()
        #expect(report.converged, "\(report.lines.joined(separator: "\n"))")
        let text = report.lines.joined(separator: "\n")
        #expect(text.contains("health notes (elevhälsa): 0 of 7 at the hub"))
        #expect(text.contains("another school's pupils or cases at any school: 0"))
        #expect(text.contains("concurrent \"Socialtjänsten"))
        // The school's side of the conflicting edit went through its staff API with the hub down, and its shown
        // value ("Skolan: …", the later write) is the one written over HTTPS.
        #expect(said.text.contains("writes it through the school node's staff API"))
        #expect(text.contains("shown      \"Skolan: studiestöd"))
    }
}

/// What the demo said, collected from its callback.
private final class Said: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var text: String { lock.withLock { lines.joined(separator: "\n") } }
}
