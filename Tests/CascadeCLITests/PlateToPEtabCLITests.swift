import Foundation
import XCTest

/// `cascade plate-to-petab` end to end on a one-state plate model whose solution is known in closed
/// form: dR/dt = basal + k_act·ketamine·(1 − occ) − k_deg·R, occ = c/(c + IC50) of the blocker.
/// The plate settles 2 days, the blocker goes in at −30 min, 1 µM ketamine at 0, washed out at 1 h.
final class PlateToPEtabCLITests: CLITestCase {
    static let model = """
        model plate_toy
          compartment cell = 1
          species pR in cell = 0.5
          species Q in cell = 2
          ketamine_bath = 0
          f_drive = 0
          basal = 0.0005
          k_act = 0.002
          k_deg = 0.001
          J1: -> pR; cell * (basal + k_act * ketamine_bath * (1 - f_drive))
          J2: pR -> ; cell * k_deg * pR
        end
        """
    static let panel = """
        inhibitors:
          blockerX:
            name: X blocker
            targets: [{hook: f_drive, max: 1}]
            mechanism: occupancy
            ic50: 1 uM
            hill: 1
            typical: 3 uM
            source: "test"
            confidence: assumed
        """
    static let experiment = """
        model: toy.ant
        panel: panel.yaml
        settle: 2 d
        protocol:
          - {at: -30 min, preincubate: inhibitors}
          - {at: 0 min, add: ketamine, concentration: 1 uM}
          - {at: 1 h, wash: [ketamine]}
        readouts: [pR, Q]
        times: [30 min, 2 h, 6 h]
        screen: {singles: [blockerX]}
        assays:
          western: {cv: 0.1, floor: 0.05, readouts: [pR], source: test}
          elisa: {cv: 0.15, floor: 0.05, readouts: [Q], source: test}
        """
    static let times = [1800.0, 7200, 21600]

    /// The four cells (vehicle, ketamine, blocker, both) at every time, in `replicates` replicates;
    /// A1 is an excluded edge well. Returns the plate CSV and its wells (id, treated, blocked, time).
    func plate(replicates: Int = 3) -> (String, [(String, Bool, Bool, Double)]) {
        var csv = "well,row,column,role,treatment,inhibitors,concentrations_uM,replicate,ketamine_uM,blockerX_uM,vehicle,assay,line,read_at_s\n"
        csv += "A1,A,1,excluded,,,,,,,,,,\n"
        var wells: [(String, Bool, Bool, Double)] = []
        var k = 0
        for rep in 1 ... replicates {
            for t in Self.times {
                for (treated, blocked) in [(false, false), (true, false), (false, true), (true, true)] {
                    let row = ["B", "C", "D", "E", "F", "G"][k / 10], column = k % 10 + 2
                    k += 1
                    let id = "\(row)\(column)"
                    let role = blocked ? (treated ? "test" : "inhibitor_only") : (treated ? "treatment_only" : "vehicle")
                    let vehicles = [treated ? nil : "ketamine", blocked ? nil : "blockerX"].compactMap { $0 }.joined(separator: "+")
                    csv +=
                        "\(id),\(row),\(column),\(role),\(treated ? "ketamine" : "vehicle"),\(blocked ? "blockerX" : ""),\(blocked ? "3" : ""),\(rep),"
                        + "\(treated ? 1 : 0),\(blocked ? 3 : 0),\(vehicles),western,model,\(Int(t))\n"
                    wells.append((id, treated, blocked, t))
                }
            }
        }
        return (csv, wells)
    }

    /// R at `t` seconds after the treatment (the settled state R = basal/k_deg before it).
    static func exact(treated: Bool, blocked: Bool, t: Double, kAct: Double, kDeg: Double, basal: Double = 0.0005) -> Double {
        let rb = basal / kDeg
        guard treated else { return rb }
        let drive = kAct * 1 * (blocked ? 1 - 3.0 / (3.0 + 1.0) : 1)
        let peak = drive / kDeg * (1 - Foundation.exp(-kDeg * min(t, 3600)))
        return rb + peak * (t > 3600 ? Foundation.exp(-kDeg * (t - 3600)) : 1)
    }

