import CascadeEstimation
import CascadeFormats
import CascadeSolver
import Foundation
import XCTest

/// A PEtab problem whose likelihood is exactly Gaussian: A(t) = a + b·t (A(0) = a by an initial
/// assignment, dA/dt = b), observed at t = 0, 1, ..., 10 with σ = 0.5, parameters on the linear
/// scale. Under a flat prior the posterior is N(θ̂, (JᵀJ/σ²)⁻¹) with J's rows (1, t), and the
/// profile 95% interval of each parameter is θ̂ᵢ ± 1.959964·SDᵢ.
enum LineProblem {
    static let sigma = 0.5
    static let times = (0 ... 10).map(Double.init)
    /// Data: 3 + 0.4 t plus a fixed zig-zag, so the optimum is not the generating line.
    static var data: [Double] { times.map { 3 + 0.4 * $0 + 0.3 * (Int($0) % 3 == 0 ? 1 : Int($0) % 3 == 1 ? -1 : 0.5) } }

    /// The least-squares line and the posterior covariance.
    static var analytic: (a: Double, b: Double, sa: Double, sb: Double, rho: Double) {
        let n = Double(times.count)
        let st = times.reduce(0, +), stt = times.reduce(0) { $0 + $1 * $1 }
        let sy = data.reduce(0, +), sty = zip(times, data).reduce(0) { $0 + $1.0 * $1.1 }
        let det = n * stt - st * st
        let b = (n * sty - st * sy) / det, a = (sy - b * st) / n
        // (JᵀJ)⁻¹ σ²: [stt, −st; −st, n] σ²/det.
        let va = stt * sigma * sigma / det, vb = n * sigma * sigma / det, cab = -st * sigma * sigma / det
        return (a, b, va.squareRoot(), vb.squareRoot(), cab / (va * vb).squareRoot())
    }

    static let sbml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
          <model id="line">
            <listOfCompartments><compartment id="cell" size="1" constant="true"/></listOfCompartments>
            <listOfSpecies><species id="A" compartment="cell" initialConcentration="1" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/></listOfSpecies>
            <listOfParameters><parameter id="a" value="1" constant="true"/><parameter id="b" value="1" constant="true"/></listOfParameters>
            <listOfInitialAssignments><initialAssignment symbol="A"><math xmlns="http://www.w3.org/1998/Math/MathML"><ci>a</ci></math></initialAssignment></listOfInitialAssignments>
            <listOfReactions><reaction id="R1" reversible="false">
              <listOfProducts><speciesReference species="A" stoichiometry="1" constant="true"/></listOfProducts>
              <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML"><ci>b</ci></math></kineticLaw>
            </reaction></listOfReactions>
          </model>
        </sbml>
        """

    static func write(bUpper: Double = 5) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("line-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try sbml.write(to: dir.appendingPathComponent("model.xml"), atomically: true, encoding: .utf8)
        try "conditionId\nc0\n".write(to: dir.appendingPathComponent("conditions.tsv"), atomically: true, encoding: .utf8)
        try "observableId\tobservableFormula\tnoiseFormula\nobs_A\tA\t\(sigma)\n"
            .write(to: dir.appendingPathComponent("observables.tsv"), atomically: true, encoding: .utf8)
        var m = "observableId\tsimulationConditionId\ttime\tmeasurement\n"
        for (t, y) in zip(times, data) { m += "obs_A\tc0\t\(t)\t\(String(format: "%.17g", y))\n" }
        try m.write(to: dir.appendingPathComponent("measurements.tsv"), atomically: true, encoding: .utf8)
        let p = """
            parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate
            a\tlin\t0\t10\t1\t1
            b\tlin\t-5\t\(String(format: "%.17g", bUpper))\t0\t1

            """
        try p.write(to: dir.appendingPathComponent("parameters.tsv"), atomically: true, encoding: .utf8)
        let yaml = """
            format_version: 1
            parameter_file: parameters.tsv
            problems:
              - sbml_files: [model.xml]
                condition_files: [conditions.tsv]
                observable_files: [observables.tsv]
                measurement_files: [measurements.tsv]

