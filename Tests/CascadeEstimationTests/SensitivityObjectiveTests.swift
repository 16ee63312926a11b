import CascadeEstimation
import CascadeFormats
import CascadeSolver
import Foundation
import XCTest

/// The sensitivity-based objective against the central-difference one on a benchmark problem.
final class SensitivityObjectiveTests: XCTestCase {
    func testAgreesWithCentralDifferenceObjective() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/petab-benchmarks/Boehm_JProteomeRes2014/Boehm_JProteomeRes2014.yaml")
        guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("no petab-benchmarks") }
        let problem = try PEtabProblem(contentsOf: url)
        let options = SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14, maxSteps: 1_000_000)
        let sensitivities = try SensitivityObjective(problem: problem, options: options)
        let space = try ParameterSpace(problem.parameters, file: problem.parameterFile)
        let differences = try PEtabObjective(problem: problem, space: space, compiled: PEtabObjective.compile(problem), options: options)
        XCTAssertEqual(sensitivities.dimension, space.dimension)
        let x = space.nominal.enumerated().map { i, v in v + (i % 2 == 0 ? 0.05 : -0.05) }
        let a = sensitivities.evaluate(x, derivatives: true)
        let b = differences.evaluate(x, derivatives: true)
        XCTAssertEqual(a.value, b.value, accuracy: 1e-6 * abs(b.value))
        let ga = try XCTUnwrap(a.gradient), gb = try XCTUnwrap(b.gradient)
        let scale = gb.map(abs).max()!
        for i in ga.indices { XCTAssertEqual(ga[i], gb[i], accuracy: 1e-4 * scale, space.ids[i]) }
        let ha = try XCTUnwrap(a.hessian), hb = try XCTUnwrap(b.hessian)
        let hscale = hb.map(abs).max()!
        for i in ha.indices { XCTAssertEqual(ha[i], hb[i], accuracy: 1e-4 * hscale) }
    }
}