    func setUpFiles() throws -> (experiment: String, plate: String, wells: [(String, Bool, Bool, Double)]) {
        _ = try write(Self.model, "toy.ant")
        _ = try write(Self.panel, "panel.yaml")
        let e = try write(Self.experiment, "experiment.yaml")
        let (csv, wells) = plate()
        return (e, try write(csv, "plate.csv"), wells)
    }

    func table(_ path: String) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(lines[0], $0)) }
    }

    /// The PEtab simulation of the problem (readings in model units) equals the closed form at
    /// every well: the protocol's timed additions, the blocker and the settling are in the problem.
    func testSimulationEqualsClosedForm() throws {
        let (e, plate, wells) = try setUpFiles()
        let readings = "well,readout,value\n" + wells.map { "\($0.0),pR,1" }.joined(separator: "\n") + "\n"
        let r = try CLI.run([
            "plate-to-petab", "--experiment", e, "--plate", plate, "--readings", try write(readings, "readings.csv"),
            "--scaling", "none", "--estimate", "k_act", "--output", dir.appendingPathComponent("p").path,
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let sim = dir.appendingPathComponent("sim.tsv").path
        let s = try CLI.run(["petab", dir.appendingPathComponent("p/problem.yaml").path, "--output", sim])
        XCTAssertEqual(s.status, 0, s.stderr)
        let rows = try table(sim)
        XCTAssertEqual(rows.count, wells.count)
        for (row, w) in zip(rows, wells) {
            XCTAssertEqual(row["well"], w.0)
            // Model time 0 is the start of the 2-day settle, 30 min before the first step.
            XCTAssertEqual(Double(row["time"]!)!, w.3 + 2 * 86400 + 1800)
            let expected = Self.exact(treated: w.1, blocked: w.2, t: w.3, kAct: 0.002, kDeg: 0.001)
            XCTAssertEqual(Double(row["simulation"]!)!, expected, accuracy: 1e-5 * expected, "well \(w.0)")
        }
    }

    /// Noisy readings (CV 10%, a scale of 250 reading units per model unit) simulated in closed form
    /// from k_act = 0.004, k_deg = 0.0005 (the model says 0.002 and 0.001): the fit recovers both
    /// within their 95% profile intervals.
    func testFitRecoversParametersWithinProfileIntervals() throws {
        let (e, plate, wells) = try setUpFiles()
        let (kAct, kDeg, scale, cv) = (0.004, 0.0005, 250.0, 0.1)
        var rng = SplitMix(seed: 20_261_205)
        let sigma = Foundation.log(1 + cv * cv).squareRoot()
        var readings = "well,readout,value\n"
        for w in wells {
            let y = scale * Self.exact(treated: w.1, blocked: w.2, t: w.3, kAct: kAct, kDeg: kDeg) * Foundation.exp(sigma * rng.normal())
            readings += "\(w.0),pR,\(y)\n"
        }
        let problemDir = dir.appendingPathComponent("problem")
        let r = try CLI.run([
            "plate-to-petab", "--experiment", e, "--plate", plate, "--readings", try write(readings, "readings.csv"),
            "--estimate", "k_act,k_deg", "--bounds", "k_act=1e-4:1e-1", "--bounds", "k_deg=1e-5:1e-2", "--output", problemDir.path,
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("36 readings of 1 readouts in 4 conditions"), r.stdout)
        let problem = problemDir.appendingPathComponent("problem.yaml").path
        let llh = try CLI.run(["likelihood", problem, "--format", "json"])
        XCTAssertEqual(llh.status, 0, llh.stderr)
        let fitDir = dir.appendingPathComponent("fit").path
        let f = try CLI.run(["fit", problem, "--starts", "6", "--seed", "3", "--no-report", "--output", fitDir])
        XCTAssertEqual(f.status, 0, f.stderr)
        let p = try CLI.run(["profile", problem, "--parameters", fitDir + "/parameters.tsv", "--output", dir.appendingPathComponent("profile").path])
        XCTAssertEqual(p.status, 0, p.stderr)
        let intervals = try table(dir.appendingPathComponent("profile/intervals.tsv").path)
        let truth = ["k_act": kAct, "k_deg": kDeg, "scale_pR": scale]
        for (id, value) in truth {
            let row = try XCTUnwrap(intervals.first { $0["parameterId"] == id }, id)
            let lower = try XCTUnwrap(Double(row["lower95"] ?? ""), "\(id) has a lower 95% bound")
            let upper = try XCTUnwrap(Double(row["upper95"] ?? ""), "\(id) has an upper 95% bound")
            let best = try XCTUnwrap(Double(row["best"] ?? ""))
            XCTAssertTrue(lower < value && value < upper, "\(id): truth \(value) outside [\(lower), \(upper)] (best \(best))")
            // The interval is informative: within a factor 2 either side of the truth.
            XCTAssertGreaterThan(lower, value / 2, id)
            XCTAssertLessThan(upper, value * 2, id)
        }
    }

    /// Each bad reading gets one error naming the readings file, line and column.
    func testBadReadingsAreLocated() throws {
        let (e, plate, wells) = try setUpFiles()
        let good = "well,readout,value\n\(wells[0].0),pR,1.5\n"
        let cases: [(String, String)] = [
            (good + "H13,pR,1\n", "readings.csv:3:1: well: well 'H13' is not on the plate"),
            (good + "A1,pR,1\n", "readings.csv:3:1: well: well A1 has no cells on the plate"),
            (good + "\(wells[1].0),pRR,1\n", "readings.csv:3:4: readout: 'pRR' is not a species or parameter"),
            (good + "\(wells[1].0),Q,1\n", "readings.csv:3:4: readout: well \(wells[1].0) is read by western"),
            (good + "\(wells[1].0),pR,nan\n", "readings.csv:3:7: value: the value is nan, not a finite number"),
            (good + "\(wells[1].0),pR,high\n", "readings.csv:3:7: value: 'high' is not a number"),
            (good + "\(wells[1].0),pR,0\n", "readings.csv:3:7: value: 0.0 is not positive"),
            (good + "\(wells[0].0),pR,2\n", "readings.csv:3:1: well: a second reading of 'pR' in well \(wells[0].0) (the first is on line 2)"),
            ("well,value\n", "readings.csv:1: required column 'readout' is missing"),
        ]
        for (text, message) in cases {
            let path = try write(text, "readings.csv")
            let r = try CLI.run([
                "plate-to-petab", "--experiment", e, "--plate", plate, "--readings", path, "--estimate", "k_act",
                "--output", dir.appendingPathComponent("bad").path,
            ])
            XCTAssertEqual(r.status, 1, text)
            XCTAssertTrue(r.stderr.contains(message), "expected '\(message)', got: \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad").path), "no output on an error")
        }
        let readings = try write(good, "readings.csv")
        let options: [([String], String)] = [
            (["--estimate", "k_ac"], "'k_ac' is not a constant parameter of model 'plate_toy'"),
            (["--estimate", "f_drive"], "'f_drive' is not a constant parameter"),
            (["--estimate", "k_act", "--bounds", "k_act=1:0.1"], "the lower bound 1.0 is not below the upper bound 0.1"),
            (["--estimate", "k_act", "--line", "other"], "no well of the plate has line 'other'"),
            ([], "line 'model' sets no constant parameter"),
        ]
        for (extra, message) in options {
            let r = try CLI.run(
                ["plate-to-petab", "--experiment", e, "--plate", plate, "--readings", readings, "--output", dir.appendingPathComponent("bad").path] + extra)
            XCTAssertEqual(r.status, 1, extra.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains(message), "expected '\(message)', got: \(r.stderr)")
        }
        // Two lines on the plate: one must be chosen, and a line the experiment does not know is refused.
        let twoLines = try write(
            try String(contentsOfFile: plate, encoding: .utf8).replacingOccurrences(of: ",western,model,1800\n", with: ",western,other,1800\n"),
            "two-lines.csv")
        let noLine = try CLI.run([
            "plate-to-petab", "--experiment", e, "--plate", twoLines, "--readings", readings, "--estimate", "k_act", "--output",
            dir.appendingPathComponent("bad").path,
        ])
        XCTAssertEqual(noLine.status, 1)
        XCTAssertTrue(noLine.stderr.contains("the plate holds 2 lines (other, model): choose one with --line"), noLine.stderr)
        let other = try CLI.run([
            "plate-to-petab", "--experiment", e, "--plate", twoLines, "--readings", readings, "--estimate", "k_act", "--line", "other",
            "--output", dir.appendingPathComponent("bad").path,
        ])
        XCTAssertEqual(other.status, 1)
        XCTAssertTrue(other.stderr.contains("line 'other' is not a line of"), other.stderr)
        // A plate with a treatment the protocol does not add, located on the plate's line.
        let badPlate = try write(
            try String(contentsOfFile: plate, encoding: .utf8).replacingOccurrences(of: "treatment_only,ketamine,", with: "treatment_only,esketamine,"),
            "bad-plate.csv")
        let r = try CLI.run([
            "plate-to-petab", "--experiment", e, "--plate", badPlate, "--readings", readings, "--estimate", "k_act",
            "--output", dir.appendingPathComponent("bad").path,
        ])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("bad-plate.csv:4: treatment: well B3: 'esketamine' is not a treatment"), r.stderr)
    }
}

