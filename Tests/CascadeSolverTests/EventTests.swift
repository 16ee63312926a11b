import CascadeCore
import CascadeSolver
import XCTest

/// SBML event semantics: delays, trigger-time values, priorities, persistence, t0 firing, ties.
final class EventTests: XCTestCase {
    func model(_ events: [Event], extra: [Parameter] = []) -> Model {
        var m = Model(id: "events")
        m.compartments = [Compartment(id: "c", size: 1)]
        m.parameters = [Parameter(id: "x", value: 0, constant: false)] + extra
        m.events = events
        return m
    }

    func x(_ m: Model, at times: [Double], options: SolverOptions = SolverOptions()) throws -> [Double] {
        try Simulator(CompiledModel(m), options: options).simulate(times: times, outputs: [OutputColumn("x")]).column("x")!
    }

    func testDelayedEventExecutesAfterItsDelay() throws {
        let m = model([Event(id: "e", trigger: .apply(.gt, [.time, 2]), assignments: [EventAssignment(variable: "x", math: 5)], delay: 1)])
        XCTAssertEqual(try x(m, at: [0, 2.5, 2.999, 3, 4]), [0, 0, 0, 5, 5])
    }

    func testValuesFromTriggerTimeOrFromExecutionTime() throws {
        let fromTrigger = model([
            Event(
                id: "e", trigger: .apply(.gt, [.time, 2]), assignments: [EventAssignment(variable: "x", math: .time)],
                delay: 1, useValuesFromTriggerTime: true)
        ])
        XCTAssertEqual(try x(fromTrigger, at: [0, 4]).last!, 2, accuracy: 1e-12)
        let atExecution = model([
            Event(
                id: "e", trigger: .apply(.gt, [.time, 2]), assignments: [EventAssignment(variable: "x", math: .time)],
                delay: 1, useValuesFromTriggerTime: false)
        ])
        XCTAssertEqual(try x(atExecution, at: [0, 4]).last!, 3, accuracy: 1e-12)
    }

    func testHigherPriorityExecutesFirst() throws {
        let m = model([
            Event(id: "low", trigger: .apply(.gt, [.time, 1]), assignments: [EventAssignment(variable: "x", math: 2)], priority: 1),
            Event(id: "high", trigger: .apply(.gt, [.time, 1]), assignments: [EventAssignment(variable: "x", math: 1)], priority: 2),
        ])
        XCTAssertEqual(try x(m, at: [0, 2]), [0, 2], "the low-priority event runs last and wins")
    }

    func testNonPersistentEventIsCancelledWhenItsTriggerTurnsFalse() throws {
        let window: Expr = .apply(.and, [.apply(.gt, [.time, 1]), .apply(.lt, [.time, 1.5])])
        let cancelled = model([Event(id: "e", trigger: window, assignments: [EventAssignment(variable: "x", math: 7)], delay: 1, persistent: false)])
        XCTAssertEqual(try x(cancelled, at: [0, 3]), [0, 0])
        let persistent = model([Event(id: "e", trigger: window, assignments: [EventAssignment(variable: "x", math: 7)], delay: 1, persistent: true)])
        XCTAssertEqual(try x(persistent, at: [0, 3]), [0, 7])
    }

    func testTriggerTrueAtTheStartFiresOnlyWhenItsInitialValueIsFalse() throws {
        let trigger: Expr = .apply(.ge, [.time, 0])
        XCTAssertEqual(
            try x(
                model([
                    Event(
                        id: "e", trigger: trigger, assignments: [EventAssignment(variable: "x", math: 3)],
                        triggerInitialValue: false)
                ]), at: [0, 1]), [3, 3])
        XCTAssertEqual(
            try x(
                model([
                    Event(
                        id: "e", trigger: trigger, assignments: [EventAssignment(variable: "x", math: 3)],
                        triggerInitialValue: true)
                ]), at: [0, 1]), [0, 0])
    }

    func testEventsCascadeWithinOneInstant() throws {
        // e1 sets y = 1 at t > 1; e2 fires when y > 0.5, at the same instant.
        let m = model(
            [
                Event(id: "e1", trigger: .apply(.gt, [.time, 1]), assignments: [EventAssignment(variable: "y", math: 1)]),
                Event(id: "e2", trigger: .apply(.gt, ["y", 0.5]), assignments: [EventAssignment(variable: "x", math: 9)]),
            ], extra: [Parameter(id: "y", value: 0, constant: false)])
        XCTAssertEqual(try x(m, at: [0, 1.0000001]), [0, 9])
    }

    /// Equal priorities: the order is drawn per tie from a seeded generator — both orders occur
    /// over many ties, and the same seed gives the same result.
    func testTiesAreRandomButReproducible() throws {
        // Every 0.1 s both events fire together; whichever runs last sets x. count the winners.
        var m = model(
            [
                Event(
                    id: "a", trigger: .apply(.ge, [.apply(.sub, [.time, "last"]), 0.1]),
                    assignments: [EventAssignment(variable: "x", math: "x" + 1), EventAssignment(variable: "last", math: .time)],
                    priority: 0, persistent: false),
                Event(
                    id: "b", trigger: .apply(.ge, [.apply(.sub, [.time, "last"]), 0.1]),
                    assignments: [EventAssignment(variable: "x", math: "x" + 1000), EventAssignment(variable: "last", math: .time)],
                    priority: 0, persistent: false),
            ], extra: [Parameter(id: "last", value: 0, constant: false)])
        m.parameters[0].value = 0
        // Each tie runs one event; the other is cancelled (non-persistent, trigger now false).
        var o = SolverOptions()
        o.eventTieBreak = .seeded(42)
        let final = try x(m, at: [0, 20.05], options: o).last!
        let bWins = Int(final) / 1000, aWins = Int(final) % 1000
        XCTAssertEqual(aWins + bWins, 200)
        XCTAssertGreaterThan(aWins, 60)
        XCTAssertGreaterThan(bWins, 60)
        XCTAssertEqual(try x(m, at: [0, 20.05], options: o).last!, final, "same seed, same result")
        o.eventTieBreak = .triggerOrder
        XCTAssertEqual(try x(m, at: [0, 20.05], options: o).last!, 200, "declaration order: a always wins")
    }
}
