import CascadeEstimation
import CascadeFormats
import CascadeSolver
import Foundation
import XCTest

/// A PEtab problem written to a temporary folder: first-order decay dA/dt = −k·A with A(0) = A0
/// (an initial assignment), observed directly with σ = 0.1, measured without noise at
/// t = 0, 1, ..., 10 from k = 0.3 and A0 = 2. The maximum-likelihood estimate is therefore the
/// generating (k, A0), where every residual vanishes and llh = −11·½·log(2π·0.01).
enum DecayProblem {
    static let trueK = 0.3, trueA0 = 2.0
    static var optimumLLH: Double { -11 * 0.5 * log(2 * Double.pi * 0.01) }

    static let sbml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
          <model id="decay">
            <listOfCompartments><compartment id="cell" size="1" constant="true"/></listOfCompartments>
            <listOfSpecies><species id="A" compartment="cell" initialConcentration="1" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/></listOfSpecies>
            <listOfParameters><parameter id="k" value="0.1" constant="true"/><parameter id="A0" value="1" constant="true"/></listOfParameters>
            <listOfInitialAssignments><initialAssignment symbol="A"><math xmlns="http://www.w3.org/1998/Math/MathML"><ci>A0</ci></math></initialAssignment></listOfInitialAssignments>
            <listOfReactions><reaction id="R1" reversible="false">
              <listOfReactants><speciesReference species="A" stoichiometry="1" constant="true"/></listOfReactants>
              <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/><ci>k</ci><ci>A</ci><ci>cell</ci></apply></math></kineticLaw>
            </reaction></listOfReactions>
          </model>
        </sbml>
        """

    static let parameters = """
        parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate
        k\tlog10\t0.001\t10\t1\t1
        A0\tlog10\t0.01\t100\t1\t1

        """

    /// Writes the problem (with `parameterTable` in place of the default one) and returns its YAML.
    static func write(parameterTable: String = parameters) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("decay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try sbml.write(to: dir.appendingPathComponent("model.xml"), atomically: true, encoding: .utf8)
        try "conditionId\nc0\n".write(to: dir.appendingPathComponent("conditions.tsv"), atomically: true, encoding: .utf8)
        try "observableId\tobservableFormula\tnoiseFormula\nobs_A\tA\t0.1\n"
            .write(to: dir.appendingPathComponent("observables.tsv"), atomically: true, encoding: .utf8)
        var m = "observableId\tsimulationConditionId\ttime\tmeasurement\n"
        for t in 0 ... 10 { m += "obs_A\tc0\t\(t)\t\(String(format: "%.17g", trueA0 * exp(-trueK * Double(t))))\n" }
        try m.write(to: dir.appendingPathComponent("measurements.tsv"), atomically: true, encoding: .utf8)
        try parameterTable.write(to: dir.appendingPathComponent("parameters.tsv"), atomically: true, encoding: .utf8)
        let yaml = """
            format_version: 1
            parameter_file: parameters.tsv
            problems:
              - sbml_files: [model.xml]
                condition_files: [conditions.tsv]
                observable_files: [observables.tsv]
                measurement_files: [measurements.tsv]

