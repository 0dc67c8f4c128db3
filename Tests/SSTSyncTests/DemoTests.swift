import Foundation
import SSTSync
import Testing

/// `sst demo`'s scenario, end to end in process: it must converge and keep the boundary.
@Suite(.timeLimit(.minutes(1)))
struct DemoTests {
    @Test func demoConvergesKeepsTheBoundaryAndShowsTheConflict() async throws {
        let directory = try TemporaryDirectory()
        let scenario = try DemoScenario(directory: directory.path("demo"), logger: quietLogger) { _ in }
        let report = try await scenario.run()
        #expect(report.converged, "\(report.lines.joined(separator: "\n"))")
        let text = report.lines.joined(separator: "\n")
        #expect(text.contains("health notes (elevhälsa): 0 of 7 at the hub"))
        #expect(text.contains("another school's pupils or cases at any school: 0"))
        #expect(text.contains("concurrent \"Socialtjänsten"))
    }
}
