import CascadeCore
import Foundation
import XCTest

/// The options every command shares: --version, times with units, enums for formats and solvers,
/// --threads, did-you-mean for unknown ids, default files found from any folder, help texts.
final class OptionsCLITests: CLITestCase {
    /// A -> B at rate ANA12·A: A(t) = 10·exp(-0.5 t).
    func decayModel() throws -> String {
        try write(
            """
            model decay()
              compartment cell = 1
              species A in cell, B in cell
              A = 10; B = 0
              ANA12 = 0.5
              J1: A => B; ANA12*A
            end
            """, "decay.ant")
    }

    func testVersionIsTheLibrarysVersion() throws {
        let r = try CLI.run(["--version"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, CascadeVersion.string + "\n")
        XCTAssertFalse(CascadeVersion.string.isEmpty)
    }

    func testSimulateAcceptsTimesWithUnits() throws {
        let model = try decayModel()
        let seconds = try CLI.run(["simulate", model, "--start", "-86400", "--end", "7200", "--steps", "4"])
        XCTAssertEqual(seconds.status, 0, seconds.stderr)
        for (end, start) in [("2h", "-1 d"), ("120 min", "-24 hours"), ("7200 s", "-86400")] {
            let r = try CLI.run(["simulate", model, "--start", start, "--end", end, "--steps", "4"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdout, seconds.stdout, "--end \(end) --start \(start)")
        }
        let times = seconds.stdout.split(separator: "\n").dropFirst().map { Double($0.split(separator: ",")[0])! }
        XCTAssertEqual(times, [-86400, -63000, -39600, -16200, 7200])
        let fromEquals = try CLI.run(["simulate", model, "--start=-1d", "--end=2h", "--steps", "4"])
        XCTAssertEqual(fromEquals.stdout, seconds.stdout)
    }

    func testABadTimeIsRefusedWithOneSentenceNamingTheUnits() throws {
        let model = try decayModel()
        let r = try CLI.run(["simulate", model, "--end", "24 parsecs"])
        XCTAssertEqual(r.status, 2)
        let first = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
        XCTAssertTrue(first.contains("'24 parsecs' is invalid for '--end <time>'"), r.stderr)
        XCTAssertTrue(first.contains("30 min, 2 h, 3 d"), r.stderr)
        let backwards = try CLI.run(["simulate", model, "--start", "1 h", "--end", "30 min"])
        XCTAssertEqual(backwards.status, 2)
        XCTAssertTrue(backwards.stderr.hasPrefix("Error: --end (30 min) must be after --start (1 h)\n"), backwards.stderr)
    }

    func testUnknownIdsGetADidYouMean() throws {
        let model = try decayModel()
        let set = try CLI.run(["simulate", model, "--end", "1", "--set", "ANA-12=1"])
        XCTAssertEqual(set.status, 1)
        XCTAssertEqual(
            set.stderr,
            "cascade: error: \(model): --set: unknown id 'ANA-12': it is not a parameter, compartment, species or other "
                + "settable value of the model (did you mean 'ANA12'?)\n")
        let variables = try CLI.run(["simulate", model, "--end", "1", "--variables", "A,b"])
        XCTAssertEqual(variables.status, 1)
        XCTAssertTrue(variables.stderr.contains("unknown id 'b' in \(model) (did you mean 'B'?)"), variables.stderr)
        let readout = try CLI.run(["cohort", "--size", "2", "--readout", "BNDF"])
        XCTAssertEqual(readout.status, 1)
        XCTAssertTrue(readout.stderr.hasSuffix("--readout: unknown readout 'BNDF' in model 'ketamine' (did you mean 'BDNF'?)\n"), readout.stderr)
        let check = try CLI.run(["check", "--set", "kon_BDNF_TrkBB=1"])
        XCTAssertEqual(check.status, 1)
        XCTAssertTrue(check.stderr.hasSuffix("'kon_BDNF_TrkBB' is not a value of model 'ketamine' (did you mean 'kon_BDNF_TrkB'?)\n"), check.stderr)
        let nothingClose = try CLI.run(["simulate", model, "--end", "1", "--set", "kcat_far_away=1"])
        XCTAssertEqual(nothingClose.status, 1)
        XCTAssertFalse(nothingClose.stderr.contains("did you mean"), nothingClose.stderr)
    }

    func testFormatsAndSolversAreEnumsThatRefuseOtherValues() throws {
        let model = try decayModel()
        for (args, value, list) in [
            (["simulate", model, "--end", "1", "--format", "xml"], "xml", "'csv', 'tsv' or 'json'"),
            (["simulate", model, "--end", "1", "--solver", "klu"], "klu", "'automatic', 'dense' or 'sparse'"),
            (["knockouts", "--format", "html"], "html", "'table', 'json' or 'csv'"),
            (["cohort", "--format", "tsv"], "tsv", "'table', 'json' or 'csv'"),
            (["scorecard", "--format", "csv"], "csv", "'table' and 'json'"),
            (["likelihood", "problem.yaml", "--format", "csv"], "csv", "'text' and 'json'"),
        ] {
            let r = try CLI.run(args)
            XCTAssertEqual(r.status, 2, args.joined(separator: " "))
            let first = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
            XCTAssertTrue(first.contains("The value '\(value)' is invalid for '--"), r.stderr)
            XCTAssertTrue(first.contains(list), r.stderr)
        }
        let tsv = try CLI.run(["simulate", model, "--end", "1", "--steps", "1", "--format", "tsv"])
        XCTAssertEqual(tsv.status, 0, tsv.stderr)
        XCTAssertTrue(tsv.stdout.hasPrefix("time\tA\tB\n"), tsv.stdout)
    }

    func testThreadsIsOneOptionWithOneCheck() throws {
        var withThreads = 0
        for command in try subcommands() {
            let help = try CLI.run([command, "--help"])
            XCTAssertEqual(help.status, 0, command)
            guard help.stdout.contains("--threads") else { continue }
            withThreads += 1
            XCTAssertTrue(help.stdout.contains("--threads <n>           Worker threads; all cores when omitted."), "\(command): \(help.stdout)")
        }
        XCTAssertGreaterThanOrEqual(withThreads, 8)
        let r = try CLI.run(["knockouts", "--threads", "0"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.hasPrefix("Error: --threads must be at least 1, got 0"), r.stderr)
    }

    func testHelpTextsReadAsSentences() throws {
        let commands = try subcommands()
        XCTAssertTrue(Set(["simulate", "knockouts", "plan", "cohort", "scorecard", "petab", "check"]).isSubset(of: commands), "\(commands)")
        for command in commands {
            let r = try CLI.run([command, "--help"])
            XCTAssertEqual(r.status, 0, command)
            XCTAssertFalse(r.stdout.contains("). (default:"), "\(command): a default stated twice")
            // Discussion paragraphs are re-wrapped as a whole: no line ends in the middle of a
            // sentence after a hard line break (a short line followed by a lower-case word).
            let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for (a, b) in zip(lines, lines.dropFirst()) where !a.hasPrefix(" ") && !b.hasPrefix(" ") && !a.isEmpty && a.count < 50 {
                XCTAssertFalse(b.first?.isLowercase == true && !a.hasSuffix(":"), "\(command): line broken mid-sentence: '\(a)' / '\(b)'")
            }
        }
        // The example in `simulate --help` names a model that exists and runs.
        let help = try CLI.run(["simulate", "--help"]).stdout
        let example = try XCTUnwrap(help.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("cascade simulate ") })
        let args = example.split(separator: " ").dropFirst().map(String.init)
        XCTAssertTrue(FileManager.default.fileExists(atPath: CLI.repository.appendingPathComponent(args[1]).path), String(example))
        let run = try CLI.run(args + ["--steps", "2"], in: CLI.repository)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout.split(separator: "\n").count, 4)
    }

    /// Every command `cascade --help` lists.
    func subcommands() throws -> [String] {
        let help = try CLI.run(["--help"]).stdout
        let section = help.components(separatedBy: "SUBCOMMANDS:\n").last ?? ""
        return section.split(separator: "\n").compactMap { line in
            // "  name    abstract": a command starts two spaces in; continuation lines start further in.
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else { return nil }
            return String(name)
        }
    }

    func testDefaultFilesAreFoundFromAnotherFolder() throws {
        // The temporary folder is outside the repository: the defaults come from beside the binary.
        let outside = try CLI.run(["scorecard", "--format", "json"], in: dir)
        XCTAssertEqual(outside.status, 0, outside.stderr)
        let inside = try CLI.run(["scorecard", "--format", "json"], in: CLI.repository)
        XCTAssertEqual(outside.stdout, inside.stdout)
        let findings = try JSONSerialization.jsonObject(with: Data(outside.stdout.utf8)) as? [[String: Any]]
        XCTAssertGreaterThan(findings?.count ?? 0, 0)
        // A folder below the repository finds models/ above it.
        let below = try CLI.run(["scorecard", "--format", "json"], in: CLI.repository.appendingPathComponent("Sources/cascade"))
        XCTAssertEqual(below.stdout, inside.stdout, below.stderr)
        // CASCADE_MODELS names the models folder, and only it is searched.
        let env = try CLI.run(["scorecard"], in: dir, environment: ["CASCADE_MODELS": dir.path])
        XCTAssertEqual(env.status, 1)
        XCTAssertEqual(env.stderr, "cascade: error: \(dir.appendingPathComponent("ketamine.ant").path): no such file (CASCADE_MODELS is \(dir.path))\n")
        let models = CLI.repository.appendingPathComponent("models").path
        let viaEnv = try CLI.run(["scorecard", "--format", "json"], in: dir, environment: ["CASCADE_MODELS": models])
        XCTAssertEqual(viaEnv.stdout, inside.stdout, viaEnv.stderr)
    }

    func testCohortJSONAgreesWithTheCSVRanking() throws {
        let json = try CLI.run(["cohort", "--size", "6", "--seed", "3", "--format", "json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let csv = try CLI.run(["cohort", "--size", "6", "--seed", "3", "--format", "csv"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let again = try CLI.run(["cohort", "--size", "6", "--seed", "3", "--format", "json", "--threads", "1"])
        XCTAssertEqual(again.stdout, json.stdout, "the same seed gives the same bytes, whatever the threads")
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["members"] as? Int, 6)
        XCTAssertEqual(report["seed"] as? Int, 3)
        let ranking = try XCTUnwrap(report["ranking"] as? [[String: Any]])
        let rows = csv.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(ranking.count, rows.count)
        XCTAssertEqual((report["varied"] as? [Any])?.count, rows.count)
        for (entry, row) in zip(ranking, rows) {
            XCTAssertEqual(entry["rank"] as? Int, Int(row[0]))
            XCTAssertEqual(entry["parameter"] as? String, row[1])
            if let auc = entry["auc"] as? Double { XCTAssertEqual(auc, Double(row[2])!, accuracy: 1e-12 * max(1, abs(auc))) }
        }
        let predictions = try XCTUnwrap(report["predictions"] as? [[String: Any]])
        XCTAssertFalse(predictions.isEmpty)
        for p in predictions {
            if let low = p["p5"] as? Double, let median = p["median"] as? Double, let high = p["p95"] as? Double {
                XCTAssertLessThanOrEqual(low, median)
                XCTAssertLessThanOrEqual(median, high)
            }
        }
        let responders = try XCTUnwrap(report["responders"] as? [String: Any])
        XCTAssertEqual((responders["responders"] as? Int ?? 0) + (responders["non_responders"] as? Int ?? 0) <= 6, true)
    }

    func testModelCommandsRefuseOtherFilesWithOneSentence() throws {
        let yaml = CLI.repository.appendingPathComponent("models/experiments/plan.yaml").path
        for command in ["export-sbml", "info", "simulate"] {
            let r = try CLI.run(command == "simulate" ? [command, yaml, "--end", "1"] : [command, yaml])
            XCTAssertEqual(r.status, 1, command)
            XCTAssertTrue(r.stderr.hasPrefix("cascade: error: \(yaml): "), r.stderr)
            XCTAssertTrue(r.stderr.contains("a model is .ant (Antimony text) or .xml (SBML)"), r.stderr)
            XCTAssertFalse(r.stderr.contains("parse") || r.stderr.contains("syntax"), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
    }
}
