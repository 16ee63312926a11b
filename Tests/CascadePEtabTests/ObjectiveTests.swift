import CascadeFormats
import CascadePEtab
import CascadeSolver
import Foundation
import XCTest

/// The objective on a problem with a closed-form solution (Fixtures/decay: A' = -k A, A(0) = A0)
/// and three observables covering normal and Laplace noise, lin, log and log10 transformations,
/// an observable parameter in a noise formula and a fixed parameter in an observable formula.
final class ObjectiveTests: XCTestCase {
    static var decay: URL { Bundle.module.url(forResource: "Fixtures/decay/decay", withExtension: "yaml")! }

    func objective(_ url: URL = decay) throws -> PEtabObjective {
        try PEtabObjective(contentsOf: url, options: SolverOptions(relativeTolerance: 1e-12, absoluteTolerance: 1e-16, maxSteps: 100_000))
    }

    /// −llh from the closed form, θ = (log10 A0, ln k, sigma, log10 scale, log10 b).
    static func closedFormNLL(_ theta: [Double]) -> Double {
        let a0 = pow(10, theta[0]), k = exp(theta[1]), sigma = theta[2], scale = pow(10, theta[3]), b = pow(10, theta[4])
        let offset = 0.1
        func a(_ t: Double) -> Double { a0 * exp(-k * t) }
        var nll = 0.0
        for (t, m) in [(1.0, 3.9), (4.0, 1.4)] {
            let r = (m - a(t)) / sigma
            nll += 0.5 * log(2 * .pi * sigma * sigma) + 0.5 * r * r
        }
        for (t, m) in [(2.0, 7.1), (5.0, 2.0)] {
            let s = 0.2 * scale
            let r = (log10(m) - log10(scale * a(t))) / s
            nll += 0.5 * log(2 * .pi * s * s) + 0.5 * r * r + log(m * log(10))
        }
        for (t, m) in [(0.0, 5.2), (3.0, 2.3)] {
            nll += log(2 * b) + abs(log(m) - log(a(t) + offset)) / b + log(m)
        }
        return nll
    }

    func testLikelihoodAndGradientMatchClosedForm() throws {
        let o = try objective()
        XCTAssertEqual(o.parameterIds, ["A0", "k", "sigma", "scale", "b"])
        for theta in [o.nominalParameters, [0.5, -1.0, 0.8, 0.1, -0.2]] {
            let e = try o.evaluate(parameters: theta, gradient: true)
            XCTAssertEqual(e.llh, -Self.closedFormNLL(theta), accuracy: 1e-8)
            let g = try XCTUnwrap(e.gradient)
            for i in theta.indices {
                let h = 1e-6
                var up = theta, down = theta
                up[i] += h
                down[i] -= h
                let expected = -(Self.closedFormNLL(up) - Self.closedFormNLL(down)) / (2 * h)
                XCTAssertEqual(g[i], expected, accuracy: 1e-6 * max(1, abs(expected)), o.parameterIds[i])
            }
            // Residual sensitivities are consistent with the normal rows' share of the gradient.
            XCTAssertEqual(e.residuals.count, 6)
            XCTAssertEqual(e.laplaceCount, 2)
        }
    }

    /// A directional check of a lin-scale parameter far from 1 needs a step relative to its
    /// value: with σ = 2e-3 (lin), moving it by the absolute step 1e-4 (5% of σ) leaves the
    /// central difference off by its truncation error, so the check cannot tell a right gradient
    /// from a wrong one; moved by 1e-4·σ, the difference matches ∇llh·v (the gradient is the
    /// closed form's, tested above). Lang_PLOSComputBiol2024's scaling factors of 1e-11 were the
    /// extreme case: an absolute step multiplied them a million-fold.
    func testRelativeDirectionsCheckSmallLinParameters() throws {
        let o = try objective()
        var theta = o.nominalParameters
        XCTAssertEqual(o.scales[2], .lin)
        theta[2] = 2e-3
        let g = try XCTUnwrap(try o.evaluate(parameters: theta, gradient: true).gradient)
        let v = [1.0, -1.0, 1.0, 1.0, -1.0]
        let relative = o.relativeDirections([v], parameters: theta)[0]
        XCTAssertEqual(relative, [1, -1, 2e-3, 1, -1])
        let fdRelative = try o.directionalDifference(parameters: theta, direction: relative, step: 1e-4)
        XCTAssertLessThan(PEtabObjective.directionalError(gradient: g, direction: relative, difference: fdRelative), 1e-6)
        let fdAbsolute = try o.directionalDifference(parameters: theta, direction: v, step: 1e-4)
        XCTAssertGreaterThan(PEtabObjective.directionalError(gradient: g, direction: v, difference: fdAbsolute), 1e-4)
    }

    // MARK: Bad input: one error naming file, line and column

    func problemCopy(_ edit: (URL) throws -> Void) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("decay-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Self.decay.deletingLastPathComponent(), to: folder)
        try edit(folder)
        return folder.appendingPathComponent("decay.yaml")
    }