extension PlateToPEtabCLITests {
    /// `cascade sensitivity EXPERIMENT` gives ∂log2FC/∂ln p of the call's fold change (treated vs
    /// vehicle under the blocker) and ∂ln y/∂ln p of one arm, equal to central differences of the
    /// closed form.
    func testExperimentSensitivitiesEqualCentralDifferencesOfTheClosedForm() throws {
        let (e, _, _) = try setUpFiles()
        let nominal = ["basal": 0.0005, "k_act": 0.002, "k_deg": 0.001]
        func log2fc(_ p: [String: Double], _ t: Double) -> Double {
            Foundation.log2(
                Self.exact(treated: true, blocked: true, t: t, kAct: p["k_act"]!, kDeg: p["k_deg"]!, basal: p["basal"]!)
                    / Self.exact(treated: false, blocked: true, t: t, kAct: p["k_act"]!, kDeg: p["k_deg"]!, basal: p["basal"]!))
        }
        func treated(_ p: [String: Double], _ t: Double) -> Double {
            Foundation.log(Self.exact(treated: true, blocked: true, t: t, kAct: p["k_act"]!, kDeg: p["k_deg"]!, basal: p["basal"]!))
        }
        for (quantity, f) in [("log2fc", log2fc), ("treated", treated)] as [(String, ([String: Double], Double) -> Double)] {
            let r = try CLI.run(["sensitivity", e, "--condition", "blockerX", "--readouts", "pR", "--times", "30 min,2 h,6 h", "--quantity", quantity])
            XCTAssertEqual(r.status, 0, r.stderr)
            let lines = r.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
            XCTAssertEqual(lines[0], ["parameter", "pR@30min", "pR@2h", "pR@6h"])
            let rows = Dictionary(uniqueKeysWithValues: lines.dropFirst().map { ($0[0], $0.dropFirst().map { Double($0)! }) })
            XCTAssertEqual(Set(rows.keys), ["basal", "k_act", "k_deg", "(value)"], "the model's non-zero constants only")
            for (k, t) in Self.times.enumerated() {
                XCTAssertEqual(rows["(value)"]![k], quantity == "log2fc" ? f(nominal, t) : Foundation.exp(f(nominal, t)), accuracy: 1e-5)
                for id in ["basal", "k_act", "k_deg"] {
                    let h = 1e-4
                    var up = nominal, down = nominal
                    up[id]! *= Foundation.exp(h)
                    down[id]! *= Foundation.exp(-h)
                    let expected = (f(up, t) - f(down, t)) / (2 * h)
                    XCTAssertEqual(rows[id]![k], expected, accuracy: 1e-4 * max(1, abs(expected)), "\(quantity) \(id) at \(t) s")
                }
            }
        }
        let bad = try CLI.run(["sensitivity", e, "--condition", "blockerY"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("--condition blockerY: not a condition of"), bad.stderr)
    }
}

extension PlateToPEtabCLITests {
    /// On the ketamine model, the plate problem's conditions are the knockout screen's runs: the
    /// PEtab simulation of each well (vehicle, ketamine, NBQX alone, both; read at 2 h and 24 h,
    /// the inhibitor washed out at 125 min in between) equals the screen's vehicle and treated values.
    func testPlateConditionsAreTheKnockoutScreensRuns() throws {
        let repo = CLI.repository
        let experiment = try write(
            """
            model: \(repo.appendingPathComponent("models/ketamine.ant").path)
            panel: \(repo.appendingPathComponent("models/inhibitors.yaml").path)
            protocol:
              - {at: -30 min, preincubate: inhibitors}
              - {at: 0 min, add: ketamine, concentration: 1 uM}
              - {at: 1 h, wash: [ketamine]}
              - {at: 125 min, wash: [inhibitors]}
            readouts: [p_eEF2, p_S6K]
            times: [2 h, 24 h]
            screen: {singles: [NBQX]}
            settle: 10 d
            """, "screen.yaml")
        var plate = "well,row,column,role,treatment,inhibitors,concentrations_uM,replicate,ketamine_uM,NBQX_uM,vehicle,assay,line,read_at_s\n"
        var readings = "well,readout,value\n"
        var cells: [(well: String, condition: String, arm: String, time: Double)] = []
        for (r, t) in [("B", 7200.0), ("C", 86400.0)] {
            for (k, (treated, nbqx)) in [(false, false), (true, false), (false, true), (true, true)].enumerated() {
                let well = "\(r)\(k + 2)"
                let role = ["vehicle", "treatment_only", "inhibitor_only", "test"][k]
                plate +=
                    "\(well),\(r),\(k + 2),\(role),\(treated ? "ketamine" : "vehicle"),\(nbqx ? "NBQX" : ""),\(nbqx ? "10" : ""),1,\(treated ? 1 : 0),\(nbqx ? 10 : 0),,,model,\(Int(t))\n"
                readings += "\(well),p_eEF2,1\n\(well),p_S6K,1\n"
                cells.append((well, nbqx ? "NBQX" : "none", treated ? "treated" : "vehicle", t))
            }
        }
        let p = try CLI.run([
            "plate-to-petab", "--experiment", experiment, "--plate", try write(plate, "plate.csv"), "--readings", try write(readings, "readings.csv"),
            "--scaling", "none", "--estimate", "J_Ca_NMDA", "--output", dir.appendingPathComponent("p").path,
        ])
        XCTAssertEqual(p.status, 0, p.stderr)
        let sim = dir.appendingPathComponent("sim.tsv").path
        let s = try CLI.run(["petab", dir.appendingPathComponent("p/problem.yaml").path, "--output", sim])
        XCTAssertEqual(s.status, 0, s.stderr)
        let k = try CLI.run(["knockouts", experiment, "--format", "json"])
        XCTAssertEqual(k.status, 0, k.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(k.stdout.utf8)) as? [String: Any])
        let conditions = try XCTUnwrap(json["conditions"] as? [[String: Any]])
        func screen(_ condition: String, _ readout: String, _ time: Double, _ arm: String) -> Double? {
            let c = conditions.first { $0["id"] as? String == condition }
            let e = (c?["effects"] as? [[String: Any]])?.first { $0["readout"] as? String == readout && $0["time"] as? Double == time }
            return e?[arm] as? Double
        }
        let rows = try table(sim)
        XCTAssertEqual(rows.count, 16)
        for row in rows {
            let cell = try XCTUnwrap(cells.first { $0.well == row["well"] })
            let readout = String(row["observableId"]!.dropFirst(4))
            let expected = try XCTUnwrap(screen(cell.condition, readout, cell.time, cell.arm), "\(cell)")
            XCTAssertEqual(Double(row["simulation"]!)!, expected, accuracy: 1e-5 * abs(expected), "\(cell.well) \(readout)")
        }
    }
}

/// A seeded generator of standard normal numbers (SplitMix64, Box-Muller).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / Double(1 << 53) }
    mutating func normal() -> Double {
        (-2 * Foundation.log(uniform())).squareRoot() * Foundation.cos(2 * Double.pi * uniform())
    }
}
