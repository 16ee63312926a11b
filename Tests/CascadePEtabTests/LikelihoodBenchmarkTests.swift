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
}
