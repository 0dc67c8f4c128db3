import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A program the tests start with `posix_spawn`, standard input from /dev/null and its output in files.
///
/// Not Foundation's `Process`: on Linux its `run()` crashes now and then (a bad pointer read while it lists
/// `/proc/self/fd` to close the child's descriptors, swift-corelibs-foundation pull request 5472, not in the
/// Swift 6.3.1 toolchain), about one CI run in five for a suite that starts hundreds of processes.
public final class SpawnedProcess: @unchecked Sendable {
    public let pid: pid_t
    private let lock = NSLock()
    // Guarded by `lock`.
    private var waitStatus: Int32?
    private var onEnd: [@Sendable () -> Void] = []
    private let endSignal = DispatchSemaphore(value: 0)

    /// Starts `executable` with `arguments`; standard output goes to `outputPath`, standard error to
    /// `errorPath` (each truncated first; /dev/null when nil).
    public init(_ executable: String, _ arguments: [String], outputPath: String?, errorPath: String?) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw SpawnError(executable: executable, code: spawned) }
        self.pid = pid
        // Reaped on a thread of its own, never one of Swift's pool (the tests' servers run there).
        let thread = Thread { [self] in reap() }
        thread.start()
    }

    private func reap() {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let handlers = lock.withLock {
            waitStatus = status
            defer { onEnd = [] }
            return onEnd
        }
        endSignal.signal()
        for handler in handlers { handler() }
    }

    /// True once the program has ended.
    public var hasEnded: Bool { lock.withLock { waitStatus != nil } }

    /// Waits at most `seconds` for the program to end; true when it has.
    public func waitForEnd(seconds: Double) -> Bool {
        if hasEnded { return true }
        guard endSignal.wait(timeout: .now() + seconds) == .success else { return false }
        endSignal.signal()  // the next caller sees it too
        return true
    }

    /// Waits for the program to end without holding a thread.
    public func ended() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = lock.withLock {
                if waitStatus != nil { return true }
                onEnd.append { continuation.resume() }
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// The exit status, or the signal number when `killedBySignal`; nil while it runs.
    public var status: Int32? {
        lock.withLock { waitStatus }.map { status in
            status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
        }
    }

    /// True when the program ended by a signal.
    public var killedBySignal: Bool {
        lock.withLock { waitStatus }.map { status in status & 0x7f != 0 } ?? false
    }

    /// Sends `signal` to the program (nothing once it has ended and been reaped).
    public func send(_ signal: Int32) {
        if !hasEnded { _ = kill(pid, signal) }
    }
}

/// `posix_spawn` refused to start a program.
public struct SpawnError: Error, CustomStringConvertible {
    public let executable: String
    public let code: Int32

    public var description: String { "cannot run \(executable): \(String(cString: strerror(code)))" }
}
