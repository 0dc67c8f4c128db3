import Foundation

/// Runs `body` on a thread of its own and waits for it without holding a thread of Swift's cooperative pool.
///
/// A long synchronous test (hundreds of random histories over real SQLite) run from Swift Testing's async
/// runner holds one of the pool's threads — on a 2-core machine, half of it — for minutes, and the async network
/// tests beside it starve past their time limits. On its own thread it only shares the cores.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
