import Foundation
import SSTSync

/// `sst hub serve` as a process of its own, for the figures that measure the hub's memory (B4, and B3 with
/// `--fan-in-hub-process`): started on 127.0.0.1 port 0 under the peak-memory reporter, stopped with SIGTERM.
final class HubProcess {
    let port: Int
    private let server: ChildProcess.Measured
    private var result: ChildProcess.Result?
    /// The hub's `VmHWM` just before it was stopped, when the system reports it.
    private(set) var highWaterBytes: Int?

    /// Starts the hub on the data directory `directory` and waits (up to a minute) until it listens.
    init(
        sst: String,
        directory: String,
        tls: TLSFiles,
        logPath: String,
        reportPath: String,
        reporter: ChildProcess.Reporter,
        figure: String
    ) throws {
        server = try ChildProcess.startMeasured(
            sst,
            [
                "hub", "serve", "--data", directory, "--listen", "127.0.0.1:0", "--cert", tls.certificate,
                "--key", tls.key, "--client-ca", tls.ca,
            ],
            outputPath: "/dev/null",
            errorPath: logPath,
            reporter: reporter,
            reportPath: reportPath
        )
        do {
            port = try Self.listeningPort(log: logPath, server: server, figure: figure)
        } catch {
            kill(server.program ?? server.started.pid, SIGTERM)
            _ = server.finish()
            throw error
        }
    }

    /// Stops the hub (SIGTERM to the program, not to its reporter) and returns what the reporter says; stops
    /// it once.
    @discardableResult
    func stop() -> ChildProcess.Result {
        if let result { return result }
        if let program = server.program {
            highWaterBytes = ChildProcess.peakResidentBytes(of: program)
            kill(program, SIGTERM)
        } else {
            kill(server.started.pid, SIGTERM)
        }
        let finished = server.finish()
        result = finished
        return finished
    }

    /// The hub program's process id (not its reporter's), once it runs.
    var program: pid_t? { server.program }

    /// The port the hub logged (`hub listening … port=N`), waited for up to a minute.
    private static func listeningPort(log: String, server: ChildProcess.Measured, figure: String) throws -> Int {
        let deadline = Measure.now() + 60
        while Measure.now() < deadline {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"port=\d+"#, options: .regularExpression),
                let port = Int(text[range].dropFirst("port=".count))
            {
                return port
            }
            if server.started.hasEnded() {
                throw BenchError("\(figure): sst hub serve ended before it listened: \(text.suffix(800))")
            }
            usleep(50_000)
        }
        throw BenchError("\(figure): sst hub serve did not listen within a minute")
    }
}
