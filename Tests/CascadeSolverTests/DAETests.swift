import CascadeCore
import Foundation
import XCTest

@testable import CascadeSolver

/// Algebraic rules that are not affine in the variable they determine: the differential-algebraic
/// path (IDA), against closed forms.
final class DAETests: XCTestCase {
    let tight = SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-12)
    let k = 0.5

    /// x' = −k·x (x0 = 0.6) as a rate rule, and `0 = rule` determining y.
    func model(_ rule: Expr, y: Double? = nil, extra: [Rule] = [], events: [Event] = [], rate: Expr = -1 * "k" * "x") -> Model {
        var m = Model(id: "dae")
        m.parameters = [
            Parameter(id: "k", value: k),
            Parameter(id: "R", value: 1, constant: !events.contains { $0.assignments.contains { $0.variable == "R" } }),
            Parameter(id: "x", value: 0.6, constant: false), Parameter(id: "y", value: y, constant: false),
        ]
        m.rules = [.rate(variable: "x", math: rate), .algebraic(math: rule)] + extra
        m.events = events
        return m
    }

    static func power(_ a: Expr, _ b: Expr) -> Expr { .apply(.pow, [a, b]) }
    /// The circle y² + x² = R².
    let circle = DAETests.power("y", 2) + DAETests.power("x", 2) - DAETests.power("R", 2)

    /// The real root of y³ + y = x (Cardano).
    static func cubicRoot(_ x: Double) -> Double {
        let s = (x * x / 4 + 1.0 / 27).squareRoot()
        return Foundation.cbrt(x / 2 + s) + Foundation.cbrt(x / 2 - s)
    }

    func testACircleRuleIsIntegratedAsADAE() throws {
        let compiled = try CompiledModel(model(circle))
        XCTAssertTrue(compiled.isDifferentialAlgebraic)
        XCTAssertEqual(compiled.stateIds, ["x", "y"])
        XCTAssertEqual(compiled.algebraicStates, [false, true])
        let times = [0.0, 0.1, 1, 2.5, 5, 10]
        let traj = try Simulator(compiled, options: tight).simulate(times: times, outputs: ["x", "y"].map { OutputColumn($0) })
        for (i, t) in times.enumerated() {
            let x = 0.6 * exp(-k * t)
            XCTAssertEqual(traj[i, 0], x, accuracy: 1e-8, "x(\(t))")
            // No value for y: the guess 1 leads to the positive root.
            XCTAssertEqual(traj[i, 1], (1 - x * x).squareRoot(), accuracy: 1e-8, "y(\(t))")
        }
        XCTAssertGreaterThan(traj.statistics.steps, 10)
    }

    func testTheDeclaredValueChoosesTheRoot() throws {
        let traj = try Simulator(CompiledModel(model(circle, y: -2)), options: tight)
            .simulate(times: [0, 3], outputs: [OutputColumn("y")])
        XCTAssertEqual(traj[0, 0], -0.8, accuracy: 1e-10)
        XCTAssertEqual(traj[1, 0], -(1 - pow(0.6 * exp(-k * 3), 2)).squareRoot(), accuracy: 1e-8)
    }

    func testACubicRule() throws {
        let rule = Self.power("y", 3) + "y" - "x"
        let times = [0.0, 0.5, 2, 7]
        let traj = try Simulator(CompiledModel(model(rule)), options: tight)
            .simulate(times: times, outputs: [OutputColumn("y")])
        for (i, t) in times.enumerated() {
            XCTAssertEqual(traj[i, 0], Self.cubicRoot(0.6 * exp(-k * t)), accuracy: 1e-9, "y(\(t))")
        }
    }

    /// x' = −k·y with y³ + y = x: (3y² + 1)·y' = −k·y, so 1.5·y² + ln y = 1.5·y0² + ln y0 − k·t.
    func testTheAlgebraicStateFeedsTheRates() throws {
        let rule = Self.power("y", 3) + "y" - "x"
        let times = [0.0, 0.5, 1, 3, 6]
        let traj = try Simulator(CompiledModel(model(rule, rate: -1 * "k" * "y")), options: tight)
            .simulate(times: times, outputs: ["x", "y"].map { OutputColumn($0) })
        let y0 = Self.cubicRoot(0.6)
        for (i, t) in times.enumerated() {
            let target = 1.5 * y0 * y0 + log(y0) - k * t
            var y = traj[i, 1]  // Newton from the simulated value, on the closed form
            for _ in 0 ..< 50 { y -= (1.5 * y * y + log(y) - target) / (3 * y + 1 / y) }
            XCTAssertEqual(traj[i, 1], y, accuracy: 1e-8, "y(\(t))")
            XCTAssertEqual(traj[i, 0], y * y * y + y, accuracy: 1e-8, "x(\(t))")
        }
    }

    /// A decays by a reaction; the conservation A + B = T is written ln(A + B) = ln(T), which is
    /// not affine in B.
    func testAConservationWrittenAsANonAffineRule() throws {
        var m = Model(id: "conservation")
        m.compartments = [Compartment(id: "cell", size: 2)]
        m.species = [
            Species(id: "A", compartment: "cell", initial: .concentration(3)),
            Species(id: "B", compartment: "cell", initial: nil),
        ]
        m.parameters = [Parameter(id: "kd", value: 0.3), Parameter(id: "T", value: 5)]
        m.reactions = [Reaction(id: "R", reactants: [SpeciesReference("A")], rate: "cell" * "kd" * "A")]
        m.rules = [.algebraic(math: .apply(.ln, ["A" + "B"]) - .apply(.ln, ["T"]))]
        let compiled = try CompiledModel(m)
        XCTAssertTrue(compiled.isDifferentialAlgebraic)
        let times = [0.0, 1, 4, 10]
        let traj = try Simulator(compiled, options: tight).simulate(times: times, outputs: ["A", "B"].map { OutputColumn($0) })
        for (i, t) in times.enumerated() {
            let a = 3 * exp(-0.3 * t)
            XCTAssertEqual(traj[i, 0], a, accuracy: 1e-8)
            XCTAssertEqual(traj[i, 1], 5 - a, accuracy: 1e-8, "B(\(t))")
        }
    }

    /// y rises as x decays; when y > 0.9 (a root on the algebraic state) x is reset to 0.6, so y
    /// drops back to 0.8. Crossing when x = √0.19, at t = ln(0.6 / √0.19) / k, every period.
    func testAnEventOnAnAlgebraicState() throws {
        let reset = Event(id: "reset", trigger: .apply(.gt, ["y", 0.9]), assignments: [EventAssignment(variable: "x", math: 0.6)])
        let period = log(0.6 / 0.19.squareRoot()) / k
        let times = [0.5, period - 0.01, period + 0.01, 2 * period + 0.3]
        let traj = try Simulator(CompiledModel(model(circle, events: [reset])), options: tight)
            .simulate(times: times, outputs: ["x", "y"].map { OutputColumn($0) }, start: 0)
        for (i, t) in times.enumerated() {
            let x = 0.6 * exp(-k * t.truncatingRemainder(dividingBy: period))
            XCTAssertEqual(traj[i, 0], x, accuracy: 1e-7, "x(\(t))")
            XCTAssertEqual(traj[i, 1], (1 - x * x).squareRoot(), accuracy: 1e-7, "y(\(t))")
        }
        XCTAssertEqual(traj.statistics.eventsExecuted, 2)
    }

    /// An event changes R in the rule at t = 2: y is consistent right after it (outputs at the
    /// event time see the values after an event with a non-strict trigger).
    func testTheRuleHoldsRightAfterAnEvent() throws {
        let grow = Event(id: "grow", trigger: .apply(.ge, [.time, 2]), assignments: [EventAssignment(variable: "R", math: 2)])
        let traj = try Simulator(CompiledModel(model(circle, events: [grow])), options: tight)
            .simulate(times: [1, 2, 3], outputs: ["x", "y", "R"].map { OutputColumn($0) }, start: 0)
        let x1 = 0.6 * exp(-k), x2 = 0.6 * exp(-2 * k), x3 = 0.6 * exp(-3 * k)
        XCTAssertEqual(traj[0, 1], (1 - x1 * x1).squareRoot(), accuracy: 1e-8)
        XCTAssertEqual(traj[1, 2], 2)
        XCTAssertEqual(traj[1, 1], (4 - x2 * x2).squareRoot(), accuracy: 1e-8)
        XCTAssertEqual(traj[2, 1], (4 - x3 * x3).squareRoot(), accuracy: 1e-8)
    }

    /// x' = k·(0.3 − x) with x² + y² = 1: the steady state is x = 0.3, y = √0.91, and the
    /// simulation continued from it (pre-equilibration) stays there.
    func testSteadyStateOfADAE() throws {
        let sim = try Simulator(CompiledModel(model(circle, rate: "k" * (0.3 - "x"))), options: tight)
        let ss = try sim.steadyState()
        XCTAssertEqual(ss.states[0], 0.3, accuracy: 1e-9)
        XCTAssertEqual(ss.states[1], 0.91.squareRoot(), accuracy: 1e-9)
        let traj = try sim.simulate(
            times: [0, 5], outputs: [OutputColumn("y")], preequilibration: Preequilibration(inputs: [:]))
        XCTAssertEqual(traj[1, 0], 0.91.squareRoot(), accuracy: 1e-9)
    }

    /// x' = −x(t − 1) from x = 0.6 (0.6·(1 − t) on [0, 1], 0.6·(t²/2 − 2t + 3/2) on [1, 2]),
    /// y³ + y = x, and w' = y(t − 1) from 0: w = y(0)·t on [0, 1] (the history is the start
    /// state), then y(0) + ∫₀^(t−1) y.
    func testDelaysInADAE() throws {
        var m = model(Self.power("y", 3) + "y" - "x", rate: .apply(.neg, [.apply(.delay, ["x", 1])]))
        m.parameters.append(Parameter(id: "w", value: 0, constant: false))
        m.rules.append(.rate(variable: "w", math: .apply(.delay, ["y", 1])))
        let times = [0.5, 1, 1.5, 2]
        let traj = try Simulator(CompiledModel(m), options: tight).simulate(times: times, outputs: ["y", "w"].map { OutputColumn($0) }, start: 0)
        func x(_ t: Double) -> Double { t <= 1 ? 0.6 * (1 - t) : 0.6 * (t * t / 2 - 2 * t + 1.5) }
        func y(_ t: Double) -> Double { Self.cubicRoot(x(t)) }
        func integral(_ b: Double) -> Double {  // Simpson's rule
            let n = 2000, h = b / Double(n)
            var sum = y(0) + y(b)
            for i in 1 ..< n { sum += (i % 2 == 1 ? 4 : 2) * y(Double(i) * h) }
            return sum * h / 3
        }
        for (i, t) in times.enumerated() {
            XCTAssertEqual(traj[i, 0], y(t), accuracy: 1e-6, "y(\(t))")
            XCTAssertEqual(traj[i, 1], t <= 1 ? y(0) * t : y(0) + integral(t - 1), accuracy: 1e-6, "w(\(t))")
        }
    }

    func testARuleWithoutSolutionIsReportedAtTheStart() {
        let none = Self.power("y", 2) + Self.power("x", 2) + 1
        XCTAssertThrowsError(try Simulator(CompiledModel(model(none)), options: tight).simulate(times: [0, 1], outputs: [OutputColumn("y")])) {
            error in
            XCTAssertTrue("\(error)".contains("no values of 'y' satisfy the algebraic rules"), "\(error)")
        }
    }

    func testRateOfAnAlgebraicStateAndSensitivitiesAreRefused() throws {
        var m = model(circle, extra: [.assignment(variable: "z", math: .apply(.rateOf, ["y"]))])
        m.parameters.append(Parameter(id: "z", value: nil, constant: false))
        XCTAssertThrowsError(try CompiledModel(m)) { error in
            XCTAssertTrue("\(error)".contains("rateOf('y')"), "\(error)")
        }
        let compiled = try CompiledModel(model(circle))
        XCTAssertThrowsError(try SensitivityModel(compiled, outputs: [OutputColumn("y")])) { error in
            XCTAssertTrue("\(error)".contains("differential-algebraic"), "\(error)")
        }
    }
}
