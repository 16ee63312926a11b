import Foundation
import XCTest

/// `cascade scorecard --ensemble`: on a model whose effects are known in closed form, the share
/// of members reproducing each finding and check is counted by hand; without --ensemble the
/// output is unchanged; bad ensemble and mapping files give one located error.
final class ScorecardEnsembleCLITests: CLITestCase {
    /// With k = 1/s the states sit at their steady states within seconds: after 1 µM for an hour,
    /// A = 1 + g and B = 1 − h (relative changes +g and −h against vehicle). C blows up at
    /// t = 1/q after the start when q > 0.
    let model = """
        model tiny()
          A = 1; B = 1; C = 1
          ketamine_bath = 0; g = 0.5; h = 0.5; k = 1; q = 0
          A' = k*(1 + g*ketamine_bath) - k*A
          B' = k*(1 - h*ketamine_bath) - k*B
          C' = q*C^2
        end
        """

    /// F1 needs g >= 0.2 and h >= 0.2, F2 h >= 0.2. F3 holds g at 2 during its hook window,
    /// which ends at 2 h: at 3 h A is back at 1 + g of the parameter set (the member's, not
    /// the model's declared 0.5), so it needs the member's g >= 0.2 as well.
    let card = """
        protocols:
          p:
            steps:
              - {at: 0 s, set: ketamine_bath, to: 1}
        findings:
          - id: F1
            claim: ketamine raises A and lowers B
            checks:
              - {what: A rises, protocol: p, readout: A, time: 1 h, expect: up, by: 0.2}
              - {what: B falls, protocol: p, readout: B, time: 1 h, expect: down, by: 0.2}
          - id: F2
            claim: ketamine lowers B
            checks:
              - {what: B falls, protocol: p, readout: B, time: 1 h, expect: down, by: 0.2}
          - id: F3
            claim: after a hook on g ends, A follows the parameter set's own g
            checks:
              - {what: A rises after the hook, protocol: p, hooks: {g: 2}, hook_window: [-30 min, 2 h], readout: A, time: 3 h, expect: up, by: 0.2}
          - id: F4
            claim: not in this model
            addressed: false
            reason: no such readout
        """

    /// Member 0 reproduces everything; member 1 (g = 0.1) fails F1's first check and F3; member 2
    /// is member 0 with another observable scale, which maps to no model parameter (the same
    /// parameter set, simulated once); member 3 (q = 1) fails to simulate.
    let ensemble =
        "member\tcandidate\tllh\tg_cal\th_cal\tscale_x\tq_cal\n"
        + "0\t1\t-1\t0.5\t0.5\t1\t0\n1\t2\t-2\t0.1\t0.5\t1\t0\n2\t3\t-1\t0.5\t0.5\t2\t0\n3\t4\t-3\t0.5\t0.5\t1\t1\n"
    let mapping = "calibrationId\tmodelId\tnote\ng_cal\tg\tgain of A\nh_cal\th\tgain of B\nscale_x\t\tobservable scale\nq_cal\tq\tblow-up\n"

    func files() throws -> (model: String, card: String, ensemble: String, mapping: String) {
        (try write(model, "tiny.ant"), try write(card, "card.yaml"), try write(ensemble, "ensemble.tsv"), try write(mapping, "mapping.tsv"))
    }

