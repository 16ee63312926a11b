import CascadeCore
import CascadeFormats
import CascadeSolver
import Foundation
import XCTest

/// Forward sensitivities against closed-form derivatives.
final class SensitivityTests: XCTestCase {
    func simulator(_ antimony: String, outputs: [String], rtol: Double = 1e-10) throws -> SensitivitySimulator {
        let compiled = try CompiledModel(try Antimony.parse(antimony))
        let model = try SensitivityModel(compiled, outputs: outputs.map { OutputColumn($0) })
        return try SensitivitySimulator(model, options: SolverOptions(relativeTolerance: rtol, absoluteTolerance: 1e-14))
    }

    func assertClose(_ a: Double, _ b: Double, _ tolerance: Double = 1e-6, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThanOrEqual(abs(a - b), tolerance * max(1, abs(b)), "\(what): \(a) vs \(b)", file: file, line: line)
    }

    /// A' = -k A, A(0) = A0: dA/dk = -t A0 e^{-kt}, dA/dA0 = e^{-kt}.
    func testFirstOrderDecay() throws {
        let sim = try simulator(
            """
            model decay
              compartment C = 1; species A in C; A = 3; k = 0.7
              J1: A -> ; k*A
            end
            """, outputs: ["A"])
        let times = [0.0, 0.5, 1, 2, 5]
        let r = try sim.simulate(times: times, outputs: [0], inputs: [:], directions: [["k": 1], ["A": 1]])
        for (i, t) in times.enumerated() {
            let e = exp(-0.7 * t)
            assertClose(r.values[i], 3 * e, 1e-8, "A(\(t))")
            assertClose(r.sensitivities[i * 2], -t * 3 * e, 1e-6, "dA/dk at \(t)")
            assertClose(r.sensitivities[i * 2 + 1], e, 1e-6, "dA/dA0 at \(t)")
        }
    }

    /// A bolus D at time tb (a parameter): for t > tb, A = A0 e^{-kt} + D e^{-k(t-tb)}, so
    /// dA/dtb = k D e^{-k(t-tb)}: the jump of the sensitivity at an event whose time moves with θ.
    func testBolusEvent() throws {
        let sim = try simulator(
            """
            model bolus
              compartment C = 1; species A in C; A = 2; k = 0.5; D = 4; tb = 1.5
              J1: A -> ; k*A
              E1: at time >= tb: A = A + D
            end
            """, outputs: ["A"])
        let times = [1.0, 2.0, 3.0, 6.0]
        let r = try sim.simulate(times: times, outputs: [0], inputs: [:], directions: [["tb": 1], ["D": 1], ["k": 1]])
        for (i, t) in times.enumerated() {
            let a0 = 2 * exp(-0.5 * t)
            let after = t > 1.5
            let bolus = after ? 4 * exp(-0.5 * (t - 1.5)) : 0
            assertClose(r.values[i], a0 + bolus, 1e-8, "A(\(t))")
            assertClose(r.sensitivities[i * 3], after ? 0.5 * bolus : 0, 1e-6, "dA/dtb at \(t)")
            assertClose(r.sensitivities[i * 3 + 1], after ? bolus / 4 : 0, 1e-6, "dA/dD at \(t)")
            assertClose(r.sensitivities[i * 3 + 2], -t * a0 - (after ? (t - 1.5) * bolus : 0), 1e-6, "dA/dk at \(t)")
        }
    }

    /// A' = p - k A pre-equilibrated under p = p1 (A = p1/k), then simulated under p = p2:
    /// A(t) = p2/k + (p1 - p2)/k e^{-kt}; at t = inf, A = p2/k. Steady-state sensitivities come
    /// from the implicit function theorem.
    func testPreequilibratedSteadyState() throws {
        let sim = try simulator(
            """
            model production
              compartment C = 1; species A in C; A = 0; p = 1; k = 0.4
              J1: -> A; p
              J2: A -> ; k*A
            end
            """, outputs: ["A"])
        let p1 = 2.0, p2 = 5.0, k = 0.4
        let times = [0.0, 1, 3, .infinity]
        // Directions: p1 (pre-equilibration only), p2 (simulation only), k (both).
        let r = try sim.simulate(
            times: times, outputs: [0], inputs: ["p": p2], directions: [[:], ["p": 1], ["k": 1]],
            preequilibration: SensitivityPreequilibration(inputs: ["p": p1], directions: [["p": 1], [:], ["k": 1]]))
        for (i, t) in times.enumerated() {
            let e = t.isFinite ? exp(-k * t) : 0
            let a = p2 / k + (p1 - p2) / k * e
            let dp1 = e / k
            let dp2 = (1 - e) / k
            let dk = -p2 / (k * k) - (p1 - p2) / (k * k) * e - (t.isFinite ? t * (p1 - p2) / k * e : 0)
            assertClose(r.values[i], a, 1e-7, "A(\(t))")
            assertClose(r.sensitivities[i * 3], dp1, 1e-5, "dA/dp1 at \(t)")
            assertClose(r.sensitivities[i * 3 + 1], dp2, 1e-5, "dA/dp2 at \(t)")
            assertClose(r.sensitivities[i * 3 + 2], dk, 1e-5, "dA/dk at \(t)")
        }
    }

    /// A conserved total: A <-> B with A + B = T from the initial values. At steady state
    /// B = T k1/(k1 + k2); dB/dA0 = k1/(k1 + k2) through the conservation law.
    func testSteadyStateWithConservationLaw() throws {
        let sim = try simulator(
            """
            model exchange
              compartment C = 1; species A in C, B in C; A = 3; B = 1; k1 = 0.3; k2 = 0.7
              J1: A -> B; k1*A
              J2: B -> A; k2*B
            end
            """, outputs: ["B"])
        let r = try sim.simulate(times: [.infinity], outputs: [0], inputs: [:], directions: [["A": 1], ["k1": 1]])
        assertClose(r.values[0], 4 * 0.3, 1e-7, "B(inf)")
        assertClose(r.sensitivities[0], 0.3, 1e-6, "dB/dA0")
        assertClose(r.sensitivities[1], 4 * 0.7, 1e-6, "dB/dk1")
    }

    /// x' = y' = -k x y as rate rules (no conservation law is known for them, so the Jacobian at
    /// the steady state is singular): the sensitivities are integrated to steady state instead.
    /// From x0 > y0, x -> x0 - y0: dx/dx0 = 1, dx/dy0 = -1, dx/dk = 0.
    func testSingularSteadyStateIntegratesSensitivities() throws {
        let sim = try simulator(
            """
            model pair
              x = 3; y = 1; k = 0.8
              x' = -k*x*y
              y' = -k*x*y
            end
            """, outputs: ["x"])
        let r = try sim.simulate(
            times: [0], outputs: [0], inputs: [:], directions: [["x": 1], ["y": 1], ["k": 1]],
            preequilibration: SensitivityPreequilibration(inputs: [:], directions: [["x": 1], ["y": 1], ["k": 1]]))
        assertClose(r.values[0], 2, 1e-6, "x at steady state")
        assertClose(r.sensitivities[0], 1, 1e-5, "dx/dx0")
        assertClose(r.sensitivities[1], -1, 1e-5, "dx/dy0")
        assertClose(r.sensitivities[2], 0, 1e-5, "dx/dk")
    }
}
