import Synchronization

/// Lets a few pushes at a time decompress, decode and apply their bodies; the others wait, in the order they
/// came, holding only their compressed bodies and no thread.
///
/// The hub's store has one writer, so pushes past the gate queue for it anyway; without the gate every
/// waiting push would hold its decompressed body and its decoded set on a blocked thread (200 schools
/// pushing 5 000 changes at once took the hub to ≈ 145 MB; see BENCHMARKS.md, B3). A waiter whose client went
/// away still gets its turn and is applied: pushes are idempotent, and the node's next handshake learns its
/// cursor.
final class PushGate: Sendable {
    private struct State {
        var free: Int
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>
    /// Told the number of waiting pushes whenever it changes (under the gate's lock, so in order).
    private let observe: @Sendable (Int) -> Void

    /// A gate that lets `permits` pushes past it at once.
    init(permits: Int, observe: @escaping @Sendable (Int) -> Void = { _ in }) {
        precondition(permits >= 1, "a push gate needs at least one permit")
        self.observe = observe
        state = Mutex(State(free: permits))
    }

    /// Pushes waiting for a permit now.
    var waiting: Int { state.withLock { $0.waiting.count } }

    /// Runs `body` once a permit is free (at once if one is), and frees the permit after it.
    func withPermit<T>(_ body: () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        let admitted = state.withLock { state in
            guard state.free > 0 else { return false }
            state.free -= 1
            return true
        }
        if admitted { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admittedMeanwhile = state.withLock { state in
                if state.free > 0 {
                    state.free -= 1
                    return true
                }
                state.waiting.append(continuation)
                observe(state.waiting.count)
                return false
            }
            if admittedMeanwhile { continuation.resume() }
        }
    }

    /// Hands the permit to the longest waiter, or frees it.
    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty {
                state.free += 1
                return nil
            }
            let next = state.waiting.removeFirst()
            observe(state.waiting.count)
            return next
        }
        next?.resume()
    }
}
