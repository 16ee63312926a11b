import CascadeCore
import CascadeExperiments
import CascadeReports
import CascadeSolver
import Foundation
import XCTest

/// What a screen reports does not depend on which other outputs are asked for, and the protocol
/// compiles to events that fire as written.
final class ScreenOutputTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func experiment(
        treatment: String = "ketamine", settle: String = "5 d", singles: String = "[NBQX, rapamycin]",
        doses: String = "{}", treatmentDoses: String = "{}", concentration: String = "1 uM", extra: String = "",
        readouts: String = "[p_eEF2, p_S6K, spine_density]"
    ) throws -> Experiment {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("screen-output-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let models = Self.repo.appendingPathComponent("models").path
        let text = """
            model: \(models)/ketamine.ant
            panel: \(models)/inhibitors.yaml
            protocol:
              - {at: -30 min, preincubate: inhibitors}
              - {at: 0 min, add: \(treatment), concentration: \(concentration)}
              - {at: 1 h, wash: [\(treatment)]}
            readouts: \(readouts)
            times: [30 min, 2 h, 72 h]
            settle: \(settle)
            screen: {singles: \(singles), doses: \(doses), treatment_doses: \(treatmentDoses)}
            """ + extra
        let url = dir.appendingPathComponent("screen.yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return try Experiment.load(url)
    }

    /// Plot times (asked for by --html) used to move the effects at the 1e-9 level because they
    /// changed where the integrator stopped; now the CSV and JSON are the same bytes.
    func testEffectsAreTheSameBytesWithAndWithoutPlotTimes() throws {
        let e = try experiment()
        let plain = try KnockoutScreen.run(e, threads: 2)
        let plotted = try KnockoutScreen.run(e, threads: 2, plotTimes: ScreenReport.plotTimes(until: e.readoutTimes.last!))
        XCTAssertEqual(plain.csv(), plotted.csv())
        XCTAssertEqual(plain.json(), plotted.json())
        XCTAssertEqual(plain.trajectoryTimes, e.readoutTimes)
        XCTAssertGreaterThan(plotted.trajectoryTimes.count, e.readoutTimes.count)
        // The plotted trajectories hold the readout values (to the integrator's tolerance).
        let row = try XCTUnwrap(plotted.trajectoryTimes.firstIndex(of: e.readoutTimes[0]))
        for (a, b) in zip(plain.conditions[0].treated[0], plotted.conditions[0].treated[row]) {
            XCTAssertEqual(a, b, accuracy: 1e-5 * abs(a))
        }
    }

    /// Per-assay thresholds reach every output: the CSV's `minimum_fold` column and the JSON's
    /// per effect, the table's threshold line; the reference's calls are `changed` exactly when
    /// |log2(treated/vehicle)| reaches log2 of the readout's own threshold (recomputed here from
    /// the CSV's levels).
    func testAssayThresholdsInEveryOutput() throws {
        let e = try experiment(
            extra: "\nassays:\n  western: {cv: 0.2, floor: 0.1, minimum_fold: 1.2, readouts: [p_eEF2, p_S6K]}\n"
                + "  imaging: {cv: 0.15, floor: 0.05, minimum_fold: 1.05, readouts: [spine_density]}\n")
        let r = try KnockoutScreen.run(e, threads: 2)
        XCTAssertEqual(r.minimumFolds, [1.2, 1.2, 1.05])
        let lines = r.csv().split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = lines[0]
        let col = { (name: String) in header.firstIndex(of: name)! }
        var seen = 0
        for row in lines.dropFirst() where row[col("condition")] == "none" {
            let fold = try XCTUnwrap(Double(row[col("minimum_fold")]))
            XCTAssertEqual(fold, row[col("readout")] == "spine_density" ? 1.05 : 1.2)
            let fc = Foundation.log2(Double(row[col("treated")])! / Double(row[col("vehicle")])!)
            XCTAssertEqual(row[col("call")], abs(fc) >= Foundation.log2(fold) ? "changed" : "unchanged", "\(row)")
            seen += 1
        }
        XCTAssertEqual(seen, 9)
        XCTAssertTrue(r.json().contains("\"minimum_fold\": 1.05"))
        XCTAssertTrue(r.table().contains("x1.05 spine_density; x1.2 p_eEF2, p_S6K."), r.table())
        // ketamine's 72 h spine rise on plates (+7-8%) is a change at a 5% threshold, not at 25%.
        let spines72 = try XCTUnwrap(r.conditions[0].effects.first { $0.readout == "spine_density" && $0.time == 72 * 3600 })
        XCTAssertEqual(spines72.call, .changed)
        var uniform = e
        uniform.setUniformMinimumFold(1.25)
        let u = try KnockoutScreen.run(uniform, threads: 2)
        XCTAssertEqual(u.conditions[0].effects.first { $0.readout == "spine_density" && $0.time == 72 * 3600 }?.call, .unchanged)
        XCTAssertEqual(u.minimumFolds, [1.25, 1.25, 1.25])
    }

    /// The table's 'effect' row gives the direction of treated against vehicle, also where the
    /// vehicle level is 0 and no fold change exists: ketamine's NMDAR block (0 without the drug)
    /// rises while it is in the bath, and is back to 0 (unchanged) once it is washed out.
    func testEffectRowDirectionWhenTheVehicleIsZero() throws {
        let r = try KnockoutScreen.run(experiment(singles: "[NBQX]", readouts: "[NMDAR_block_pyr, p_eEF2]"), threads: 2)
        let block30 = try XCTUnwrap(r.conditions[0].effects.first { $0.readout == "NMDAR_block_pyr" && $0.time == 1800 })
        XCTAssertEqual(block30.vehicle, 0)
        XCTAssertGreaterThan(block30.treated, 0.1)
        XCTAssertNotEqual(block30.call, .unchanged)
        let lines = r.table().split(separator: "\n")
        let effect = try XCTUnwrap(lines.first { $0.hasPrefix("effect") })
        // NMDAR_block_pyr column: up at 30 min; p_eEF2 down at 30 min.
        let cells = effect.split(separator: " ", omittingEmptySubsequences: true).dropFirst()
        XCTAssertEqual(cells.first.map { String($0.prefix(1)) }, "↑", String(effect))
        XCTAssertEqual(cells.dropFirst().first.map { String($0.prefix(1)) }, "↓", String(effect))
    }

    /// The same bytes whatever the number of threads.
    func testResultsDoNotDependOnThreads() throws {
        let e = try experiment()
        XCTAssertEqual(try KnockoutScreen.run(e, threads: 1).csv(), try KnockoutScreen.run(e, threads: 3).csv())
    }

    /// The table names the experiment's treatment, not always ketamine.
    func testTableNamesTheTreatment() throws {
        let table = try KnockoutScreen.run(experiment(treatment: "esketamine", singles: "[NBQX]"), threads: 2).table()
        XCTAssertTrue(table.hasPrefix("Knockout screen: esketamine vs vehicle under each condition."), table)
        XCTAssertFalse(table.contains(" ketamine"), table)
    }

    /// A protocol step at the simulation's start time fires at the start: with no settling, the
    /// pre-incubation at -30 min is the start, and the inhibitor is in the bath from then on.
    func testStepAtTheStartTimeFires() throws {
        let e = try experiment(settle: "0 s", singles: "[NBQX]")
        let compiled = try CompiledModel(PlateProtocol.screeningModel(e, drugs: ["NBQX"]))
        let sim = try Simulator(compiled)
        let inputs = TreatmentInputs(arm: 1, doses: ["NBQX": 10]).values
        let traj = try sim.simulate(times: [-1800, 0], outputs: [OutputColumn("NBQX_conc")], inputs: inputs, start: -1800)
        XCTAssertEqual(traj[0, 0], 10)
        XCTAssertEqual(traj[1, 0], 10)
    }

    /// A dose axis: NBQX at five concentrations gives a dose response of the p-S6K blockade at
    /// 30 min in the JSON, its IC50 inside the tested range and within a few-fold of NBQX's AMPA
    /// receptor IC50 in the panel (0.15 µM). AMPARs drive both the circuit and BDNF release
    /// (supralinearly), so a partial receptor block removes more than its share of the effect and
    /// the functional IC50 lies somewhat below the receptor's.
    func testDoseAxisGivesADoseResponse() throws {
        let e = try experiment(singles: "[NBQX]", doses: "{NBQX: [0.01 uM, 0.1 uM, 1 uM, 10 uM, 100 uM]}")
        XCTAssertEqual(e.conditions.map(\.id), ["none", "NBQX@0.01uM", "NBQX@0.1uM", "NBQX@1uM", "NBQX@10uM", "NBQX@100uM"])
        let r = try KnockoutScreen.run(e, threads: 2)
        let d = try XCTUnwrap(r.doseResponses.first { $0.inhibitor == "NBQX" && $0.readout == "p_S6K" && $0.time == 1800 })
        let ic50 = try XCTUnwrap(d.ic50)
        XCTAssertGreaterThan(ic50, 0.15 / 5)
        XCTAssertLessThan(ic50, 0.15 * 5)
        XCTAssertGreaterThan(try XCTUnwrap(d.maxBlock), 0.8)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.json().utf8)) as? [String: Any])
        let entries = try XCTUnwrap(json["dose_response"] as? [[String: Any]])
        XCTAssertTrue(entries.contains { $0["inhibitor"] as? String == "NBQX" && $0["ic50_uM"] is Double && $0["hill"] is Double && $0["max_block"] is Double })
    }

    /// A treatment dose axis: each dose's condition is the same simulation as an experiment whose
    /// protocol adds that concentration (the scale input is the concentration over the
    /// protocol's), and the doses with the protocol's own give a dose response per readout.
    func testTreatmentDoseAxisMatchesProtocolsAtThoseConcentrations() throws {
        let e = try experiment(singles: "[]", treatmentDoses: "{ketamine: [0.1 uM, 0.3 uM, 3 uM, 1 uM]}")
        XCTAssertEqual(e.conditions.map(\.id), ["none", "ketamine@0.1uM", "ketamine@0.3uM", "ketamine@3uM"], "1 µM is the reference itself")
        let r = try KnockoutScreen.run(e, threads: 2)
        for (id, c) in [("ketamine@0.3uM", "0.3 uM"), ("ketamine@3uM", "3 uM")] {
            let single = try KnockoutScreen.run(try experiment(singles: "[]", concentration: c), threads: 2)
            let dose = try XCTUnwrap(r.conditions.first { $0.condition.id == id })
            for (a, b) in zip(dose.effects, single.conditions[0].effects) {
                XCTAssertEqual(try XCTUnwrap(a.log2fc), try XCTUnwrap(b.log2fc), accuracy: 1e-6, "\(id) \(a.readout) \(a.time)")
                XCTAssertEqual(a.call, b.call, "\(id) \(a.readout): judged as a reference")
            }
        }
        // p_eEF2 falls with ketamine: the fitted maximum is negative, the points are the
        // simulated changes at 0.1, 0.3, 1 and 3 µM, and the curve passes near them.
        let d = try XCTUnwrap(r.treatmentDoseResponses.first { $0.readout == "p_eEF2" && $0.time == 1800 })
        XCTAssertEqual(d.concentrations, [0.1, 0.3, 1, 3])
        XCTAssertLessThan(try XCTUnwrap(d.maxLog2fc), 0)
        for (c, y) in zip(d.concentrations, d.log2fc) { XCTAssertEqual(try XCTUnwrap(d.predicted(c)), y, accuracy: 0.05 * abs(y) + 0.01) }
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.json().utf8)) as? [String: Any])
        let entries = try XCTUnwrap(json["treatment_dose_response"] as? [[String: Any]])
        XCTAssertTrue(entries.contains { $0["treatment"] as? String == "ketamine" && $0["ec50_uM"] is Double && $0["max_log2fc"] is Double })
        let conditions = try XCTUnwrap(json["conditions"] as? [[String: Any]])
        XCTAssertEqual((conditions.last?["treatments_uM"] as? [String: Double])?["ketamine"], 3)
        // The HTML report draws the curve on a log axis with round ticks.
        let html = ScreenReport.html(r, title: "t", experimentFile: "f")
        XCTAssertTrue(html.contains("ketamine dose response"))
        XCTAssertTrue(html.contains("ketamine (µM, log scale)"))
    }

    /// An exact Hill curve that falls (max −1.5, EC50 0.4 µM, Hill 1) is recovered with its sign;
    /// a change below the threshold gets no curve.
    func testTreatmentDoseResponseFitKeepsTheDirection() throws {
        let cs = [0.03, 0.1, 0.3, 1, 3, 10]
        let y = cs.map { -1.5 * $0 / ($0 + 0.4) }
        let d = TreatmentDoseResponse.fitted(treatment: "k", readout: "x", time: 0, concentrations: cs, log2fc: y, threshold: 0.32)
        XCTAssertEqual(try XCTUnwrap(d.ec50), 0.4, accuracy: 0.004)
        XCTAssertEqual(try XCTUnwrap(d.maxLog2fc), -1.5, accuracy: 0.003)
        XCTAssertEqual(try XCTUnwrap(d.hill), 1, accuracy: 0.01)
        let flat = TreatmentDoseResponse.fitted(treatment: "k", readout: "x", time: 0, concentrations: cs, log2fc: y.map { $0 / 10 }, threshold: 0.32)
        XCTAssertNil(flat.ec50)
    }

    func testUnknownTreatmentInTheDoseAxisIsNamed() throws {
        XCTAssertThrowsError(try experiment(treatmentDoses: "{ketamin: [0.1 uM]}")) { error in
            XCTAssertTrue("\(error)".contains("did you mean 'ketamine'"), "\(error)")
        }
    }

    func testLogTicksAreRound() {
        XCTAssertEqual(SVG.logTicks(0.03, 30), [0.1, 1, 10])
        XCTAssertEqual(SVG.logTicks(0.1, 3), [0.1, 0.2, 0.5, 1, 2])
    }
}
