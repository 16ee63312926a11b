import CascadeEstimation
import CascadeFormats
import CascadeSolver
import Foundation
import XCTest

/// Small PEtab problems whose posteriors are known without sampling.
enum SamplingProblems {
    /// Writes a one-observable problem (observable A, σ given) and returns it.
    static func problem(sbml: String, sigma: Double, data: [(Double, Double)], parameters: String) throws -> EstimationProblem {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sampling-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func put(_ text: String, _ name: String) throws { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        try put(sbml, "model.xml")
        try put("conditionId\nc0\n", "conditions.tsv")
        try put("observableId\tobservableFormula\tnoiseFormula\nobs_A\tA\t\(sigma)\n", "observables.tsv")
        try put(
            "observableId\tsimulationConditionId\ttime\tmeasurement\n" + data.map { "obs_A\tc0\t\($0.0)\t\(String(format: "%.17g", $0.1))\n" }.joined(),
            "measurements.tsv")
        try put("parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate\n" + parameters, "parameters.tsv")
        try put(
            """
            format_version: 1
            parameter_file: parameters.tsv
            problems:
              - sbml_files: [model.xml]
                condition_files: [conditions.tsv]
                observable_files: [observables.tsv]
                measurement_files: [measurements.tsv]

            """, "problem.yaml")
        return try EstimationProblem(
            contentsOf: dir.appendingPathComponent("problem.yaml"), options: SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-12))
    }

    /// The line problem with a third parameter c (log10 scale, bounds 0.01 and 100) that nothing
    /// depends on: its posterior is uniform on [−2, 2] in log10 c.
    static func lineWithFlatParameter() throws -> EstimationProblem {
        let sbml = LineProblem.sbml.replacingOccurrences(
            of: "<parameter id=\"b\" value=\"1\" constant=\"true\"/>",
            with: "<parameter id=\"b\" value=\"1\" constant=\"true\"/><parameter id=\"c\" value=\"1\" constant=\"true\"/>")
        return try problem(
            sbml: sbml, sigma: LineProblem.sigma, data: Array(zip(LineProblem.times, LineProblem.data)),
            parameters: "a\tlin\t0\t10\t1\t1\nb\tlin\t-5\t5\t0\t1\nc\tlog10\t0.01\t100\t1\t1\n")
    }

    /// A(t) = a²·t (A(0) = 0, dA/dt = a²) observed at t = 1..5 with σ = 1, data from a = 1: the
    /// posterior of a on [−2, 2] has two mirror-image modes at ±1 (SD ≈ 0.07) separated by a
    /// barrier of 27.5 log-likelihood units at a = 0, so half its mass lies on each side.
    static func mirrored() throws -> EstimationProblem {
        let sbml = LineProblem.sbml
            .replacingOccurrences(of: "initialConcentration=\"1\"", with: "initialConcentration=\"0\"")
            .replacingOccurrences(
                of:
                    "<listOfInitialAssignments><initialAssignment symbol=\"A\"><math xmlns=\"http://www.w3.org/1998/Math/MathML\"><ci>a</ci></math></initialAssignment></listOfInitialAssignments>",
                with: ""
            )
            .replacingOccurrences(
                of: "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><ci>b</ci></math></kineticLaw>",
                with: "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><apply><times/><ci>a</ci><ci>a</ci></apply></math></kineticLaw>")
        return try problem(sbml: sbml, sigma: 1, data: (1 ... 5).map { (Double($0), Double($0)) }, parameters: "a\tlin\t-2\t2\t1\t1\n")
    }
}

final class PosteriorSamplingTests: XCTestCase {
    func settings(chains: Int = 4, samples: Int, seed: UInt64 = 1, threads: Int = 2) -> SamplerSettings {
        var s = SamplerSettings()
        s.chains = chains
        s.samples = samples
        s.seed = seed
        s.threads = threads
        return s
    }

    // MARK: - Diagnostics against known values

