/// Holds every task until `expected` have arrived, then lets them all go at once and notes when (and what
/// `onOpen`, run at that moment, answered).
actor StartGate {
    private let expected: Int
    private let onOpen: (@Sendable () -> Int?)?
    private var arrived = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private(set) var openedAt: Double?
    private(set) var openedWith: Int?

    init(expected: Int, onOpen: (@Sendable () -> Int?)? = nil) {
        self.expected = expected
        self.onOpen = onOpen
    }

    func arrive() async {
        arrived += 1
        if arrived >= expected {
            if openedAt == nil {
                openedWith = onOpen?()
                openedAt = Measure.now()
            }
            for continuation in waiting { continuation.resume() }
            waiting = []
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }
}
