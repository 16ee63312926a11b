import CascadeFormats
import CascadePEtab
import CascadeSolver
import Foundation
import XCTest

/// The PEtab log-likelihood at nominal parameters against the values published with AMICI's
/// benchmark tests (tests/benchmark_models/benchmark_models.yaml in AMICI-dev/AMICI), for the
/// problems of ../shared/petab-benchmarks that have one (Fixtures/amici-benchmark-llh.tsv). The
/// small ones run here at rtol 1e-10; the others (Beer, Chen, Isensee, Smith) are in
/// scripts/petab-llh.sh, with the whole table in docs/likelihood.md.
final class LikelihoodBenchmarkTests: XCTestCase {
    static var benchmarks: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/petab-benchmarks")
    }

    func published() throws -> [(problem: String, llh: Double, small: Bool)] {
        let url = Bundle.module.url(forResource: "Fixtures/amici-benchmark-llh", withExtension: "tsv")!
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst()
        return lines.map { line in
            let f = line.split(separator: "\t").map(String.init)
            return (f[0], Double(f[1])!, f[2] == "1")
        }
    }

    func testSmallProblemsMatchPublishedLikelihood() throws {
        guard FileManager.default.fileExists(atPath: Self.benchmarks.path) else { throw XCTSkip("no petab-benchmarks") }
        let rows = try published().filter(\.small)
        XCTAssertEqual(rows.count, 7)
        for row in rows {
            let url = Self.benchmarks.appendingPathComponent("\(row.problem)/\(row.problem).yaml")
            let objective = try PEtabObjective(
                contentsOf: url,
                options: SolverOptions(
                    relativeTolerance: 1e-10, absoluteTolerance: 1e-16,
                    maxSteps: 1_000_000))
            let e = try objective.evaluate(parameters: objective.nominalParameters)
            XCTAssertEqual(e.llh, row.llh, accuracy: 1e-3, row.problem)
        }
    }

    /// The gradient from sensitivities against central differences, away from the optimum (at the
    /// nominal parameters the gradient is near zero and differences measure mostly their own error).
    func testGradientMatchesCentralDifferences() throws {
        guard FileManager.default.fileExists(atPath: Self.benchmarks.path) else { throw XCTSkip("no petab-benchmarks") }
        for problem in ["Boehm_JProteomeRes2014", "Brannmark_JBC2010"] {
            let url = Self.benchmarks.appendingPathComponent("\(problem)/\(problem).yaml")
            let objective = try PEtabObjective(
                contentsOf: url,
                options: SolverOptions(
                    relativeTolerance: 1e-12, absoluteTolerance: 1e-16,
                    maxSteps: 1_000_000))
            let theta = objective.nominalParameters.enumerated().map { i, x in x + (i % 2 == 0 ? 0.05 : -0.04) }
            let g = try XCTUnwrap(try objective.evaluate(parameters: theta, gradient: true).gradient)
            let fd = try objective.finiteDifferenceGradient(parameters: theta, step: 1e-4)
            let (error, at) = PEtabObjective.gradientError(g, fd)
            XCTAssertLessThan(error, 1e-3, "\(problem): \(objective.parameterIds[at]) \(g[at]) vs \(fd[at])")
        }
    }

    /// The directional derivative ∇llh·v from sensitivities against central differences along
    /// seeded random ±1 directions (what `cascade likelihood --check-directions` runs on problems
    /// too large for per-parameter differences), and the seeded subsets are reproducible.
    func testDirectionalDerivativeMatchesCentralDifferences() throws {
        guard FileManager.default.fileExists(atPath: Self.benchmarks.path) else { throw XCTSkip("no petab-benchmarks") }
        let url = Self.benchmarks.appendingPathComponent("Boehm_JProteomeRes2014/Boehm_JProteomeRes2014.yaml")
        let objective = try PEtabObjective(
            contentsOf: url, options: SolverOptions(relativeTolerance: 1e-12, absoluteTolerance: 1e-16, maxSteps: 1_000_000))
        let theta = objective.nominalParameters.enumerated().map { i, x in x + (i % 2 == 0 ? 0.05 : -0.04) }
        let g = try XCTUnwrap(try objective.evaluate(parameters: theta, gradient: true).gradient)
        let directions = PEtabObjective.randomDirections(count: 3, dimension: g.count, seed: 7)
        XCTAssertEqual(directions, PEtabObjective.randomDirections(count: 3, dimension: g.count, seed: 7))
        XCTAssertNotEqual(directions[0], directions[1])
        for v in directions {
            XCTAssertTrue(v.allSatisfy { $0 == 1 || $0 == -1 })
            let fd = try objective.directionalDifference(parameters: theta, direction: v, step: 1e-4)
            XCTAssertLessThan(PEtabObjective.directionalError(gradient: g, direction: v, difference: fd), 1e-4)
        }
        // A wrong gradient is caught: one entry off by 10% of the largest.
        var wrong = g
        let k = g.indices.max { abs(g[$0]) < abs(g[$1]) }!
        wrong[k] *= 1.1
        let v = directions[0]
        let fd = try objective.directionalDifference(parameters: theta, direction: v, step: 1e-4)
        XCTAssertGreaterThan(PEtabObjective.directionalError(gradient: wrong, direction: v, difference: fd), 1e-3)
        let subset = PEtabObjective.randomSubset(count: 4, of: 9, seed: 3)
        XCTAssertEqual(subset, PEtabObjective.randomSubset(count: 4, of: 9, seed: 3))
        XCTAssertEqual(subset.count, 4)
        XCTAssertEqual(Set(subset).count, 4)
        XCTAssertEqual(subset, subset.sorted())
        XCTAssertEqual(PEtabObjective.randomSubset(count: 12, of: 9, seed: 3), Array(0 ..< 9))
    }

    /// The sensitivity simulator on Cascade's optimised vector operations and dense LU gives the
    /// same llh and gradient, bit for bit, as on SUNDIALS' stock ones.
    func testOptimisedKernelsGiveIdenticalGradients() throws {
        guard FileManager.default.fileExists(atPath: Self.benchmarks.path) else { throw XCTSkip("no petab-benchmarks") }
        for problem in ["Boehm_JProteomeRes2014", "Brannmark_JBC2010"] {
            let url = Self.benchmarks.appendingPathComponent("\(problem)/\(problem).yaml")
            var results: [PEtabEvaluation] = []
            for kernels in [SolverOptions.Kernels.optimised, .stock] {
                var options = SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14, maxSteps: 1_000_000)
                options.kernels = kernels
                let objective = try PEtabObjective(contentsOf: url, options: options)
                results.append(try objective.evaluate(parameters: objective.nominalParameters, gradient: true, threads: 1))
            }
            XCTAssertEqual(results[0].llh, results[1].llh, problem)
            XCTAssertEqual(try XCTUnwrap(results[0].gradient), try XCTUnwrap(results[1].gradient), problem)
        }
    }
}