    /// Independent normal draws: ESS ≈ the number of draws and R̂ ≈ 1; an AR(1) chain with
    /// coefficient φ: ESS ≈ N(1 − φ)/(1 + φ); chains around different means: R̂ well above 1.1.
    func testDiagnosticsOnProcessesWithKnownAutocorrelation() throws {
        var rng = SplitMix64(seed: 42)
        func normal() -> Double {
            let u1 = 1 - rng.unit(), u2 = rng.unit()
            return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        }
        let iid = (0 ..< 4).map { _ in (0 ..< 2000).map { _ in normal() } }
        let essIID = try XCTUnwrap(ChainDiagnostics.bulkESS(iid))
        XCTAssertEqual(essIID / 8000, 1, accuracy: 0.12)
        XCTAssertLessThan(try XCTUnwrap(ChainDiagnostics.rankNormalizedRhat(iid)), 1.01)
        let phi = 0.9
        let ar = (0 ..< 4).map { _ -> [Double] in
            var x = normal() / (1 - phi * phi).squareRoot()
            return (0 ..< 5000).map { _ in
                x = phi * x + normal()
                return x
            }
        }
        let essAR = try XCTUnwrap(ChainDiagnostics.effectiveSize(ar))
        let expected = 20000 * (1 - phi) / (1 + phi)
        XCTAssertEqual(essAR / expected, 1, accuracy: 0.25, "ESS \(essAR) against \(expected)")
        let shifted = iid.enumerated().map { k, c in c.map { $0 + (k == 0 ? 1.5 : 0) } }
        XCTAssertGreaterThan(try XCTUnwrap(ChainDiagnostics.rankNormalizedRhat(shifted)), 1.1)
        // A chain that drifts for its first fifth then settles: Geweke's burn-in is found past
        // the drift, and a chain that drifts throughout fails.
        let settled = (0 ..< 2000).map { i in [(i < 400 ? 5 * Double(400 - i) / 400 : 0) + 0.3 * normal()] }
        let burn = try XCTUnwrap(ChainDiagnostics.gewekeBurnIn(settled))
        XCTAssertGreaterThanOrEqual(burn, 300)
        XCTAssertLessThanOrEqual(burn, 1000)
        let drifting = (0 ..< 2000).map { i in [Double(i) / 100 + 0.3 * normal()] }
        XCTAssertNil(ChainDiagnostics.gewekeBurnIn(drifting))
        XCTAssertEqual(ChainDiagnostics.normalQuantile(0.975), 1.959963984540054, accuracy: 1e-12)
        XCTAssertEqual(ChainDiagnostics.normalQuantile(0.001), -3.090232306167813, accuracy: 1e-12)
    }

    // MARK: - Posteriors known in closed form

    /// The line problem's posterior is N(θ̂, σ²(JᵀJ)⁻¹): the chains' means, SDs and correlation
    /// agree within Monte Carlo error (set by each parameter's ESS), and R̂ < 1.05.
    func testAdaptiveMetropolisRecoversTheLinearGaussianPosterior() throws {
        let problem = try LineProblem.problem()
        let exact = LineProblem.analytic
        let outcome = try PosteriorSampling.run(
            space: problem.space, best: [exact.a, exact.b], settings: settings(samples: 8000), makeObjective: { problem.objective() })
        let summary = PosteriorSampling.summary(outcome, problem: "line", ensembleSize: 50)
        XCTAssertEqual(summary.failed_simulations, 0)
        let means = [exact.a, exact.b], sds = [exact.sa, exact.sb]
        for (i, p) in summary.parameters.enumerated() {
            let ess = try XCTUnwrap(p.ess_bulk)
            XCTAssertGreaterThan(ess, 400, "parameter \(p.id)")
            XCTAssertLessThan(try XCTUnwrap(p.rhat), 1.05, "parameter \(p.id)")
            // 4 Monte Carlo standard errors: SD/√ESS for the mean, SD·√(1/(2 ESS)) for the SD.
            XCTAssertEqual(p.mean_on_scale, means[i], accuracy: 4 * sds[i] / ess.squareRoot(), "mean of \(p.id)")
            XCTAssertEqual(p.sd_on_scale, sds[i], accuracy: 4 * sds[i] / (2 * ess).squareRoot(), "SD of \(p.id)")
            // The 95% interval: θ̂ ± 1.96 SD.
            XCTAssertEqual(p.q025, means[i] - 1.959964 * sds[i], accuracy: 0.15 * sds[i])
            XCTAssertEqual(p.q975, means[i] + 1.959964 * sds[i], accuracy: 0.15 * sds[i])
        }
        let post = outcome.postBurnIn.flatMap { $0 }
        let ma = post.map { $0.x[0] }.reduce(0, +) / Double(post.count), mb = post.map { $0.x[1] }.reduce(0, +) / Double(post.count)
        let cov = post.reduce(0) { $0 + ($1.x[0] - ma) * ($1.x[1] - mb) } / Double(post.count - 1)
        // The correlation's standard error is about (1 − ρ²)/√ESS, with the ESS of the
        // standardised cross products (they mix more slowly than either margin).
        let products = outcome.postBurnIn.map { c in c.map { ($0.x[0] - ma) / exact.sa * ($0.x[1] - mb) / exact.sb } }
        let essProduct = try XCTUnwrap(ChainDiagnostics.effectiveSize(products))
        let correlation = cov / (summary.parameters[0].sd_on_scale * summary.parameters[1].sd_on_scale)
        XCTAssertEqual(correlation, exact.rho, accuracy: 4 * (1 - exact.rho * exact.rho) / essProduct.squareRoot())
        // The scale adapted towards 23.4% acceptance (frozen after the adaptation iterations).
        for c in summary.chain_details { XCTAssertEqual(c.acceptance_rate, 0.234, accuracy: 0.12) }
    }

