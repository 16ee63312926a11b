import Foundation
import XCTest

/// `cascade sample` on a two-parameter problem whose posterior is Gaussian (A(t) = a + b·t, σ = 0.5):
/// the three outputs, their formats, the same bytes for any --threads, and one clear error for
/// each kind of bad input.
final class SampleCLITests: CLITestCase {
    let sbml = """
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

    /// The problem file and a best-parameter table (nominalValue column).
    func problem() throws -> (yaml: String, best: String) {
        _ = try write(sbml, "model.xml")
        _ = try write("conditionId\nc0\n", "conditions.tsv")
        _ = try write("observableId\tobservableFormula\tnoiseFormula\nobs_A\tA\t0.5\n", "observables.tsv")
        let data = (0 ... 10).map { t in "obs_A\tc0\t\(t)\t\(3 + 0.4 * Double(t) + (t % 2 == 0 ? 0.2 : -0.2))\n" }.joined()
        _ = try write("observableId\tsimulationConditionId\ttime\tmeasurement\n" + data, "measurements.tsv")
        let parameters = "parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate\na\tlin\t0\t10\t3\t1\nb\tlin\t-5\t5\t0.4\t1\n"
        let best = try write(parameters, "parameters.tsv")
        let yaml = try write(
            """
            format_version: 1
            parameter_file: parameters.tsv
            problems:
              - sbml_files: [model.xml]
                condition_files: [conditions.tsv]
                observable_files: [observables.tsv]
                measurement_files: [measurements.tsv]

            """, "line.yaml")
        return (yaml, best)
    }

    func testSampleWritesChainEnsembleAndDiagnosticsWhateverTheThreads() throws {
        let (yaml, best) = try problem()
        func run(_ threads: String, _ name: String) throws -> (chain: String, ensemble: String, json: [String: Any]) {
            let out = dir.appendingPathComponent(name + ".tsv").path
            let r = try CLI.run([
                "sample", yaml, "--parameters", best, "--chains", "3", "--samples", "600", "--seed", "4", "--ensemble-size", "25", "--threads", threads,
                "--output", out,
            ])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("R-hat"), r.stdout)
            let chain = try String(contentsOfFile: out, encoding: .utf8)
            let ensemble = try String(contentsOfFile: dir.appendingPathComponent(name + ".ensemble.tsv").path, encoding: .utf8)
            let json = try XCTUnwrap(
                try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(name + ".json"))) as? [String: Any])
            return (chain, ensemble, json)
        }
        let one = try run("1", "one"), two = try run("2", "two")
        XCTAssertEqual(one.chain, two.chain)
        XCTAssertEqual(one.ensemble, two.ensemble)
        let chainLines = one.chain.split(separator: "\n")
        XCTAssertEqual(chainLines.first, "chain\titeration\tllh\tlogPosterior\taccepted\ta\tb")
        XCTAssertEqual(chainLines.count, 1 + 3 * 600)
        // Flat prior on [0, 10] × [−5, 5]: log posterior = llh − log 100.
        for line in chainLines.dropFirst().prefix(50) {
            let f = line.split(separator: "\t").map { Double($0)! }
            XCTAssertEqual(f[3], f[2] - log(100), accuracy: 1e-9)
            XCTAssertTrue(f.allSatisfy(\.isFinite))
        }
        let ensembleLines = one.ensemble.split(separator: "\n")
        XCTAssertEqual(ensembleLines.first, "member\tcandidate\tllh\ta\tb")
        XCTAssertEqual(ensembleLines.count, 26)
        XCTAssertEqual(one.json["chains"] as? Int, 3)
        XCTAssertEqual(one.json["failed_simulations"] as? Int, 0)
        let parameters = try XCTUnwrap(one.json["parameters"] as? [[String: Any]])
        XCTAssertEqual(parameters.map { $0["id"] as? String }, ["a", "b"])
        for p in parameters {
            XCTAssertNotNil(p["rhat"] as? Double)
            XCTAssertNotNil(p["ess_bulk"] as? Double)
            XCTAssertLessThan(try XCTUnwrap(p["q025"] as? Double), try XCTUnwrap(p["q975"] as? Double))
        }
        XCTAssertEqual(try XCTUnwrap(one.json["chain_details"] as? [[String: Any]]).count, 3)
    }

    func testBadInputGivesOneClearErrorAndNoOutput() throws {
        let (yaml, best) = try problem()
        let out = dir.appendingPathComponent("chain.tsv").path
        let missing = try CLI.run(["sample", dir.appendingPathComponent("nope.yaml").path, "--parameters", best, "--output", out])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("nope.yaml: no such file"), missing.stderr)
        let zero = try CLI.run(["sample", yaml, "--parameters", best, "--samples", "0", "--output", out])
        XCTAssertEqual(zero.status, 2)
        XCTAssertTrue(zero.stderr.contains("--samples must be at least 1"), zero.stderr)
        let burn = try CLI.run(["sample", yaml, "--parameters", best, "--samples", "100", "--burn-in", "soon", "--output", out])
        XCTAssertEqual(burn.status, 2)
        XCTAssertTrue(burn.stderr.contains("--burn-in must be auto or a number"), burn.stderr)
        let partial = try write("parameterId\tnominalValue\na\t3\n", "partial.tsv")
        let r = try CLI.run(["sample", yaml, "--parameters", partial, "--samples", "100", "--output", out])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("partial.tsv"), r.stderr)
        XCTAssertTrue(r.stderr.contains("estimated parameter 'b' is missing"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("chain.json").path))
    }
}
