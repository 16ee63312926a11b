import CascadeCore
import Foundation
import XCTest

@testable import CascadeSolver

/// Fast reactions as the equilibrium they define (SBML L3V1 semantics), against closed forms.
final class FastReactionTests: XCTestCase {
    let tight = SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-12)

    /// A ⇌ B fast (kf·A − kr·B, K = kf/kr) and slow degradation of B (kd). The total T = A + B
    /// decays as T0·exp(−kd·K/(1 + K)·t), B = K/(1 + K)·T, A = T/(1 + K).
    func binding(cell: Double = 2) -> Model {
        var m = Model(id: "binding")
        m.compartments = [Compartment(id: "cell", size: cell)]
        m.species = [
            Species(id: "A", compartment: "cell", initial: .concentration(1)),
            Species(id: "B", compartment: "cell", initial: .concentration(0.5)),
        ]
        m.parameters = [Parameter(id: "kr", value: 2), Parameter(id: "kd", value: 0.3)]
        m.reactions = [
            Reaction(
                id: "bind", reactants: [SpeciesReference("A")], products: [SpeciesReference("B")],
                rate: "cell" * ("kf" * "A" - "kr" * "B"), localParameters: [Parameter(id: "kf", value: 6)], fast: true),
            Reaction(id: "decay", reactants: [SpeciesReference("B")], rate: "cell" * "kd" * "B"),
        ]
        return m
    }

    func testABindingEquilibriumWithSlowDecay() throws {
        let compiled = try CompiledModel(binding())
        XCTAssertFalse(compiled.isDifferentialAlgebraic, "a mass-action equilibrium is affine: an ODE")
        let times = [0.0, 0.5, 2, 6]
        let traj = try Simulator(compiled, options: tight).simulate(times: times, outputs: ["A", "B", "bind"].map { OutputColumn($0) })
        let K = 3.0
        for (i, t) in times.enumerated() {
            let total = 1.5 * exp(-0.3 * K / (1 + K) * t)
            XCTAssertEqual(traj[i, 0], total / (1 + K), accuracy: 1e-9, "A(\(t))")
            XCTAssertEqual(traj[i, 1], total * K / (1 + K), accuracy: 1e-9, "B(\(t))")
            XCTAssertEqual(traj[i, 2], 0, accuracy: 1e-9, "the fast reaction's net rate")
        }
    }

    /// A in the cytoplasm (size 2, a concentration) ⇌ B in the nucleus (size 0.5, only
    /// substance units) fast, kf·A·cyt − kr·B in amounts; B decays slowly. In amounts
    /// nB = K·nA (K = kf/kr = 4) and the total amount decays at kd·K/(1 + K).
    func testAnEquilibriumAcrossCompartmentsInAmounts() throws {
        var m = Model(id: "transport")
        m.compartments = [Compartment(id: "cyt", size: 2), Compartment(id: "nuc", size: 0.5)]
        m.species = [
            Species(id: "A", compartment: "cyt", initial: .concentration(3)),
            Species(id: "B", compartment: "nuc", initial: .amount(1), hasOnlySubstanceUnits: true),
        ]
        m.parameters = [Parameter(id: "kf", value: 8), Parameter(id: "kr", value: 2), Parameter(id: "kd", value: 0.1)]
        m.reactions = [
            Reaction(
                id: "import", reactants: [SpeciesReference("A")], products: [SpeciesReference("B")],
                rate: "kf" * "A" * "cyt" - "kr" * "B", fast: true),
            Reaction(id: "decay", reactants: [SpeciesReference("B")], rate: "kd" * "B"),
        ]
        let times = [0.0, 2, 9]
        let traj = try Simulator(CompiledModel(m), options: tight).simulate(times: times, outputs: ["A", "B"].map { OutputColumn($0) })
        for (i, t) in times.enumerated() {
            let total = 7 * exp(-0.1 * 0.8 * t)  // 3·2 + 1 at the start
            XCTAssertEqual(traj[i, 0], total / 5 / 2, accuracy: 1e-8, "A(\(t))")
            XCTAssertEqual(traj[i, 1], total * 4 / 5, accuracy: 1e-8, "B(\(t))")
        }
    }

    func testInitialValuesOfTheFastSpeciesStayInputs() throws {
        let sim = try Simulator(CompiledModel(binding()), options: tight)
        let traj = try sim.simulate(times: [0, 1], outputs: ["A", "B"].map { OutputColumn($0) }, inputs: ["A": 3, "kr": 1])
        // T0 = 3.5, K = 6.
        let total = 3.5 * exp(-0.3 * 6 / 7)
        XCTAssertEqual(traj[0, 0], 0.5, accuracy: 1e-10)
        XCTAssertEqual(traj[1, 1], total * 6 / 7, accuracy: 1e-9)
    }

    /// 2A ⇌ D fast (kf·A² − kr·D, K = kf/kr: D = K·A², not affine in A: a DAE) and slow decay of
    /// D (kd). With T = A/2 + D: (2K·A + 1/2)·A' = −kd·K·A², so 2 ln A − 1/(2K·A) + kd·t is
    /// constant.
    func testADimerisationEquilibriumIsADAE() throws {
        var m = Model(id: "dimer")
        m.compartments = [Compartment(id: "cell", size: 1)]
        m.species = [
            Species(id: "A", compartment: "cell", initial: .concentration(2)),
            Species(id: "D", compartment: "cell", initial: .concentration(0)),
        ]
        m.parameters = [Parameter(id: "kf", value: 4), Parameter(id: "kr", value: 2), Parameter(id: "kd", value: 0.2)]
        m.reactions = [
            Reaction(
                id: "dimerise", reactants: [SpeciesReference("A", 2)], products: [SpeciesReference("D")],
                rate: "kf" * "A" * "A" - "kr" * "D", fast: true),
            Reaction(id: "decay", reactants: [SpeciesReference("D")], rate: "kd" * "D"),
        ]
        let compiled = try CompiledModel(m)
        XCTAssertTrue(compiled.isDifferentialAlgebraic)
        let times = [0.0, 1, 3, 10]
        let traj = try Simulator(compiled, options: tight).simulate(times: times, outputs: ["A", "D"].map { OutputColumn($0) })
        let K = 2.0, kd = 0.2
        // At the start: A/2 + K·A² = 1 (the total of A = 2, D = 0).
        let a0 = (-0.5 + (0.25 + 4 * K).squareRoot()) / (2 * K)
        XCTAssertEqual(traj[0, 0], a0, accuracy: 1e-10)
        let invariant = 2 * log(a0) - 1 / (2 * K * a0)
        for (i, t) in times.enumerated() {
            let a = traj[i, 0]
            XCTAssertEqual(traj[i, 1], K * a * a, accuracy: 1e-9, "equilibrium at \(t)")
            XCTAssertEqual(2 * log(a) - 1 / (2 * K * a) + kd * t, invariant, accuracy: 1e-7, "A(\(t))")
        }
        XCTAssertLessThan(traj[3, 0], 0.5 * a0)
    }

    /// At t = 1 an event sets A to 2 (concentration): the total gains (2 − A(1))·cell and the
    /// equilibrium splits it again: A = T/(1 + K) right after.
    func testAnEventOnAFastSpeciesMovesTheTotal() throws {
        var m = binding()
        m.events = [Event(id: "add", trigger: .apply(.ge, [.time, 1]), assignments: [EventAssignment(variable: "A", math: 2)])]
        let traj = try Simulator(CompiledModel(m), options: tight).simulate(times: [1, 3], outputs: ["A", "B"].map { OutputColumn($0) }, start: 0)
        let K = 3.0, rate = 0.3 * K / (1 + K)
        let before = 1.5 * exp(-rate)  // the total concentration just before the event
        let after = before + 2 - before / (1 + K)
        XCTAssertEqual(traj[0, 0], after / (1 + K), accuracy: 1e-9)
        XCTAssertEqual(traj[0, 1], after * K / (1 + K), accuracy: 1e-9)
        XCTAssertEqual(traj[1, 0] + traj[1, 1], after * exp(-rate * 2), accuracy: 1e-8)
    }
}