    /// A parameter the data do not inform fills its bounds uniformly on its scale (one-sample
    /// Kolmogorov-Smirnov distance below its 1% critical value for the ESS), and the others keep
    /// their Gaussian posterior; proposals beyond the bounds are rejected and counted.
    func testUninformedParameterFillsItsBoundsUniformly() throws {
        let problem = try SamplingProblems.lineWithFlatParameter()
        let exact = LineProblem.analytic
        let outcome = try PosteriorSampling.run(
            space: problem.space, best: [exact.a, exact.b, 0], settings: settings(samples: 5000, seed: 7), makeObjective: { problem.objective() })
        let summary = PosteriorSampling.summary(outcome, problem: "flat", ensembleSize: 50)
        let c = summary.parameters[2]
        let ess = try XCTUnwrap(c.ess_bulk)
        XCTAssertGreaterThan(ess, 200)
        XCTAssertLessThan(try XCTUnwrap(c.rhat), 1.05)
        let draws = outcome.postBurnIn.flatMap { $0 }.map { $0.x[2] }.sorted()
        XCTAssertGreaterThanOrEqual(draws.first!, -2)
        XCTAssertLessThanOrEqual(draws.last!, 2)
        var d = 0.0
        for (k, v) in draws.enumerated() {
            let f = (v + 2) / 4
            d = max(d, abs(Double(k + 1) / Double(draws.count) - f), abs(f - Double(k) / Double(draws.count)))
        }
        XCTAssertLessThan(d, 1.63 / ess.squareRoot(), "KS distance \(d) with ESS \(ess)")
        for (i, (mean, sd)) in [(exact.a, exact.sa), (exact.b, exact.sb)].enumerated() {
            let p = summary.parameters[i]
            XCTAssertEqual(p.mean_on_scale, mean, accuracy: 4 * sd / (try XCTUnwrap(p.ess_bulk)).squareRoot(), "mean of \(p.id)")
        }
        XCTAssertGreaterThan(summary.chain_details.reduce(0) { $0 + $1.out_of_bounds }, 0, "proposals beyond c's bounds are rejected and counted")
    }

    /// Parallel tempering, started in one mode, finds both mirror-image modes (half the mass each)
    /// and the spread within them.
    func testParallelTemperingVisitsBothModes() throws {
        let problem = try SamplingProblems.mirrored()
        var s = settings(samples: 3000, seed: 5)
        s.method = .parallelTempering
        s.temperatures = 5
        let pt = try PosteriorSampling.run(space: problem.space, best: [1], settings: s, makeObjective: { problem.objective() })
        let post = pt.postBurnIn.flatMap { $0 }
        let positive = Double(post.filter { $0.x[0] > 0 }.count) / Double(post.count)
        XCTAssertEqual(positive, 0.5, accuracy: 0.15)
        // Within each mode the spread is the mode's: |a| near 1 with SD ≈ 1/√(4·55) = 0.067.
        let magnitudes = post.map { abs($0.x[0]) }
        let m = magnitudes.reduce(0, +) / Double(magnitudes.count)
        let sd = (magnitudes.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(magnitudes.count - 1)).squareRoot()
        XCTAssertEqual(m, 1, accuracy: 0.03)
        XCTAssertEqual(sd, 1 / (4 * 55.0).squareRoot(), accuracy: 0.02)
        let summary = PosteriorSampling.summary(pt, problem: "mirrored", ensembleSize: 10)
        for c in summary.chain_details {
            let betas = try XCTUnwrap(c.inverse_temperatures)
            XCTAssertEqual(betas.first, 1)
            XCTAssertEqual(betas.count, 5)
            XCTAssertTrue(zip(betas, betas.dropFirst()).allSatisfy { $0 > $1 }, "inverse temperatures decrease: \(betas)")
        }
    }

