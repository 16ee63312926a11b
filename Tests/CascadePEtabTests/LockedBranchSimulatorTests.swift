import CascadeCore
import CascadeFormats
import Foundation
import XCTest

@testable import CascadeSolver

/// Branches of piecewise, max, min and abs on the state, held between the root finder's stops,
/// against closed-form solutions and their derivatives.
final class LockedBranchSimulatorTests: XCTestCase {
    /// x' = a − k·x + piecewise(b, x > L, 0), x(0) = 0: a source that switches on at a crossing.
    static let switchingSource = """
        model source
          x = 0; a = 1; k = 0.5; b = 1; L = 1
          x' = a - k*x + piecewise(b, x > L, 0)
        end
        """

    let options = SolverOptions(relativeTolerance: 1e-11, absoluteTolerance: 1e-14)

    func assertClose(_ a: Double, _ b: Double, _ tolerance: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThanOrEqual(abs(a - b), tolerance * max(1, abs(b)), "\(what): \(a) vs \(b)", file: file, line: line)
    }

    /// x' = s − k·max(x − c, 0), x(0) = 0: x = s·t up to t* = c/s, then
    /// x = c + (s/k)(1 − e^{−k(t − t*)}); ∂x/∂c = 1 − e^{−k(t − t*)} (t* moves with c),
    /// ∂x/∂k = −(s/k²)(1 − E) + (s/k)(t − t*)E with E = e^{−k(t − t*)}.
    let saturating = """
        model saturating
          x = 0; s = 1; k = 2; c = 1.5
          x' = s - k*max(x - c, 0)
        end
        """

    func testMaxOnTheStateFollowsTheClosedForm() throws {
        let compiled = try CompiledModel(try Antimony.parse(saturating))
        XCTAssertEqual(compiled.lockedAtoms.count, 1, "max(x − c, 0) is one locked branch")
        let times = [0, 0.5, 1.4, 1.5001, 2, 3, 8]
        let x = try Simulator(compiled, options: options).simulate(times: times, outputs: [OutputColumn("x")]).column("x")!
        for (i, t) in times.enumerated() {
            let exact = t < 1.5 ? t : 1.5 + 0.5 * (1 - exp(-2 * (t - 1.5)))
            assertClose(x[i], exact, 1e-9, "x(\(t))")
        }
    }

    func testMaxOnTheStateSensitivitiesFollowTheClosedForm() throws {
        let compiled = try CompiledModel(try Antimony.parse(saturating))
        let model = try SensitivityModel(compiled, outputs: [OutputColumn("x")])
        let sim = try SensitivitySimulator(model, options: options)
        let times = [1.0, 2, 3, 8]
        let r = try sim.simulate(times: times, outputs: [0], inputs: [:], directions: [["c": 1], ["k": 1]])
        for (i, t) in times.enumerated() {
            let after = t > 1.5
            let e = after ? exp(-2 * (t - 1.5)) : 1
            assertClose(r.values[i], after ? 1.5 + 0.5 * (1 - e) : t, 1e-9, "x(\(t))")
            assertClose(r.sensitivities[i * 2], after ? 1 - e : 0, 1e-7, "∂x/∂c at \(t)")
            let dk = after ? -0.25 * (1 - e) + 0.5 * (t - 1.5) * e : 0
            assertClose(r.sensitivities[i * 2 + 1], dk, 1e-7, "∂x/∂k at \(t)")
        }
    }

    /// At the steady state of the same model, x = c + s/k: ∂x/∂c = 1, ∂x/∂k = −s/k², from the
    /// branches taken there (not those of the last integration's start).
    func testMaxOnTheStateSteadyStateSensitivities() throws {
        let compiled = try CompiledModel(try Antimony.parse(saturating))
        let sim = try SensitivitySimulator(try SensitivityModel(compiled, outputs: [OutputColumn("x")]), options: options)
        let r = try sim.simulate(times: [0, .infinity], outputs: [0], inputs: [:], directions: [["c": 1], ["k": 1]])
        assertClose(r.values[1], 2, 1e-8, "x(inf)")
        assertClose(r.sensitivities[2], 1, 1e-6, "∂x/∂c at the steady state")
        assertClose(r.sensitivities[3], -0.25, 1e-6, "∂x/∂k at the steady state")
    }

