import CascadeCore
import CascadeSolver
import Foundation
import XCTest

/// Steady states for PEtab's pre-equilibration and `inf` times: the criterion, Newton with
/// conservation laws, carrying states over, and the error when there is no steady state.
final class PEtabSteadyStateTests: XCTestCase {
    /// ∅ → X at k1, X → ∅ at k2·X: X* = k1/k2.
    let turnover = Model("turnover") {
        Compartment(id: "c", size: 2)
        Species(id: "X", compartment: "c", initial: .concentration(0))
        Parameter(id: "k1", value: 3)
        Parameter(id: "k2", value: 0.01)
        Reaction(id: "make", products: [SpeciesReference("X")], rate: "c" * "k1")
        Reaction(id: "lose", reactants: [SpeciesReference("X")], rate: "c" * "k2" * "X")
    }

    /// A ⇄ B with A + B conserved: A* = kb/(ka + kb)·total.
    let exchange = Model("exchange") {
        Compartment(id: "c", size: 1)
        Species(id: "A", compartment: "c", initial: .concentration(5))
        Species(id: "B", compartment: "c", initial: .concentration(1))
        Parameter(id: "ka", value: 2)
        Parameter(id: "kb", value: 1e-4)
        Reaction(id: "ab", reactants: [SpeciesReference("A")], products: [SpeciesReference("B")], rate: "c" * "ka" * "A")
        Reaction(id: "ba", reactants: [SpeciesReference("B")], products: [SpeciesReference("A")], rate: "c" * "kb" * "B")
    }

    func testTurnoverReachesItsSteadyState() throws {
        let sim = try Simulator(CompiledModel(turnover), options: SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14))
        for newton in [false, true] {
            var o = SteadyStateOptions()
            o.newton = newton
            let ss = try sim.steadyState(options: o)
            XCTAssertLessThanOrEqual(ss.residual, 1)
            XCTAssertEqual(ss.states[0] / 2, 300, accuracy: 300 * 1e-6, "newton \(newton)")  // amount / size
            if !newton { XCTAssertEqual(ss.newtonIterations, 0) }
            XCTAssertGreaterThan(ss.time, 0)
        }
        // Newton lands much closer than the criterion requires.
        let polished = try sim.steadyState()
        XCTAssertEqual(polished.states[0] / 2, 300, accuracy: 1e-9)
        XCTAssertGreaterThan(polished.newtonIterations, 0)
        // Inputs change the steady state.
        XCTAssertEqual(try sim.steadyState(inputs: ["k1": 6]).states[0] / 2, 600, accuracy: 1e-9)
    }

    func testNewtonKeepsConservedTotals() throws {
        let compiled = try CompiledModel(exchange)
        XCTAssertEqual(compiled.conservationLaws.count, 1)
        let sim = try Simulator(compiled, options: SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14))
        let ss = try sim.steadyState()
        let a = ss.states[compiled.stateIds.firstIndex(of: "A")!], b = ss.states[compiled.stateIds.firstIndex(of: "B")!]
        XCTAssertEqual(a + b, 6, accuracy: 1e-10)
        XCTAssertEqual(a, 1e-4 / (2 + 1e-4) * 6, accuracy: 1e-12)
        let r = compiled.steadyStateResidual(time: ss.time, states: ss.states, parameters: ss.parameters)
        XCTAssertLessThanOrEqual(r.value, 1)
    }

    func testNoSteadyStateNamesTheTime() throws {
        // Exponential growth never settles.
        let growth = Model("growth") {
            Compartment(id: "c", size: 1)
            Species(id: "N", compartment: "c", initial: .concentration(1))
            Parameter(id: "r", value: 1e-3)
            Reaction(id: "divide", products: [SpeciesReference("N")], modifiers: ["N"], rate: "c" * "r" * "N")
        }
        let sim = try Simulator(CompiledModel(growth))
        var o = SteadyStateOptions()
        o.maxTime = 1000
        XCTAssertThrowsError(try sim.steadyState(options: o)) { e in
            guard let s = e as? SteadyStateError else { return XCTFail("\(e)") }
            XCTAssertEqual(s.state, "N")
            XCTAssertLessThanOrEqual(s.time, 1000)
            XCTAssertGreaterThan(s.time, 100)
            XCTAssertTrue(s.description.hasPrefix("no steady state by t = \(s.time): 'N' still changes"), s.description)
        }
    }

    func testPreequilibrationCarriesStatesOverAndReinitialises() throws {
        let compiled = try CompiledModel(exchange)
        let sim = try Simulator(compiled, options: SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14))
        let columns = [OutputColumn("A"), OutputColumn("B")]
        // Pre-equilibrate with ka = kb = 1 (A* = B* = 3), then simulate with the model's rates.
        let pre = Preequilibration(inputs: ["ka": 1, "kb": 1])
        let t = try sim.simulate(times: [0, 1], outputs: columns, start: 0, preequilibration: pre)
        XCTAssertEqual(t[0, 0], 3, accuracy: 1e-9)
        XCTAssertEqual(t[0, 1], 3, accuracy: 1e-9)
        // A(t) = A∞ + (A0 − A∞) e^{−(ka+kb)t}
        let aInf = 1e-4 / (2 + 1e-4) * 6
        XCTAssertEqual(t[1, 0], aInf + (3 - aInf) * Foundation.exp(-(2 + 1e-4)), accuracy: 1e-8)
        // Re-initialised species take the simulation's initial values instead.
        let re = Preequilibration(inputs: ["ka": 1, "kb": 1], reinitialise: ["A"])
        let u = try sim.simulate(times: [0], outputs: columns, inputs: ["A": 10], start: 0, preequilibration: re)
        XCTAssertEqual(u[0, 0], 10, accuracy: 1e-12)
        XCTAssertEqual(u[0, 1], 3, accuracy: 1e-9)
        // Without pre-equilibration the model's initial values hold.
        let plain = try sim.simulate(times: [0], outputs: columns, start: 0, preequilibration: nil)
        XCTAssertEqual(plain.values, [5, 1])
    }

    func testInfiniteTimesGiveTheSteadyState() throws {
        let sim = try Simulator(CompiledModel(turnover), options: SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14))
        let t = try sim.simulate(
            times: [0, 10, .infinity, .infinity], outputs: [OutputColumn("X"), OutputColumn("X", .amount)],
            start: 0, preequilibration: nil)
        XCTAssertEqual(t.rowCount, 4)
        XCTAssertEqual(t[1, 0], 300 * (1 - Foundation.exp(-0.1)), accuracy: 1e-7)
        XCTAssertEqual(t[2, 0], 300, accuracy: 1e-8)
        XCTAssertEqual(t[3, 1], 600, accuracy: 1e-8)
        let only = try sim.simulate(
            times: [.infinity], outputs: [OutputColumn("X")], inputs: ["k2": 0.1], start: 0,
            preequilibration: nil)
        XCTAssertEqual(only.values[0], 30, accuracy: 1e-9)
        XCTAssertThrowsError(try sim.simulate(times: [.infinity, 1], outputs: [], start: 0, preequilibration: nil))
    }
}