    // MARK: - Determinism and files

    func testTheSameSeedGivesTheSameBytesWhateverTheThreads() throws {
        let problem = try LineProblem.problem()
        let best = [LineProblem.analytic.a, LineProblem.analytic.b]
        func run(_ threads: Int, seed: UInt64 = 1, method: SamplerSettings.Method = .adaptiveMetropolis) throws -> SamplerOutcome {
            var s = settings(chains: 3, samples: 300, seed: seed, threads: threads)
            s.method = method
            s.temperatures = 3
            return try PosteriorSampling.run(space: problem.space, best: best, settings: s, makeObjective: { problem.objective() })
        }
        let one = try run(1), two = try run(2), other = try run(2, seed: 2)
        XCTAssertEqual(PosteriorSampling.chainTable(one), PosteriorSampling.chainTable(two))
        XCTAssertEqual(PosteriorSampling.ensembleTable(one, size: 20), PosteriorSampling.ensembleTable(two, size: 20))
        XCTAssertNotEqual(PosteriorSampling.chainTable(one), PosteriorSampling.chainTable(other))
        XCTAssertEqual(
            PosteriorSampling.chainTable(try run(1, method: .parallelTempering)), PosteriorSampling.chainTable(try run(2, method: .parallelTempering)))
        // The chains differ from each other (their own streams).
        XCTAssertNotEqual(one.chains[0].draws.map(\.x), one.chains[1].draws.map(\.x))
        // The ensemble table: `cascade ensemble`'s header, members after the burn-in, each the
        // draw of chain.tsv's row it names.
        let rows = PosteriorSampling.chainTable(one).split(separator: "\n").dropFirst().map { $0.split(separator: "\t").map(String.init) }
        let ensemble = PosteriorSampling.ensembleTable(one, size: 20).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        XCTAssertEqual(ensemble.first, ["member", "candidate", "llh", "a", "b"])
        XCTAssertEqual(ensemble.count, 21)
        for m in ensemble.dropFirst() {
            let row = rows[Int(m[1])!]
            XCTAssertGreaterThan(Int(row[1])!, one.burnIn)
            XCTAssertEqual(m[2], row[2])
            XCTAssertEqual(Array(m[3...]), Array(row[5...]))
        }
    }

    /// --starts: the distinct rows of a table (an ensemble table here, with a repeated member)
    /// start the chains in order; a value outside the bounds is one located error.
    func testChainsStartFromTheGivenDistinctRows() throws {
        let problem = try LineProblem.problem()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("starts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let table = dir.appendingPathComponent("ensemble.tsv")
        try "member\tcandidate\tllh\ta\tb\n0\t4\t-5\t3.1\t0.35\n1\t4\t-5\t3.1\t0.35\n2\t9\t-6\t2.9\t0.42\n".write(to: table, atomically: true, encoding: .utf8)
        let starts = try PosteriorSampling.readStarts(table, space: problem.space)
        XCTAssertEqual(starts, [[3.1, 0.35], [2.9, 0.42]])
        let outcome = try PosteriorSampling.run(
            space: problem.space, best: [LineProblem.analytic.a, LineProblem.analytic.b], settings: settings(chains: 3, samples: 50), starts: starts,
            makeObjective: { problem.objective() })
        XCTAssertEqual(outcome.chains.map(\.start), [[3.1, 0.35], [2.9, 0.42], [3.1, 0.35]])
        let bad = dir.appendingPathComponent("bad.tsv")
        try "a\tb\n3\t7\n".write(to: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PosteriorSampling.readStarts(bad, space: problem.space)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("bad.tsv") && text.contains("b = 7.0 lies outside its bounds"), text)
        }
    }
}
