import CascadeEstimation
import CascadeFormats
import CascadeSolver
import Foundation
import XCTest

/// A linear chain with constant input: → S0 → S1 → S2 →, rates v0, k1·S0, k2·S1, k3·S2.
/// Closed forms: steady state S0 = v0/k1, S1 = v0/k2, S2 = v0/k3; Jacobian eigenvalues −k1, −k2,
/// −k3; every concentration has control coefficient 1 for the input and −1 for its own
/// consumption, 0 otherwise; the input controls every flux completely (summation theorem).
/// S0(t) = (v0/k1)(1 − e^{−k1 t}) from S0(0) = 0, so ∂ln S0/∂ln k1 = −1 + k1 t e^{−k1 t}/(1 − e^{−k1 t}).
final class LocalAnalysisTests: XCTestCase {
    let text = """
        J0: -> S0; v0
        J1: S0 -> S1; k1*S0
        J2: S1 -> S2; k2*S1
        J3: S2 -> ; k3*S2
        v0 = 1.5; k1 = 2; k2 = 0.5; k3 = 4
        S0 = 0; S1 = 0; S2 = 0
        """

    func testSteadyStateStabilityAndControlCoefficients() throws {
        let model = try Antimony.parse(text)
        let options = SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14, maxSteps: 100_000)
        let r = try LocalAnalysis.steadyState(
            model, inputs: ["k2": 0.25], options: options,
            steadyOptions: SteadyStateOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14))
        let ss = Dictionary(uniqueKeysWithValues: zip(r.stateIds, r.states))
        XCTAssertEqual(try XCTUnwrap(ss["S0"]), 1.5 / 2, accuracy: 1e-8)
        XCTAssertEqual(try XCTUnwrap(ss["S1"]), 1.5 / 0.25, accuracy: 1e-7)
        XCTAssertEqual(try XCTUnwrap(ss["S2"]), 1.5 / 4, accuracy: 1e-8)
        XCTAssertTrue(r.stable)
        XCTAssertEqual(r.eigenvalues.map(\.re), [-0.25, -2, -4].sorted(by: >).map { $0 }, accuracy: 1e-12)
        for f in r.fluxes { XCTAssertEqual(f, 1.5, accuracy: 1e-7) }
        let own = ["S0": 1, "S1": 2, "S2": 3]
        for (i, id) in r.stateIds.enumerated() {
            for j in 0 ..< 4 {
                let expected: Double = j == 0 ? 1 : (j == own[id]! ? -1 : 0)
                XCTAssertEqual(r.concentrationControl[i][j], expected, accuracy: 1e-5, "\(id), J\(j)")
            }
        }
        for k in 0 ..< 4 {
            XCTAssertEqual(r.fluxControl[k].reduce(0, +), 1, accuracy: 1e-5, "summation theorem, J\(k)")
            XCTAssertEqual(r.fluxControl[k][0], 1, accuracy: 1e-5)
        }
    }

    func testUnstableSteadyStateIsReported() throws {
        // dx/dt = a·x − x³ has the steady state 0, unstable for a > 0; from x(0) = 0 it stays there.
        let model = try Antimony.parse(
            """
            J1: -> x; a*x - x^3
            a = 0.5; x = 0
            """)
        let r = try LocalAnalysis.steadyState(model, inputs: [:])
        XCTAssertEqual(r.states[0], 0, accuracy: 1e-12)
        XCTAssertFalse(r.stable)
        XCTAssertEqual(r.eigenvalues[0].re, 0.5, accuracy: 1e-12)
    }

    func testNormalisedSensitivitiesAgainstClosedForm() throws {
        let model = try Antimony.parse(text)
        let times = [0.1, 0.5, 2.0]
        let r = try LocalAnalysis.sensitivities(
            model, outputs: ["S0"], times: times, inputs: [:],
            options: SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14, maxSteps: 100_000))
        let k1 = try XCTUnwrap(r.parameters.firstIndex(of: "k1")), v0 = try XCTUnwrap(r.parameters.firstIndex(of: "v0"))
        for (ti, t) in times.enumerated() {
            let e = exp(-2 * t)
            XCTAssertEqual(r.normalised[k1][ti][0], -1 + 2 * t * e / (1 - e), accuracy: 1e-6, "t = \(t)")
            XCTAssertEqual(r.normalised[v0][ti][0], 1, accuracy: 1e-7)
        }
    }

    func testScanFollowsTheClosedForm() throws {
        let model = try Antimony.parse(text)
        let values = [0.5, 1, 4]
        let r = try LocalAnalysis.scan(model, parameter: "k1", values: values, inputs: [:])
        let s0 = try XCTUnwrap(r.stateIds.firstIndex(of: "S0"))
        for (v, row) in zip(values, r.rows) { XCTAssertEqual(try XCTUnwrap(row)[s0], 1.5 / v, accuracy: 1e-6 * 1.5 / v) }
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