            """
        let url = dir.appendingPathComponent("line.yaml")
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static func problem(bUpper: Double = 5) throws -> EstimationProblem {
        try EstimationProblem(
            contentsOf: try write(bUpper: bUpper), options: SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-12))
    }
}

final class EnsembleSamplingTests: XCTestCase {
    func settings(size: Int, candidates: Int, seed: UInt64 = 3, threads: Int = 2) -> EnsembleSettings {
        var s = EnsembleSettings()
        s.size = size
        s.candidates = candidates
        s.seed = seed
        s.threads = threads
        return s
    }

    func quantile(_ v: [Double], _ q: Double) -> Double {
        let s = v.sorted()
        let h = Double(s.count - 1) * q
        let lo = Int(h), hi = min(lo + 1, s.count - 1)
        return s[lo] + (h - Double(lo)) * (s[hi] - s[lo])
    }

    func testChiSquareQuantilesMatchTables() {
        // χ²(0.95) for 1, 2 and 12 degrees of freedom, and the 0.5 quantile for 1 (0.4549364).
        XCTAssertEqual(EnsembleSampling.chiSquareQuantile(0.95, degreesOfFreedom: 1), 3.841458820694124, accuracy: 1e-9)
        XCTAssertEqual(EnsembleSampling.chiSquareQuantile(0.95, degreesOfFreedom: 2), 5.991464547107979, accuracy: 1e-9)
        XCTAssertEqual(EnsembleSampling.chiSquareQuantile(0.95, degreesOfFreedom: 12), 21.02606981748307, accuracy: 1e-8)
        XCTAssertEqual(EnsembleSampling.chiSquareQuantile(0.5, degreesOfFreedom: 1), 0.454936423119573, accuracy: 1e-9)
    }

    func testSystematicResamplingGivesEachCandidateItsShare() {
        let w = [0.5, 0.25, 0.125, 0.125, 0]
        let m = EnsembleSampling.systematicResample(weights: w, count: 8, uniform: 0.3)
        XCTAssertEqual(m, [0, 0, 0, 0, 1, 1, 2, 3])
    }

    /// On the Gaussian problem the ensemble's 2.5-97.5% range of each parameter is its profile
    /// interval, both θ̂ ± 1.96 SD from the closed form; 95% of the members lie inside the joint
    /// 95% likelihood-ratio region.
    func testEnsembleSpreadMatchesProfilesOnAGaussianLikelihood() throws {
        let problem = try LineProblem.problem()
        let exact = LineProblem.analytic
        let best = [exact.a, exact.b]
        let outcome = try EnsembleSampling.run(
            space: problem.space, best: best, settings: settings(size: 4000, candidates: 8000),
            makeObjective: { problem.objective() })
        XCTAssertEqual(outcome.failures, 0)
        XCTAssertGreaterThan(outcome.effectiveSize, 0.6 * 8000, "a t proposal on a Gaussian target wastes little")
        let members = outcome.memberValues
        let sds = [exact.sa, exact.sb]
        let profiles = try Profiling.run(space: problem.space, best: best, threads: 2, makeObjective: { problem.objective() })
        for i in 0 ..< 2 {
            let v = members.map { $0[i] }
            let mean = v.reduce(0, +) / Double(v.count)
            let sd = (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count - 1)).squareRoot()
            XCTAssertEqual(mean, best[i], accuracy: 0.06 * sds[i], "mean of parameter \(i)")
            XCTAssertEqual(sd, sds[i], accuracy: 0.06 * sds[i], "SD of parameter \(i)")
            let lo = quantile(v, 0.025), hi = quantile(v, 0.975)
            XCTAssertEqual(lo, best[i] - 1.959964 * sds[i], accuracy: 0.12 * sds[i])
            XCTAssertEqual(hi, best[i] + 1.959964 * sds[i], accuracy: 0.12 * sds[i])
            let p = profiles[i]
            let pl = try XCTUnwrap(p.lower), pu = try XCTUnwrap(p.upper)
            XCTAssertEqual(pl, best[i] - 1.959964 * sds[i], accuracy: 0.02 * sds[i], "profile lower bound of parameter \(i)")
            XCTAssertEqual(pu, best[i] + 1.959964 * sds[i], accuracy: 0.02 * sds[i], "profile upper bound of parameter \(i)")
            XCTAssertEqual(lo, pl, accuracy: 0.12 * sds[i], "ensemble 2.5% vs profile lower bound, parameter \(i)")
            XCTAssertEqual(hi, pu, accuracy: 0.12 * sds[i], "ensemble 97.5% vs profile upper bound, parameter \(i)")
        }
        // The correlation of a and b.
        let ma = members.map { $0[0] }.reduce(0, +) / Double(members.count), mb = members.map { $0[1] }.reduce(0, +) / Double(members.count)
        let cov = members.reduce(0) { $0 + ($1[0] - ma) * ($1[1] - mb) } / Double(members.count - 1)
        XCTAssertEqual(cov / (exact.sa * exact.sb), exact.rho, accuracy: 0.04)
        // 2 (llh_best − llh) ~ χ²₂: 95% of the members inside the joint region.
        let summary = EnsembleSampling.summary(outcome, problem: "line")
        XCTAssertEqual(summary.joint_threshold, 5.991464547107979 / 2, accuracy: 1e-9)
        XCTAssertEqual(Double(summary.members_in_joint_region) / 4000, 0.95, accuracy: 0.015)
        // No candidate beats the closed-form optimum by more than the integrator's error.
        XCTAssertLessThanOrEqual(outcome.candidates.map(\.llh).max()!, summary.best_llh + 1e-3)
    }

    /// With b's upper bound at its optimum, b's posterior is the normal truncated at its mean:
    /// median θ̂_b − 0.6745 SD_b, 5% quantile θ̂_b − 1.9600 SD_b; the weights must correct the
    /// half of the proposal that the bound cuts off and the t's tails.
    func testTruncationAtABoundIsCorrected() throws {
        let exact = LineProblem.analytic
        let problem = try LineProblem.problem(bUpper: exact.b)
        let outcome = try EnsembleSampling.run(
            space: problem.space, best: [exact.a, exact.b], settings: settings(size: 4000, candidates: 8000, seed: 11),
            makeObjective: { problem.objective() })
        let b = outcome.memberValues.map { $0[1] }
        XCTAssertLessThanOrEqual(b.max()!, exact.b)
        XCTAssertEqual(quantile(b, 0.5), exact.b - 0.674490 * exact.sb, accuracy: 0.06 * exact.sb)
        XCTAssertEqual(quantile(b, 0.05), exact.b - 1.959964 * exact.sb, accuracy: 0.12 * exact.sb)
    }

    func testTheSameSeedGivesTheSameBytesWhateverTheThreads() throws {
        let problem = try LineProblem.problem()
        let best = [LineProblem.analytic.a, LineProblem.analytic.b]
        let one = try EnsembleSampling.run(
            space: problem.space, best: best, settings: settings(size: 20, candidates: 60, threads: 1), makeObjective: { problem.objective() })
        let two = try EnsembleSampling.run(
            space: problem.space, best: best, settings: settings(size: 20, candidates: 60, threads: 2), makeObjective: { problem.objective() })
        let other = try EnsembleSampling.run(
            space: problem.space, best: best, settings: settings(size: 20, candidates: 60, seed: 4), makeObjective: { problem.objective() })
        XCTAssertEqual(EnsembleSampling.table(one), EnsembleSampling.table(two))
        XCTAssertNotEqual(EnsembleSampling.table(one), EnsembleSampling.table(other))
        let lines = EnsembleSampling.table(one).split(separator: "\n")
        XCTAssertEqual(lines.first, "member\tcandidate\tllh\ta\tb")
        XCTAssertEqual(lines.count, 21)
    }
}