    func replace(_ folder: URL, _ file: String, _ old: String, _ new: String) throws {
        let url = folder.appendingPathComponent(file)
        let text = try String(contentsOf: url, encoding: .utf8)
        XCTAssertTrue(text.contains(old))
        try text.replacingOccurrences(of: old, with: new).write(to: url, atomically: true, encoding: .utf8)
    }

    func assertError(_ url: URL, _ parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try objective(url), file: file, line: line) { error in
            let text = "\(error)"
            for p in parts { XCTAssertTrue(text.contains(p), "'\(text)' lacks '\(p)'", file: file, line: line) }
        }
    }

    func testLowerBoundAboveUpperBound() throws {
        let url = try problemCopy { try replace($0, "parameters_decay.tsv", "sigma\tlin\t0.01\t10", "sigma\tlin\t20\t10") }
        assertError(url, ["parameters_decay.tsv:4", "lowerBound", "above the upper bound"])
    }

    func testNonPositiveValueOnLogScale() throws {
        let url = try problemCopy { try replace($0, "parameters_decay.tsv", "k\tlog\t0.01", "k\tlog\t0") }
        assertError(url, ["parameters_decay.tsv:3", "lowerBound", "must be positive"])
    }

    func testMeasurementNaNOrNotANumber() throws {
        let nan = try problemCopy { try replace($0, "measurementData_decay.tsv", "c0\t4\t1.4", "c0\t4\tNaN") }
        assertError(nan, ["measurementData_decay.tsv:3", "measurement", "NaN"])
        let word = try problemCopy { try replace($0, "measurementData_decay.tsv", "c0\t4\t1.4", "c0\t4\tlow") }
        XCTAssertThrowsError(try PEtabProblem(contentsOf: word)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("measurementData_decay.tsv:3") && text.contains("'low' is not a number"), text)
        }
    }

    func testUnknownParameterIds() throws {
        let placeholder = try problemCopy { try replace($0, "measurementData_decay.tsv", "c0\t5\t2.0\tscale", "c0\t5\t2.0\tscal") }
        assertError(placeholder, ["measurementData_decay.tsv:5", "observableParameters", "unknown parameter 'scal'"])
        let formula = try problemCopy { try replace($0, "observables_decay.tsv", "A + offset", "A + ofset") }
        assertError(formula, ["observables_decay.tsv:4", "observableFormula", "unknown id 'ofset'"])
        // A parameter table given to `cascade likelihood --parameters`.
        let o = try objective()
        let table = FileManager.default.temporaryDirectory.appendingPathComponent("theta-\(UUID().uuidString).tsv")
        try "parameterId\tnominalValue\nA0\t4\nkk\t0.2\n".write(to: table, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try o.parameters(fromTable: table)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(":3") && text.contains("parameterId") && text.contains("unknown parameter 'kk'"), text)
        }
        try "parameterId\tnominalValue\nk\t-0.2\n".write(to: table, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try o.parameters(fromTable: table)) { error in
            XCTAssertTrue("\(error)".contains("nominalValue") && "\(error)".contains("must be positive"), "\(error)")
        }
    }
}

extension ObjectiveTests {
    /// For a parameter that σ does not depend on, the Fisher information's diagonal entry is
    /// Σ (∂r/∂θ)²; the matrix is symmetric.
    func testFisherInformation() throws {
        let o = try objective()
        let e = try o.evaluate(parameters: o.nominalParameters, gradient: true)
        let fim = try XCTUnwrap(e.fisherInformation)
        let dr = try XCTUnwrap(e.residualSensitivities)
        let ds = try XCTUnwrap(e.sigmaSensitivities)
        // k enters only through y, so ∂r/∂k = −h'·∂y/∂k/σ and FIM_kk = Σ (∂r/∂k)².
        let k = 1
        var expected = 0.0
        for r in 0 ..< 6 {
            XCTAssertEqual(ds[r][k], 0, accuracy: 1e-12)
            expected += dr[r][k] * dr[r][k]
        }
        XCTAssertEqual(fim[k][k], expected, accuracy: 1e-9 * max(1, expected))
        for a in 0 ..< 5 { for b in 0 ..< 5 { XCTAssertEqual(fim[a][b], fim[b][a], accuracy: 1e-12 * max(1, abs(fim[a][b]))) } }
    }
}

extension ObjectiveTests {
    /// The simulation table path (`cascade petab`) accepts observable parameters in noise
    /// formulas too, and the objective's σ and y agree with it.
    func testSimulationPlanReadsObservableParametersInNoiseFormulas() throws {
        let problem = try PEtabProblem(contentsOf: Self.decay)
        let plan = try PEtabSimulationPlan(problem)
        let result = try plan.simulate(
            try CompiledModel(plan.model),
            options: SolverOptions(relativeTolerance: 1e-12, absoluteTolerance: 1e-16), threads: 1)
        XCTAssertEqual(result.sigmas[2], 0.2 * 1.7, accuracy: 1e-12)
        let o = try objective()
        let e = try o.evaluate(parameters: o.nominalParameters)
        for r in 0 ..< 6 {
            XCTAssertEqual(e.simulations[r], result.simulations[r], accuracy: 1e-9 * max(1, abs(e.simulations[r])))
            XCTAssertEqual(e.sigmas[r], result.sigmas[r], accuracy: 1e-12)
        }
    }
}
