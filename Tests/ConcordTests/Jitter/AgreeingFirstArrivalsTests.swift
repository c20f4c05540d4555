import Testing
@testable import Concord

@Suite struct AgreeingFirstArrivalsTests {
    /// The answers to `transits`, observed in order.
    static func answers(_ transits: [Double]) -> [Bool] {
        var first = AgreeingFirstArrivals(toleranceMilliseconds: 1)
        var answers: [Bool] = []
        for transit in transits { answers.append(first.observe(transitMilliseconds: transit)) }
        return answers
    }

    @Test func answersOnceAtTheThirdArrivalWhenAllAgreeWithinTheTolerance() {
        // Later arrivals say nothing, whatever their transit.
        #expect(Self.answers([30, 30.6, 29.9, 30, 30, 90]) == [false, false, true, false, false, false])
    }

    @Test(arguments: [[30.0, 31.5, 30.0], [30, 30, 28.9], [30, 130, 30]])
    func neverAnswersOnceTheFirstArrivalsDisagree(_ transits: [Double]) {
        #expect(Self.answers(transits + [30, 30, 30, 30]) == Array(repeating: false, count: transits.count + 4))
    }

    /// A transit that is not a number is not counted: the next three decide.
    @Test func anUndefinedTransitIsNotCounted() {
        #expect(Self.answers([30, .nan, 30, 30, 30]) == [false, false, false, true, false])
    }
}
