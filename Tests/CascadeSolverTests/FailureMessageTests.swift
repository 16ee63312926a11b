import CascadeCore
import CascadeSolver
import Foundation
import XCTest

/// What a failing or suspicious simulation says: the reaction whose rate became NaN, and
/// species that fall far below zero.
final class FailureMessageTests: XCTestCase {
    /// dA/dt = -sqrt(A - 1), A(0) = 2: A = 1 + (1 - t/2)^2 reaches 1 at t = 2, after which the
    /// rate is the square root of a negative number. The failure names the reaction and its law.
    func testRateThatBecomesNaNIsNamed() throws {
        let m = Model("root") {
            Compartment(id: "c", size: 1)
            Species(id: "A", compartment: "c", initial: .concentration(2))
            Reaction(id: "J1", reactants: [SpeciesReference("A")], rate: .apply(.sqrt, ["A" - 1]))
        }
        let sim = try Simulator(CompiledModel(m))
        XCTAssertThrowsError(try sim.simulate(times: [0, 1, 10], outputs: [OutputColumn("A")])) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("the rate of reaction 'J1' became NaN at t = 2.0"), text)
            XCTAssertTrue(text.contains("sqrt(A - 1)"), text)
            XCTAssertFalse(text.contains("internal steps"), text)
        }
    }

    /// B is consumed at rate sqrt(5 - B) whether or not there is any B, so it goes negative.
    func testSpeciesFarBelowZeroAreReported() throws {
        let m = Model("negative") {
            Compartment(id: "c", size: 1)
            Species(id: "A", compartment: "c", initial: .concentration(10))
            Species(id: "B", compartment: "c", initial: .concentration(0))
            Parameter(id: "k", value: 0.5)
            Reaction(id: "J0", reactants: [SpeciesReference("A")], products: [SpeciesReference("B")], rate: "k" * "A")
            Reaction(id: "J1", reactants: [SpeciesReference("B")], rate: .apply(.sqrt, [5 - "B"]))
        }
        let options = SolverOptions()
        let times = stride(from: 0.0, through: 10, by: 1).map { $0 }
        let traj = try Simulator(CompiledModel(m), options: options).simulate(times: times, outputs: [OutputColumn("A"), OutputColumn("B")])
        let found = traj.negativeSpecies(m, options: options)
        XCTAssertEqual(found.map(\.id), ["B"])
        let first = try XCTUnwrap(found.first)
        XCTAssertEqual(first.value, traj[Int(first.time), 1], "the value at the reported time, unchanged")
        XCTAssertLessThan(first.value, 0)
        XCTAssertGreaterThanOrEqual(traj[Int(first.time) - 1, 1], -1e-6, "the first time it is far below zero")
        XCTAssertTrue(first.description.contains("species 'B' falls to"), first.description)

        // A decay that approaches zero stays within tolerance of it: no report.
        let decay = Model("decay") {
            Compartment(id: "c", size: 1)
            Species(id: "A", compartment: "c", initial: .concentration(10))
            Reaction(id: "J0", reactants: [SpeciesReference("A")], rate: 5 * "A")
        }
        let d = try Simulator(CompiledModel(decay), options: options).simulate(times: times, outputs: [OutputColumn("A")])
        XCTAssertEqual(d.negativeSpecies(decay, options: options), [])
    }
}
