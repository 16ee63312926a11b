import CascadeCore
import CascadeSolver
import Foundation
import XCTest

/// `delay(x, d)` against closed forms: the method of steps for a delay equation, a delayed
/// function of time (including before the start), and an event triggered by a delayed value.
final class DelayTests: XCTestCase {
    let tight = SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-12)

    func simulate(_ m: Model, _ times: [Double], _ ids: [String]) throws -> Trajectory {
        try Simulator(CompiledModel(m), options: tight).simulate(times: times, outputs: ids.map { OutputColumn($0) }, start: 0)
    }

    /// x' = −x(t − 1), x = 1 up to t = 0: x = 1 − t on [0, 1], t²/2 − 2t + 3/2 on [1, 2],
    /// and −t³/6 + 3t²/2 − 7t/2 + 17/6 − ... on [2, 3] (integrating the previous piece).
    func testDelayEquationByTheMethodOfSteps() throws {
        var m = Model(id: "dde")
        m.parameters = [Parameter(id: "x", value: 1, constant: false)]
        m.rules = [.rate(variable: "x", math: .apply(.neg, [.apply(.delay, ["x", 1])]))]
        let times = [0.25, 0.5, 1, 1.5, 2, 2.5, 3]
        let traj = try simulate(m, times, ["x"])
        func exact(_ t: Double) -> Double {
            if t <= 1 { return 1 - t }
            if t <= 2 { return t * t / 2 - 2 * t + 1.5 }
            // x' = −((t−1)²/2 − 2(t−1) + 3/2) on [2, 3], from x(2) = −0.5.
            let u = t - 1
            func antiderivative(_ u: Double) -> Double { u * u * u / 6 - u * u + 1.5 * u }
            return -0.5 - (antiderivative(u) - antiderivative(1))
        }
        for (i, t) in times.enumerated() {
            XCTAssertEqual(traj[i, 0], exact(t), accuracy: 1e-6, "x(\(t))")
        }
    }

    /// x' = −x(t − 1) from t = 5. From the model's initial value (x = 1) the history is that
    /// value: x = 1 − (t − 5) on [5, 6]. From a given state (x = 2) it is that state:
    /// x = 2 − 2(t − 5), then t² / 2 terms scaled by 2 on [6, 7].
    func testTheHistoryOfAGivenStartStateIsThatState() throws {
        var m = Model(id: "dde")
        m.parameters = [Parameter(id: "x", value: 1, constant: false)]
        m.rules = [.rate(variable: "x", math: .apply(.neg, [.apply(.delay, ["x", 1])]))]
        let sim = try Simulator(CompiledModel(m), options: tight)
        let times = [5.5, 6, 6.5]
        let declared = try sim.simulate(times: times, outputs: [OutputColumn("x")], start: 5)
        let given = try sim.simulate(times: times, outputs: [OutputColumn("x")], start: 5, initialStates: [2])
        for (i, t) in times.enumerated() {
            let u = t - 5
            let exact = u <= 1 ? 1 - u : u * u / 2 - 2 * u + 1.5
            XCTAssertEqual(declared[i, 0], exact, accuracy: 1e-6, "x(\(t)) from the declared value")
            XCTAssertEqual(given[i, 0], 2 * exact, accuracy: 1e-6, "x(\(t)) from the given state")
        }
    }

    /// y = 2 + delay(x, 0.2) with x = sin(10 t): before t = 0.2 the delayed time is before the
    /// start, where x is its rule evaluated then.
    func testDelayedFunctionOfTime() throws {
        var m = Model(id: "shift")
        m.parameters = [Parameter(id: "x", value: nil, constant: false), Parameter(id: "y", value: nil, constant: false)]
        m.rules = [
            .assignment(variable: "x", math: .apply(.sin, [10 * Expr.time])),
            .assignment(variable: "y", math: 2 + .apply(.delay, ["x", 0.2])),
        ]
        let times = [0, 0.1, 0.2, 0.5, 1.3]
        let traj = try simulate(m, times, ["y"])
        for (i, t) in times.enumerated() {
            XCTAssertEqual(traj[i, 0], 2 + sin(10 * (t - 0.2)), accuracy: 1e-9, "y(\(t))")
        }
    }

    /// x grows at rate 1 from 0; the event fires when x one time unit earlier exceeds 0.5, at t = 1.5.
    func testEventTriggeredByADelayedValue() throws {
        var m = Model(id: "late")
        m.parameters = [
            Parameter(id: "x", value: 0, constant: false), Parameter(id: "fired", value: 0, constant: false),
            Parameter(id: "when", value: 0, constant: false),
        ]
        m.rules = [.rate(variable: "x", math: 1)]
        m.events = [
            Event(
                id: "e", trigger: .apply(.gt, [.apply(.delay, ["x", 1]), 0.5]),
                assignments: [EventAssignment(variable: "fired", math: 1), EventAssignment(variable: "when", math: .time)])
        ]
        let traj = try simulate(m, [1.4, 1.6], ["fired", "when"])
        XCTAssertEqual(traj.column("fired"), [0, 1])
        XCTAssertEqual(traj[1, 1], 1.5, accuracy: 1e-8)
    }

    /// y = delay(z, 1) with z = delay(x, 0.5) and x = t from 0 (0 before): y = max(0, t − 1.5).
    func testDelayOfARuleThatIsADelay() throws {
        var m = Model(id: "nested")
        m.parameters = [
            Parameter(id: "x", value: 0, constant: false), Parameter(id: "z", value: nil, constant: false),
            Parameter(id: "y", value: nil, constant: false),
        ]
        m.rules = [
            .rate(variable: "x", math: 1),
            .assignment(variable: "z", math: .apply(.delay, ["x", 0.5])),
            .assignment(variable: "y", math: .apply(.delay, ["z", 1])),
        ]
        let times = [0.5, 1.2, 1.5, 2, 3]
        let traj = try simulate(m, times, ["y", "z"])
        for (i, t) in times.enumerated() {
            XCTAssertEqual(traj[i, 0], max(0, t - 1.5), accuracy: 1e-8, "y(\(t))")
            XCTAssertEqual(traj[i, 1], max(0, t - 0.5), accuracy: 1e-8, "z(\(t))")
        }
    }
}
