import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs programs to their end for B7: their wall time, and their own peak resident set size.
///
/// The peak cannot come from this process's `wait4` or `getrusage(RUSAGE_CHILDREN)`: `posix_spawn`
/// (vfork) and `fork` both start the child on a copy or share of this process's memory, and Linux
/// records that memory's high-water mark in the child's `ru_maxrss` at `exec`, so every child would
/// report at least this benchmark's own peak. A small reporter starts the program instead and prints its
/// `ru_maxrss`: GNU `time` (`/usr/bin/time -f %M`), or else python3 with `os.wait4`, whose own size
/// (about 10 MB) is then the floor of what can be seen.
enum ChildProcess {
    struct Result {
        let seconds: Double
        /// The program's own peak resident set size, when it was measured.
        let peakResidentBytes: Int?
        /// The raw wait status.
        let status: Int32

        /// True when the program exited by itself with status 0.
        var succeeded: Bool { status & 0x7f == 0 && (status >> 8) & 0xff == 0 }
    }

    /// What starts a program and reports its peak memory.
    enum Reporter: Equatable {
        case gnuTime
        case python(String)

        /// GNU time when it is installed, else python3 when it is on the path.
        static func find() -> Reporter? {
            if FileManager.default.isExecutableFile(atPath: "/usr/bin/time") { return .gnuTime }
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            for directory in path.split(separator: ":") {
                let candidate = "\(directory)/python3"
                if FileManager.default.isExecutableFile(atPath: candidate) { return .python(candidate) }
            }
            return nil
        }

        var name: String {
            switch self {
            case .gnuTime: "GNU time"
            case .python: "python3 os.wait4"
            }
        }
    }

    private static let pythonReporter = """
        import os, sys
        pid = os.fork()
        if pid == 0:
            fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.execv(sys.argv[3], sys.argv[3:])
        _, status, usage = os.wait4(pid, 0)
        open(sys.argv[1], "w").write(str(usage.ru_maxrss))
        sys.exit(os.waitstatus_to_exitcode(status))
        """

    /// Runs `executable` with `arguments` through `reporter`; standard output goes to `outputPath`.
    static func measured(
        _ executable: String,
        _ arguments: [String],
        outputPath: String,
        reporter: Reporter,
        reportPath: String
    ) throws -> Result {
        try startMeasured(
            executable,
            arguments,
            outputPath: outputPath,
            reporter: reporter,
            reportPath: reportPath
        ).finish()
    }

    /// A program started through a reporter and not waited for yet.
    struct Measured {
        let started: Started
        let reportPath: String

        /// The program itself (the reporter's child), once the reporter has started it.
        var program: pid_t? { ChildProcess.children(of: started.pid).first }

        /// Waits for the reporter, and so the program, to end; the result carries the program's peak memory.
        func finish() -> Result {
            let run = started.wait()
            let report = (try? String(contentsOfFile: reportPath, encoding: .utf8)) ?? ""
            let kilobytes = report.split(whereSeparator: \.isNewline).last.flatMap { Int($0) }
            return Result(seconds: run.seconds, peakResidentBytes: kilobytes.map { $0 * 1024 }, status: run.status)
        }
    }

    /// Starts `executable` with `arguments` through `reporter` and returns at once; standard output goes to
    /// `outputPath`, standard error to `errorPath` (or /dev/null).
    static func startMeasured(
        _ executable: String,
        _ arguments: [String],
        outputPath: String,
        errorPath: String? = nil,
        reporter: Reporter,
        reportPath: String
    ) throws -> Measured {
        try? FileManager.default.removeItem(atPath: reportPath)
        let started: Started
        switch reporter {
        case .gnuTime:
            started = try start(
                "/usr/bin/time",
                ["-f", "%M", "-o", reportPath, executable] + arguments,
                outputPath: outputPath,
                errorPath: errorPath
            )
        case .python(let python):
            started = try start(
                python,
                ["-c", pythonReporter, reportPath, outputPath, executable] + arguments,
                errorPath: errorPath
            )
        }
        return Measured(started: started, reportPath: reportPath)
    }

    /// Runs `executable` with `arguments` and waits for it; standard output goes to `outputPath` (or
    /// /dev/null), standard error to /dev/null. The peak memory of this result is not the program's.
    static func run(_ executable: String, _ arguments: [String], outputPath: String? = nil) throws -> Result {
        try start(executable, arguments, outputPath: outputPath).wait()
    }

    /// A program started and not waited for yet.
    struct Started {
        let pid: pid_t
        let start: Double

        /// Waits for the program to end.
        func wait() -> Result {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            return Result(seconds: Measure.now() - start, peakResidentBytes: nil, status: status)
        }

        /// True once the program has ended (it is then reaped: call no other wait).
        func hasEnded() -> Bool {
            var status: Int32 = 0
            return waitpid(pid, &status, WNOHANG) == pid
        }
    }

    /// Starts `executable` with `arguments` and returns at once; standard input comes from `inputPath`,
    /// standard output goes to `outputPath` and standard error to `errorPath` (each /dev/null when not given).
    /// Not Foundation's `Process`, whose `run()` on Linux crashes now and then (swift-corelibs-foundation
    /// pull request 5472, not in Swift 6.3.1).
    static func start(
        _ executable: String,
        _ arguments: [String],
        inputPath: String? = nil,
        outputPath: String? = nil,
        errorPath: String? = nil
    ) throws -> Started {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inputPath ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid = pid_t()
        let start = Measure.now()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw BenchError("cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        return Started(pid: pid, start: start)
    }

    /// The children of a running process (Linux: /proc/PID/task/PID/children).
    static func children(of pid: pid_t) -> [pid_t] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// A running process's peak resident set size so far, from `VmHWM` in /proc/PID/status (Linux). Unlike
    /// `ru_maxrss` it starts afresh at `exec`, so it is the program's own.
    static func peakResidentBytes(of pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return nil }
        return kilobytes * 1024
    }

    /// As ``peakResidentBytes(of:)``, after which the peak starts afresh from the process's current size
    /// (`clear_refs` 5, Linux), so that a later reading gives the peak of what came after.
    static func peakResidentBytesThenReset(of pid: pid_t) -> Int? {
        let peak = peakResidentBytes(of: pid)
        if let file = FileHandle(forWritingAtPath: "/proc/\(pid)/clear_refs") {
            try? file.write(contentsOf: Data("5".utf8))
            try? file.close()
        }
        return peak
    }
}
