import CascadeCore
import CascadeSolver
import Foundation
import XCTest

/// Simulations compared with exact solutions (to 1e-6 relative at rtol 1e-10).
final class AnalyticTests: XCTestCase {
    let tight: SolverOptions = {
        var o = SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14)
        o.maxSteps = 1_000_000
        return o
    }()

    func simulate(
        _ m: Model, _ times: [Double], _ ids: [String], options: SolverOptions? = nil,
        inputs: [String: Double] = [:]
    ) throws -> Trajectory {
        let sim = try Simulator(CompiledModel(m), options: options ?? tight)
        return try sim.simulate(times: times, outputs: ids.map { OutputColumn($0) }, inputs: inputs)
    }

    func assertRelative(_ a: Double, _ b: Double, _ tol: Double = 1e-6, _ what: String = "", line: UInt = #line) {
        let scale = max(abs(b), 1e-12)
        XCTAssertLessThanOrEqual(abs(a - b) / scale, tol, "\(what): got \(a), expected \(b)", line: line)
    }

    let grid = stride(from: 0.0, through: 20.0, by: 0.5).map { $0 }

    func testFirstOrderDecayInAVolume() throws {
        let traj = try simulate(TestModels.decay, grid, ["A"])
        for (i, t) in grid.enumerated() {
            assertRelative(traj[i, 0], 10 * exp(-0.5 * t), 1e-6, "A(\(t))")
        }
    }

    func testAmountsScaleWithCompartmentSize() throws {
        let sim = try Simulator(CompiledModel(TestModels.decay), options: tight)
        let traj = try sim.simulate(times: [0, 1], outputs: [OutputColumn("A", .amount), OutputColumn("A", .concentration)])
        assertRelative(traj[1, 0], 2 * 10 * exp(-0.5), 1e-6, "amount")
        assertRelative(traj[1, 1], 10 * exp(-0.5), 1e-6, "concentration")
    }

    func testConsecutiveReactions() throws {
        let traj = try simulate(TestModels.consecutive, grid, ["A", "B", "C"])
        let k1 = 0.7, k2 = 0.2
        for (i, t) in grid.enumerated() {
            let a = exp(-k1 * t)
            let b = k1 / (k2 - k1) * (exp(-k1 * t) - exp(-k2 * t))
            assertRelative(traj[i, 0], a, 1e-6, "A(\(t))")
            if t > 0 {
                assertRelative(traj[i, 1], b, 1e-6, "B(\(t))")
                assertRelative(traj[i, 2], 1 - a - b, 1e-6, "C(\(t))")
            }
        }
    }

    func testReversibleBindingRelaxesToEquilibrium() throws {
        let kon = 1.5, koff = 0.3, l0 = 2.0, r0 = 1.0
        // dx/dt = kon (x - r1)(x - r2) with roots of kon x² − (kon(L0+R0)+koff) x + kon L0 R0.
        let b = kon * (l0 + r0) + koff
        let disc = (b * b - 4 * kon * kon * l0 * r0).squareRoot()
        let r1 = (b - disc) / (2 * kon), r2 = (b + disc) / (2 * kon)
        let lambda = kon * (r2 - r1)
        let traj = try simulate(TestModels.binding, grid, ["LR", "L", "R"])
        for (i, t) in grid.enumerated() where t > 0 {
            let e = (r1 / r2) * exp(-lambda * t)
            let x = (r1 - e * r2) / (1 - e)
            assertRelative(traj[i, 0], x, 1e-6, "LR(\(t))")
            assertRelative(traj[i, 1], l0 - x, 1e-6, "L(\(t))")
        }
        // At the end: detailed balance kon·L·R = koff·LR.
        let last = grid.count - 1
        assertRelative(kon * traj[last, 1] * traj[last, 2], koff * traj[last, 0], 1e-6, "equilibrium")
    }

    func testTimeEventSwitchesProductionExactly() throws {
        let times = [0, 1, 2.5, 4.999, 5, 5.001, 7, 10]
        let traj = try simulate(TestModels.switched, times, ["P", "on"])
        for (i, t) in times.enumerated() {
            let expected = 0.3 * min(t, 5)
            if expected == 0 {
                XCTAssertEqual(traj[i, 0], 0, accuracy: 1e-15)
            } else {
                assertRelative(traj[i, 0], expected, 1e-6, "P(\(t))")
            }
        }
        // The strict trigger time > 5 is still false at t = 5, so the output there reports the
        // value before the event, as libRoadRunner does; the event executes just after it.
        XCTAssertEqual(traj.column("on"), [1, 1, 1, 1, 1, 0, 0, 0])
        XCTAssertEqual(traj.statistics.eventsExecuted, 1)

        // A non-strict trigger (time >= 5) holds at t = 5: the output there follows the event.
        var closed = TestModels.switched
        closed.events[0].trigger = .apply(.ge, [.time, 5])
        let after = try simulate(closed, times, ["P", "on"])
        XCTAssertEqual(after.column("on"), [1, 1, 1, 1, 0, 0, 0, 0])
        // A falling strict condition (5 > time) is already false at t = 5, so `not` of it fires there.
        var falling = TestModels.switched
        falling.events[0].trigger = .apply(.not, [.apply(.gt, [5, .time])])
        XCTAssertEqual(try simulate(falling, times, ["P", "on"]).column("on"), [1, 1, 1, 1, 0, 0, 0, 0])
    }

    func testStateEventFiresAtTheCrossing() throws {
        let k = 0.4
        let period = log(10.0) / k  // time for 10 → 1
        let times = [0, 1, period - 0.1, period + 0.5, 2 * period - 0.2, 2 * period + 1]
        let traj = try simulate(TestModels.refill, times, ["A"])
        func exact(_ t: Double) -> Double {
            let phase = t.truncatingRemainder(dividingBy: period)
            return 10 * exp(-k * phase)
        }
        for (i, t) in times.enumerated() {
            assertRelative(traj[i, 0], exact(t), 1e-6, "A(\(t))")
        }
        XCTAssertEqual(traj.statistics.eventsExecuted, 2)
    }

    func testInputOverridesAndUnknownIds() throws {
        let traj = try simulate(TestModels.decay, [0, 2], ["A"], inputs: ["k": 0.1, "A": 4])
        assertRelative(traj[1, 0], 4 * exp(-0.2), 1e-6)
        XCTAssertThrowsError(try simulate(TestModels.decay, [0, 1], ["A"], inputs: ["kk": 1])) { e in
            XCTAssertEqual(e as? SimulationError, .unknownInput("kk"))
        }
        XCTAssertThrowsError(try simulate(TestModels.decay, [0, 1], ["Z"])) { e in
            XCTAssertEqual(e as? SimulationError, .unknownOutput("Z"))
        }
        XCTAssertThrowsError(try simulate(TestModels.decay, [0, 1], ["A"], inputs: ["A": -1])) { e in
            guard case .invalidInput(let id, _, _)? = e as? SimulationError else { return XCTFail("\(e)") }
            XCTAssertEqual(id, "A")
        }
        XCTAssertThrowsError(try simulate(TestModels.decay, [1, 0], ["A"]))
    }

    func testSparseAndDenseSolversAgree() throws {
        let m = TestModels.chain(30)
        let times = [0, 0.1, 1, 10, 100]
        let ids = (0 ..< 30).map { "X\($0)" }
        var dense = tight
        dense.linearSolver = .dense
        var sparse = tight
        sparse.linearSolver = .sparse
        let a = try simulate(m, times, ids, options: dense)
        let b = try simulate(m, times, ids, options: sparse)
        for i in 0 ..< a.values.count {
            XCTAssertEqual(a.values[i], b.values[i], accuracy: 1e-8 * max(1e-3, abs(a.values[i])))
        }
        let total = (0 ..< 30).reduce(0.0) { $0 + b[4, $1] }
        assertRelative(total, 1, 1e-8, "mass conserved")
    }

    func testConservationLawsAreFound() throws {
        let binding = try CompiledModel(TestModels.binding)
        XCTAssertEqual(binding.conservationLaws.count, 2)
        // Every law must be conserved by the stoichiometry: check numerically along a trajectory.
        let traj = try simulate(TestModels.binding, [0, 1, 5], ["L", "R", "LR"])
        for law in binding.conservationLaws {
            let totals = (0 ..< 3).map { row in
                law.terms.reduce(0.0) { acc, t in acc + Double(t.coefficient) * traj[row, ["L", "R", "LR"].firstIndex(of: t.species)!] }
            }
            assertRelative(totals[2], totals[0], 1e-9, "law \(law)")
        }
        let consecutive = try CompiledModel(TestModels.consecutive)
        XCTAssertEqual(consecutive.conservationLaws.map(\.description), ["A + B + C"])
        let robertson = try CompiledModel(TestModels.robertson)
        XCTAssertEqual(robertson.conservationLaws.map(\.description), ["y1 + y2 + y3"])
    }

    /// dA/dt = -k A^n with the exponent held in a parameter: for n = 2, A(t) = A0 / (1 + k A0 t);
    /// for n = 2.5, A(t) = (A0^-1.5 + 1.5 k t)^(-1/1.5). A parameter exponent of 2 must give the
    /// same bits as the constant 2 (both are evaluated as A·A).
    func testPowerWithParameterExponent() throws {
        func model(_ exponent: Expr) -> Model {
            Model("power") {
                Compartment(id: "c", size: 1)
                Species(id: "A", compartment: "c", initial: .concentration(3))
                Parameter(id: "k", value: 0.4)
                Parameter(id: "n", value: 2)
                Reaction(id: "R1", reactants: [SpeciesReference("A")], rate: "c" * "k" * .pow("A", exponent))
            }
        }
        let byParameter = try simulate(model("n"), grid, ["A"])
        let byConstant = try simulate(model(2), grid, ["A"])
        for (i, t) in grid.enumerated() {
            assertRelative(byParameter[i, 0], 3 / (1 + 0.4 * 3 * t), 1e-6, "A(\(t)), n = 2")
            XCTAssertEqual(byParameter[i, 0].bitPattern, byConstant[i, 0].bitPattern, "A(\(t)): parameter vs constant exponent")
        }
        let fractional = try simulate(model("n"), grid, ["A"], inputs: ["n": 2.5])
        for (i, t) in grid.enumerated() {
            assertRelative(fractional[i, 0], Foundation.pow(Foundation.pow(3, -1.5) + 1.5 * 0.4 * t, -1 / 1.5), 1e-6, "A(\(t)), n = 2.5")
        }
    }

    /// The rate constant is computed from parameters alone (k·s²/V), which the simulator
    /// evaluates once per change of the parameters rather than at every right-hand side. It must
    /// follow an event that changes k at t = 5, and a second simulation on the same simulator
    /// with another s: A(t) = A0 e^(-k1 t) before the event, A(5) e^(-k2 (t - 5)) after.
    func testParameterOnlyExpressionsFollowEventsAndInputs() throws {
        var m = Model(id: "hoisted")
        m.compartments = [Compartment(id: "c", size: 1)]
        m.species = [Species(id: "A", compartment: "c", initial: .concentration(4))]
        m.parameters = [Parameter(id: "k", value: 0.3, constant: false), Parameter(id: "s", value: 2), Parameter(id: "V", value: 1.6)]
        m.reactions = [
            Reaction(
                id: "R1", reactants: [SpeciesReference("A")],
                rate: "c" * ("k" * .pow("s", 2) / "V") * "A")
        ]
        m.events = [Event(id: "e", trigger: .apply(.gt, [.time, 5]), assignments: [EventAssignment(variable: "k", math: 0.05)])]
        let sim = try Simulator(CompiledModel(m), options: tight)
        for s in [2.0, 3.0] {
            let traj = try sim.simulate(times: grid, outputs: [OutputColumn("A")], inputs: ["s": s])
            let k1 = 0.3 * s * s / 1.6, k2 = 0.05 * s * s / 1.6
            for (i, t) in grid.enumerated() {
                let exact = t <= 5 ? 4 * exp(-k1 * t) : 4 * exp(-k1 * 5) * exp(-k2 * (t - 5))
                assertRelative(traj[i, 0], exact, 1e-6, "A(\(t)), s = \(s)")
            }
        }
    }
}
