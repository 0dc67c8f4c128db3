import Foundation
import SSTTestSupport
import Testing

/// One finished run of the real `sst` binary.
struct SSTResult: CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    /// True when the process ended by a signal (then `status` is the signal number).
    let killedBySignal: Bool
    let stdout: Data
    let stderr: Data

    var out: String { String(decoding: stdout, as: UTF8.self) }
    var err: String { String(decoding: stderr, as: UTF8.self) }
    var succeeded: Bool { !killedBySignal && status == 0 }

    var description: String {
        let ending = killedBySignal ? "killed by signal \(status)" : "exit \(status)"
        return "sst \(arguments.joined(separator: " ")) → \(ending)\n"
            + "stdout: \(out.prefix(1500))\nstderr: \(err.prefix(1500))"
    }
}

/// Why the `sst` binary could not be run.
enum SSTProcessError: Error, CustomStringConvertible {
    case binaryNotFound(searched: [String])
    case timedOut(arguments: [String], seconds: Double)
    case failedToStart(SSTResult)

    var description: String {
        switch self {
        case .binaryNotFound(let searched):
            return "the `sst` executable was not found; build it first (`swift build --build-tests`) "
                + "or set SST_BINARY to its path. Looked in: \(searched.joined(separator: ", "))"
        case .timedOut(let arguments, let seconds):
            return "sst \(arguments.joined(separator: " ")) did not finish within \(seconds) s and was killed"
        case .failedToStart(let result):
            return "the server ended before it was listening: \(result)"
        }
    }
}

/// A started `sst` process whose output goes to temporary files (no pipe can fill up and block it).
final class SSTRun {
    let arguments: [String]
    private let process: SpawnedProcess
    private let outURL: URL
    private let errURL: URL

    init(_ arguments: [String]) throws {
        self.arguments = arguments
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("sst-run-\(UUID().uuidString)")
        outURL = base.appendingPathExtension("out")
        errURL = base.appendingPathExtension("err")
        process = try SpawnedProcess(
            try SST.binary().path,
            arguments,
            outputPath: outURL.path,
            errorPath: errURL.path
        )
    }

    deinit {
        process.send(SIGKILL)
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }

    var processIdentifier: Int32 { process.pid }

    /// True once the process has ended.
    var hasEnded: Bool { process.hasEnded }

    /// Sends SIGKILL to the process (a no-op once it has ended).
    func killNow() {
        process.send(SIGKILL)
    }

    /// Sends SIGTERM: a server shuts down gracefully.
    func terminate() {
        process.send(SIGTERM)
    }

    /// What the process has written so far: standard output, then standard error (where logs go).
    func outputSoFar() -> String {
        [outURL, errURL].map { String(decoding: (try? Data(contentsOf: $0)) ?? Data(), as: UTF8.self) }
            .joined(separator: "\n")
    }

    /// Waits for the process to end; kills it and throws after `timeout` seconds.
    func wait(timeout: Double = 120) throws -> SSTResult {
        if !process.waitForEnd(seconds: timeout) {
            killNow()
            _ = process.waitForEnd(seconds: 10)
            throw SSTProcessError.timedOut(arguments: arguments, seconds: timeout)
        }
        return result()
    }

    /// Waits for the process to end without holding a thread of Swift's pool.
    func ended() async -> SSTResult {
        await process.ended()
        return result()
    }

    private func result() -> SSTResult {
        SSTResult(
            arguments: arguments,
            status: process.status ?? -1,
            killedBySignal: process.killedBySignal,
            stdout: (try? Data(contentsOf: outURL)) ?? Data(),
            stderr: (try? Data(contentsOf: errURL)) ?? Data()
        )
    }
}

enum SST {
    private static let located: Result<URL, SSTProcessError> = locate()

    /// The built `sst` executable: `SST_BINARY` if set, else next to the test bundle or in a `debug`
    /// directory above it.
    static func binary() throws -> URL {
        try located.get()
    }

    /// Runs `sst` with `arguments` to the end (at most `timeout` seconds).
    static func run(_ arguments: [String], timeout: Double = 120) throws -> SSTResult {
        try SSTRun(arguments).wait(timeout: timeout)
    }

    private static func locate() -> Result<URL, SSTProcessError> {
        let fileManager = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment["SST_BINARY"] {
            return fileManager.isExecutableFile(atPath: explicit)
                ? .success(URL(fileURLWithPath: explicit)) : .failure(.binaryNotFound(searched: [explicit]))
        }
        var starts: [URL] = []
        if let exe = try? fileManager.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            starts.append(URL(fileURLWithPath: exe))
        }
        if let main = Bundle.main.executableURL { starts.append(main) }
        if let first = CommandLine.arguments.first { starts.append(URL(fileURLWithPath: first)) }
        var candidates: [String] = []
        for start in starts {
            var directory = start.resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<6 {
                candidates.append(directory.appendingPathComponent("sst").path)
                candidates.append(directory.appendingPathComponent("debug/sst").path)
                directory = directory.deletingLastPathComponent()
            }
        }
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if fileManager.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                fileManager.isExecutableFile(atPath: candidate)
            {
                return .success(URL(fileURLWithPath: candidate))
            }
        }
        return .failure(.binaryNotFound(searched: candidates))
    }
}

/// Runs `body` with a fresh temporary directory and removes the directory afterwards.
func withScratchDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("sst-cli-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}