    /// x' = a − k·x + piecewise(b, x > L, 0), x(0) = 0: the source switches on when x crosses
    /// L at t* = −ln(1 − L·k/a)/k; after it x = (a+b)/k + (L − (a+b)/k)·e^{−k(t − t*)}.
    func testPiecewiseSourceSwitchesOnAtTheExactCrossing() throws {
        let compiled = try CompiledModel(try Antimony.parse(Self.switchingSource))
        XCTAssertEqual(compiled.lockedAtoms.count, 1)
        let tStar = -log(1 - 0.5) / 0.5
        let times = [0, 1, tStar - 1e-3, tStar + 1e-3, 2, 4, 10]
        let x = try Simulator(compiled, options: options).simulate(times: times, outputs: [OutputColumn("x")]).column("x")!
        for (i, t) in times.enumerated() {
            let exact = t < tStar ? 2 * (1 - exp(-0.5 * t)) : 4 + (1 - 4) * exp(-0.5 * (t - tStar))
            assertClose(x[i], exact, 1e-9, "x(\(t))")
        }
    }

    /// The same switch, sensitivities: the source jumps at t*, which moves with L
    /// (dt*/dL = 1/(a − L·k) = 2), so ∂x/∂L = E·(1 + (L − X)·k·dt*/dL) = −2E after it and
    /// ∂x/∂b = (1 − E)/k, with X = (a+b)/k = 4 and E = e^{−k(t − t*)}.
    func testPiecewiseSourceSensitivitiesJumpAtTheCrossing() throws {
        let compiled = try CompiledModel(try Antimony.parse(Self.switchingSource))
        let sim = try SensitivitySimulator(try SensitivityModel(compiled, outputs: [OutputColumn("x")]), options: options)
        let tStar = 2 * log(2.0)
        let times = [1.0, 2, 4, 10]
        let r = try sim.simulate(times: times, outputs: [0], inputs: [:], directions: [["L": 1], ["b": 1]])
        for (i, t) in times.enumerated() {
            let after = t > tStar
            let e = exp(-0.5 * (t - tStar))
            assertClose(r.values[i], after ? 4 - 3 * e : 2 * (1 - exp(-0.5 * t)), 1e-9, "x(\(t))")
            assertClose(r.sensitivities[i * 2], after ? -2 * e : 0, 1e-7, "∂x/∂L at \(t)")
            assertClose(r.sensitivities[i * 2 + 1], after ? 2 * (1 - e) : 0, 1e-7, "∂x/∂b at \(t)")
        }
    }

    /// x' = min(1, 2 − x), x(0) = 0: x = t up to t = 1, then x = 2 − e^{−(t − 1)}.
    func testMinOnTheStateFollowsTheClosedForm() throws {
        let compiled = try CompiledModel(
            try Antimony.parse(
                """
                model capped
                  x = 0
                  x' = min(1, 2 - x)
                end
                """))
        XCTAssertEqual(compiled.lockedAtoms.count, 1)
        let times = [0, 0.5, 1.5, 3]
        let x = try Simulator(compiled, options: options).simulate(times: times, outputs: [OutputColumn("x")]).column("x")!
        for (i, t) in times.enumerated() {
            assertClose(x[i], t < 1 ? t : 2 - exp(-(t - 1)), 1e-9, "x(\(t))")
        }
    }

    /// A model with no comparison, max, min or abs on the state gets no flags and no root
    /// functions: its tapes and integration are those it had before locking existed.
    func testModelsWithoutBranchesAreUnchanged() throws {
        let compiled = try CompiledModel(
            try Antimony.parse(
                """
                model plain
                  compartment C = 1; species A in C; A = 3; k = 0.7; m = 2
                  J1: A -> ; k*A*max(m, 1)
                end
                """))
        XCTAssertTrue(compiled.lockedAtoms.isEmpty)
        XCTAssertNil(compiled.lockedRhsTape)
        XCTAssertTrue(compiled.rootAtoms.isEmpty)
        XCTAssertEqual(compiled.layout.flags, 0)
    }
}