    func testSharesCountedByHand() throws {
        let f = try files()
        let r = try CLI.run(["scorecard", "--model", f.model, "--scorecard", f.card, "--ensemble", f.ensemble, "--threads", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertTrue(lines.contains("     ensemble: reproduced in 2 of 3 members (0.67); checks: 0.67 A rises; 1.00 B falls"), r.stdout)
        XCTAssertTrue(lines.contains("     ensemble: reproduced in 3 of 3 members (1.00); checks: 1.00 B falls"), r.stdout)
        XCTAssertTrue(lines.contains("     ensemble: reproduced in 2 of 3 members (0.67); checks: 0.67 A rises after the hook"), r.stdout)
        XCTAssertEqual(lines.filter { $0.hasPrefix("     ensemble:") }.count, 3, "no ensemble line for a finding that is not addressed")
        // Per member: 3, 1, 3 counted findings reproduced; 4 arms (vehicle and treated, with and
        // without the hook) for each of the 3 distinct parameter sets.
        XCTAssertTrue(
            lines.contains(
                "ensemble: 3 of 4 members of \(f.ensemble) simulated (3 distinct, 1 failed; 12 simulations); counted findings reproduced per member: mean 2.33 of 3 (least 1, most 3); 1 of 3 hold in >= 80% of members (below: F1 0.67, F3 0.67)"
            ), r.stdout)
        let failed = try XCTUnwrap(lines.first { $0.hasPrefix("  member 3 failed: ") }, r.stdout)
        XCTAssertTrue(failed.contains("'C'"), failed)
        let one = try CLI.run(["scorecard", "--model", f.model, "--scorecard", f.card, "--ensemble", f.ensemble, "--threads", "1"])
        XCTAssertEqual(one.stdout, r.stdout, "the same bytes whatever the number of threads")

        let j = try CLI.run(["scorecard", "--model", f.model, "--scorecard", f.card, "--ensemble", f.ensemble, "--format", "json"])
        XCTAssertEqual(j.status, 0, j.stderr)
        let items = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(items.map { $0["id"] as? String }, ["F1", "F2", "F3", "F4"])
        for item in items {
            for key in ["id", "reproduced", "addressed", "basis", "counted", "set", "claim", "figure", "note"] { XCTAssertNotNil(item[key], key) }
        }
        XCTAssertNil(items[3]["ensemble"])
        let e1 = try XCTUnwrap(items[0]["ensemble"] as? [String: Any])
        XCTAssertEqual(e1["members"] as? Int, 4)
        XCTAssertEqual(e1["simulated"] as? Int, 3)
        XCTAssertEqual(e1["reproduced"] as? Int, 2)
        XCTAssertEqual(try XCTUnwrap(e1["share"] as? Double), 2.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(e1["reproduced_by"] as? [Int], [0, 2])
        XCTAssertEqual((items[1]["ensemble"] as? [String: Any])?["reproduced_by"] as? [Int], [0, 1, 2])
        let failures = try XCTUnwrap(e1["failed"] as? [[String: Any]])
        XCTAssertEqual(failures.map { $0["member"] as? Int }, [3])
        let checks = try XCTUnwrap(e1["checks"] as? [[String: Any]])
        XCTAssertEqual(checks.map { $0["what"] as? String }, ["A rises", "B falls"])
        XCTAssertEqual(checks.map { $0["reproduced"] as? Int }, [2, 3])
        XCTAssertEqual(checks.map { $0["passed"] as? Bool }, [true, true])
        let e3 = try XCTUnwrap(items[2]["ensemble"] as? [String: Any])
        XCTAssertEqual(e3["reproduced"] as? Int, 2)
    }

    /// Without --ensemble the table and JSON are the scorecard's as before (the figures of the
    /// model's own values, +g and −h); with it, the same lines plus the ensemble's.
    func testWithoutEnsembleTheOutputIsUnchanged() throws {
        let f = try files()
        let plain = try CLI.run(["scorecard", "--model", f.model, "--scorecard", f.card])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(
            plain.stdout,
            """
            F1   reproduced      A +50% at 1 h; B -50% at 1 h
                 claim (counted): ketamine raises A and lowers B
            F2   reproduced      B -50% at 1 h
                 claim (counted): ketamine lowers B
            F3   reproduced      A +50% at 3 h
                 claim (counted): after a hook on g ends, A follows the parameter set's own g
            F4   not addressed   not addressed: no such readout
                 claim (not counted): not in this model
            scorecard: 3 of 3 counted (predicted) findings reproduced; 3 of 4 in all (3 addressed, 1 not addressed; 0 by construction or fitted, not counted: )

            """)
        let json = try CLI.run(["scorecard", "--model", f.model, "--scorecard", f.card, "--format", "json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssertTrue(
            json.stdout.hasPrefix(
                "[\n  {\"id\": \"F1\", \"reproduced\": true, \"addressed\": true, \"basis\": \"predicted\", \"counted\": true, \"set\": \"core\", "),
            json.stdout)
        XCTAssertFalse(json.stdout.contains("ensemble"), json.stdout)

        let with = try CLI.run(["scorecard", "--model", f.model, "--scorecard", f.card, "--ensemble", f.ensemble])
        XCTAssertEqual(with.status, 0, with.stderr)
        let kept = with.stdout.split(separator: "\n").filter { !$0.hasPrefix("     ensemble:") && !$0.hasPrefix("ensemble:") && !$0.hasPrefix("  member ") }
        XCTAssertEqual(kept.joined(separator: "\n") + "\n", plain.stdout)
    }

    func testBadFilesGiveOneLocatedError() throws {
        let f = try files()
        func run(_ extra: [String]) throws -> CLI.Result {
            let r = try CLI.run(["scorecard", "--model", f.model, "--scorecard", f.card] + extra)
            XCTAssertNotEqual(r.status, 0, "\(extra): \(r.stdout)")
            XCTAssertTrue(r.stdout.isEmpty, "no partial output: \(r.stdout)")
            return r
        }
        let bad = try write("member\tg_cal\th_cal\tscale_x\tq_cal\n0\t0.5\t0.5\t1\t0\n1\tabc\t0.5\t1\t0\n", "bad.tsv")
        let badRun = try run(["--ensemble", bad, "--mapping", f.mapping])
        XCTAssertTrue(badRun.stderr.contains("\(bad):3: column 'g_cal': 'abc' is not a finite number"), badRun.stderr)

        let typo = try write("calibrationId\tmodelId\ng_cal\tgg\nh_cal\th\nscale_x\t\nq_cal\tq\n", "typo.tsv")
        let typoRun = try run(["--ensemble", f.ensemble, "--mapping", typo])
        XCTAssertTrue(typoRun.stderr.contains("\(typo):2: column 'modelId': 'gg' is not a constant parameter"), typoRun.stderr)
        XCTAssertTrue(typoRun.stderr.contains("did you mean 'g'"), typoRun.stderr)

        let missing = try write("calibrationId\tmodelId\ng_cal\tg\nh_cal\th\nq_cal\tq\n", "missing.tsv")
        let missingRun = try run(["--ensemble", f.ensemble, "--mapping", missing])
        XCTAssertTrue(missingRun.stderr.contains("\(f.ensemble):1: column 'scale_x': calibration parameter 'scale_x' is not in the mapping"), missingRun.stderr)

        let noFile = try run(["--ensemble", dir.appendingPathComponent("none.tsv").path])
        XCTAssertTrue(noFile.stderr.contains("none.tsv: no such file"), noFile.stderr)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("alone"), withIntermediateDirectories: true)
        let alone = try write(ensemble, "alone/ensemble.tsv")
        let noMapping = try run(["--ensemble", alone])
        XCTAssertTrue(noMapping.stderr.contains("alone/mapping.tsv: no such file"), noMapping.stderr)
        // --mapping alone is a usage error.
        XCTAssertTrue(try run(["--mapping", f.mapping]).stderr.contains("--mapping needs --ensemble"))
    }
}
