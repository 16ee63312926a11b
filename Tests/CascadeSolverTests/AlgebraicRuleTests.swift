import CascadeCore
import Foundation
import XCTest

@testable import CascadeSolver

/// Algebraic rules: the variable each determines, solved exactly, against closed forms.
final class AlgebraicRuleTests: XCTestCase {
    let tight = SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14)

    /// A decays (k = 0.5) in a compartment of size 2; the boundary species C completes the
    /// conserved total 0 = A + C − total; x is fixed by 0 = (k3 + 1)·x − A through a function.
    func conserved(extra: [Rule] = [], events: [Event] = []) -> Model {
        var m = Model(id: "conserved")
        m.compartments = [Compartment(id: "cell", size: 2)]
        m.species = [
            Species(id: "A", compartment: "cell", initial: .concentration(10)),
            Species(id: "C", compartment: "cell", initial: .concentration(0), boundaryCondition: true),
        ]
        m.parameters = [
            Parameter(id: "k", value: 0.5), Parameter(id: "k3", value: 3),
            Parameter(id: "total", value: 10), Parameter(id: "x", value: 0, constant: false),
        ]
        m.functions = [FunctionDefinition(id: "plusOne", arguments: ["v"], body: "v" + 1)]
        m.reactions = [Reaction(id: "R", reactants: [SpeciesReference("A")], rate: "cell" * "k" * "A")]
        m.rules =
            [
                .algebraic(math: "A" + "C" - "total"),
                .algebraic(math: .call("plusOne", ["k3"]) * "x" - "A"),
            ] + extra
        m.events = events
        return m
    }

    func testRulesAreSolvedForTheVariablesTheyDetermine() throws {
        let solved = try AlgebraicRules.solve(conserved())
        XCTAssertEqual(solved.model.rules.compactMap(\.variable), ["C", "x"])
        XCTAssertEqual(solved.residuals, [])
        let times = [0.0, 0.5, 1, 3, 8]
        let sim = try Simulator(CompiledModel(conserved()), options: tight)
        let traj = try sim.simulate(times: times, outputs: ["A", "C", "x"].map { OutputColumn($0) })
        for (i, t) in times.enumerated() {
            let a = 10 * exp(-0.5 * t)
            XCTAssertEqual(traj[i, 0], a, accuracy: 1e-7 * 10)
            XCTAssertEqual(traj[i, 1], 10 - a, accuracy: 1e-7 * 10, "C(\(t))")
            XCTAssertEqual(traj[i, 2], a / 4, accuracy: 1e-7 * 10, "x(\(t))")
        }
    }

    func testTheRuleHoldsRightAfterAnEvent() throws {
        let refill = Event(id: "refill", trigger: .apply(.gt, [.time, 1]), assignments: [EventAssignment(variable: "A", math: 20)])
        let sim = try Simulator(CompiledModel(conserved(events: [refill])), options: tight)
        let traj = try sim.simulate(times: [0.5, 1.5], outputs: ["A", "C"].map { OutputColumn($0) }, start: 0)
        let a = 20 * exp(-0.25)
        XCTAssertEqual(traj[1, 0], a, accuracy: 1e-6)
        XCTAssertEqual(traj[1, 1], 10 - a, accuracy: 1e-6)
    }

    func testARuleNotAffineInItsVariableMakesADAEAndOneWithoutAVariableIsRefused() throws {
        var m = conserved()
        m.rules[1] = .algebraic(math: "x" * "x" - "A")
        let solved = try AlgebraicRules.solve(m)
        XCTAssertEqual(solved.residuals, [AlgebraicRules.Residual(variable: "x", math: "x" * "x" - "A")])
        XCTAssertEqual(try CompiledModel(m).algebraicStates.count, 2)
        var none = conserved()
        none.rules[1] = .algebraic(math: "k3" - "A")
        XCTAssertThrowsError(try CompiledModel(none)) { error in
            XCTAssertTrue("\(error)".contains("contains no variable that is not constant"), "\(error)")
        }
    }
}
