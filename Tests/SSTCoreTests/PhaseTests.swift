import Testing

@testable import SSTCore

@Suite struct PhaseTests {
    private typealias Step = Phase.Step

    @Test func stepsFollowTheSSTProcessOrder() {
        #expect(Step.allCases == [.noticed, .opened, .planning, .inProgress, .followUp, .maintenance, .closed])
        #expect(
            Step.allCases.map(\.rawValue)
                == ["noticed", "opened", "planning", "in_progress", "follow_up", "maintenance", "closed"]
        )
        for (lower, higher) in zip(Step.allCases, Step.allCases.dropFirst()) {
            #expect(lower < higher, "\(lower) < \(higher)")
            #expect(!(higher < lower), "\(higher) < \(lower)")
        }
    }

    @Test func phasesOrderLexicographicallyOnGenerationThenStep() {
        var phases: [Phase] = []
        for generation in 1...3 {
            for step in Step.allCases { phases.append(Phase(generation: generation, step: step)) }
        }
        for (index, phase) in phases.enumerated() {
            for (otherIndex, other) in phases.enumerated() {
                #expect((phase < other) == (index < otherIndex), "\(phase) < \(other)")
            }
        }
    }

    @Test func laterGenerationBeatsAnyStepOfEarlierGeneration() {
        #expect(Phase(generation: 1, step: .closed) < Phase(generation: 2, step: .noticed))
        #expect(!(Phase(generation: 2, step: .noticed) < Phase(generation: 1, step: .closed)))
    }

    @Test func reopenedStartsNextGenerationAtOpened() {
        let closed = Phase(generation: 1, step: .closed)
        let reopened = closed.reopened()
        #expect(reopened == Phase(generation: 2, step: .opened))
        #expect(reopened > closed)
        #expect(reopened.reopened() == Phase(generation: 3, step: .opened))
    }

    @Test func textFormIsGenerationColonStep() {
        #expect(Phase(generation: 1, step: .inProgress).description == "1:in_progress")
        #expect(Phase(generation: 12, step: .followUp).description == "12:follow_up")
    }

    @Test(arguments: Step.allCases)
    func textFormRoundTripsForEveryStep(step: Phase.Step) throws {
        for generation in [1, 2, 17] {
            let phase = Phase(generation: generation, step: step)
            #expect(try #require(Phase(text: phase.description)) == phase)
        }
    }

    @Test(arguments: [
        "", "planning", "1", "1:", ":planning", "0:planning", "-1:planning", "1:Planning", "1:inProgress",
        "1:in progress", "1:planning:2", "x:planning", "1 :planning",
    ])
    func rejectsMalformedText(text: String) {
        #expect(Phase(text: text) == nil, "accepted \"\(text)\"")
    }

    @Test func everyStepHasADistinctSwedishLabel() {
        let labels = Step.allCases.map(\.swedishLabel)
        #expect(labels.allSatisfy { !$0.isEmpty })
        #expect(Set(labels).count == labels.count)
        #expect(Step.noticed.swedishLabel == "uppmärksammad")
        #expect(Step.opened.swedishLabel == "aktualiserad")
        #expect(Step.closed.swedishLabel == "avslutad")
        #expect(Step.followUp.swedishLabel == "uppföljning")
    }
}
