/// The phase of an SST case: a lattice of `(generation, step)` ordered lexicographically.
///
/// Merging two phases keeps the greater one, so a case never moves back. Reopening a closed case starts
/// a new generation at ``Step/opened``.
public struct Phase: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The steps of the SST work process, in order.
    public enum Step: String, CaseIterable, Comparable, Sendable {
        case noticed
        case opened
        case planning
        case inProgress = "in_progress"
        case followUp = "follow_up"
        case maintenance
        case closed

        /// The label staff see, in Swedish.
        public var swedishLabel: String {
            switch self {
            case .noticed: "uppmärksammad"
            case .opened: "aktualiserad"
            case .planning: "planering av insats"
            case .inProgress: "genomförande"
            case .followUp: "uppföljning"
            case .maintenance: "vidmakthållande"
            case .closed: "avslutad"
            }
        }

        var rank: Int { Self.allCases.firstIndex(of: self)! }

        public static func < (lhs: Step, rhs: Step) -> Bool { lhs.rank < rhs.rank }
    }

    public let generation: Int
    public let step: Step

    public init(generation: Int, step: Step) {
        self.generation = generation
        self.step = step
    }

    /// The phase a reopened case starts in: the next generation, step ``Step/opened``.
    public func reopened() -> Phase {
        Phase(generation: generation + 1, step: .opened)
    }

    /// The text form `"<generation>:<step>"`, as stored in SQL and typed on the command line.
    public var description: String { "\(generation):\(step.rawValue)" }

    public init?(text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let generation = Int(parts[0]), generation >= 1,
            let step = Step(rawValue: String(parts[1]))
        else { return nil }
        self.init(generation: generation, step: step)
    }

    public static func < (lhs: Phase, rhs: Phase) -> Bool {
        (lhs.generation, lhs.step.rank) < (rhs.generation, rhs.step.rank)
    }
}