            """
        let url = dir.appendingPathComponent("decay.yaml")
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}

final class FitTests: XCTestCase {
    func settings(starts: Int, threads: Int = 2) -> FitSettings {
        var s = FitSettings()
        s.starts = starts
        s.seed = 7
        s.threads = threads
        return s
    }

    func testFitRecoversTheClosedFormOptimum() throws {
        let problem = try EstimationProblem(contentsOf: try DecayProblem.write())
        let outcome = try Fitting.run(problem, settings: settings(starts: 4))
        let best = try XCTUnwrap(outcome.best)
        let values = best.linearValues(problem.space)
        XCTAssertEqual(values[0], DecayProblem.trueK, accuracy: 1e-5 * DecayProblem.trueK)
        XCTAssertEqual(values[1], DecayProblem.trueA0, accuracy: 1e-5 * DecayProblem.trueA0)
        XCTAssertEqual(try XCTUnwrap(outcome.summary.best_llh), DecayProblem.optimumLLH, accuracy: 1e-6)
        XCTAssertGreaterThanOrEqual(outcome.summary.at_best, 2)
        // The nominal values (k = 1, A0 = 1) fit worse.
        XCTAssertLessThan(try XCTUnwrap(outcome.summary.nominal_llh), DecayProblem.optimumLLH - 1)
    }

    func testShardsMergeToTheUnshardedFit() throws {
        let url = try DecayProblem.write()
        let problem = try EstimationProblem(contentsOf: url)
        let root = url.deletingLastPathComponent()
        let whole = try Fitting.run(problem, settings: settings(starts: 5, threads: 2))
        try Fitting.write(whole, problem: problem, to: root.appendingPathComponent("whole"))
        var shardDirectories: [URL] = []
        for i in 0 ..< 2 {
            var s = settings(starts: 5, threads: 1)
            s.shard = (i, 2)
            let part = try Fitting.run(problem, settings: s)
            XCTAssertEqual(part.results.map(\.index).sorted(), MultiStart.shard(count: 5, index: i, of: 2))
            let d = root.appendingPathComponent("shard\(i)")
            try Fitting.write(part, problem: problem, to: d)
            shardDirectories.append(d)
        }
        let merged = try Fitting.merge(shardDirectories.reversed(), problem: problem)
        try Fitting.write(merged, problem: problem, to: root.appendingPathComponent("merged"))
        func read(_ dir: String, _ file: String) throws -> String {
            try String(contentsOf: root.appendingPathComponent(dir).appendingPathComponent(file), encoding: .utf8)
        }
        // Every column but seconds (wall time) is identical.
        func withoutSeconds(_ text: String) -> [String] {
            text.split(separator: "\n").map { line in
                var f = line.split(separator: "\t", omittingEmptySubsequences: false)
                f.remove(at: 4)
                return f.joined(separator: "\t")
            }
        }
        XCTAssertEqual(withoutSeconds(try read("whole", FitFiles.startsFile)), withoutSeconds(try read("merged", FitFiles.startsFile)))
        XCTAssertEqual(try read("whole", FitFiles.parametersFile), try read("merged", FitFiles.parametersFile))
        XCTAssertEqual(merged.summary.best_llh, whole.summary.best_llh)
        XCTAssertEqual(merged.summary.converged, whole.summary.converged)
        // A missing shard is named.
        XCTAssertThrowsError(try Fitting.merge([shardDirectories[0]], problem: problem)) { e in
            XCTAssertTrue("\(e)".contains("1/2 missing"), "\(e)")
        }
    }

    func testResumeKeepsFinishedStartsAndRefusesOtherSettings() throws {
        let url = try DecayProblem.write()
        let problem = try EstimationProblem(contentsOf: url)
        let checkpoint = url.deletingLastPathComponent().appendingPathComponent(FitFiles.checkpointFile)
        let first = try Fitting.run(problem, settings: settings(starts: 3), checkpoint: checkpoint)
        // Keep two finished starts in the checkpoint, marking one so we can tell it was reused.
        var lines = try String(contentsOf: checkpoint, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2 + 3)
        lines = Array(lines.prefix(4))
        var marked = lines[3].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        let markedStart = Int(marked[0])!
        marked[2] = "12345"
        lines[3] = marked.joined(separator: "\t")
        try (lines.joined(separator: "\n") + "\n").write(to: checkpoint, atomically: true, encoding: .utf8)
        let resumed = try Fitting.run(problem, settings: settings(starts: 3), checkpoint: checkpoint, resume: true)
        XCTAssertEqual(resumed.results.map(\.index).sorted(), [0, 1, 2])
        XCTAssertEqual(resumed.results.first { $0.index == markedStart }?.iterations, 12345)
        for r in first.results {
            let again = try XCTUnwrap(resumed.results.first { $0.index == r.index })
            XCTAssertEqual(again.value, r.value, accuracy: 1e-9 * abs(r.value))
        }
        // Other seed: the checkpoint does not belong to this fit.
        var other = settings(starts: 3)
        other.seed = 8
        XCTAssertThrowsError(try Fitting.run(problem, settings: other, checkpoint: checkpoint, resume: true)) { e in
            XCTAssertTrue("\(e)".contains(FitFiles.checkpointFile) && "\(e)".contains("other inputs"), "\(e)")
        }
    }

    func testLatinHypercubeIsSeededAndStratified() {
        let lower = [-3.0, 0, 10], upper = [3.0, 1, 20]
        let a = LatinHypercube.sample(count: 10, lower: lower, upper: upper, seed: 42)
        let b = LatinHypercube.sample(count: 10, lower: lower, upper: upper, seed: 42)
        let c = LatinHypercube.sample(count: 10, lower: lower, upper: upper, seed: 43)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        for j in 0 ..< 3 {
            // Exactly one sample in each of the ten strata of every coordinate.
            let strata = a.map { Int(((($0[j] - lower[j]) / (upper[j] - lower[j])) * 10).rounded(.down)) }
            XCTAssertEqual(Set(strata), Set(0 ..< 10), "coordinate \(j)")
        }
    }

    func testBadBoundsAreLocated() throws {
        let swapped = """
            parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate
            k\tlog10\t0.001\t10\t1\t1
            A0\tlin\t100\t0.01\t1\t1

            """
        XCTAssertThrowsError(try EstimationProblem(contentsOf: try DecayProblem.write(parameterTable: swapped))) { e in
            XCTAssertEqual("\(e)", "parameters.tsv:3: column 'lowerBound': parameter 'A0': the lower bound 100.0 is above the upper bound 0.01")
        }
        let nonPositive = """
            parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate
            k\tlog\t0\t10\t1\t1
            A0\tlog10\t0.01\t100\t1\t1

            """
        XCTAssertThrowsError(try EstimationProblem(contentsOf: try DecayProblem.write(parameterTable: nonPositive))) { e in
            XCTAssertEqual("\(e)", "parameters.tsv:2: column 'lowerBound': parameter 'k' is on a log scale, so its lowerBound must be positive (it is 0.0)")
        }
    }

    func testProfileIntervalsBracketTheOptimumAtTheThreshold() throws {
        let problem = try EstimationProblem(contentsOf: try DecayProblem.write())
        let best = [log10(DecayProblem.trueK), log10(DecayProblem.trueA0)]
        let profiles = try Profiling.run(space: problem.space, best: best, threads: 2, makeObjective: { problem.objective() })
        XCTAssertEqual(profiles.count, 2)
        let objective = problem.objective()
        for p in profiles {
            let lo = try XCTUnwrap(p.lower), hi = try XCTUnwrap(p.upper)
            XCTAssertLessThan(lo, best[p.index])
            XCTAssertGreaterThan(hi, best[p.index])
            // Independently: with the parameter fixed at each end, re-optimise the other from the
            // optimum; the llh there is the threshold below the best (to the profile's resolution).
            for end in [lo, hi] {
                var full = best
                full[p.index] = end
                let other = 1 - p.index
                let fixed = FixedCoordinatesObjective(objective, free: [other], full: full)
                let r = TrustRegionOptimizer().minimize(
                    fixed, from: [best[other]], lower: [problem.space.lower[other]],
                    upper: [problem.space.upper[other]])
                XCTAssertEqual(-r.value, DecayProblem.optimumLLH - Profiling.threshold, accuracy: 0.05, "\(p.id) at \(end)")
            }
        }
    }
}
