import CascadeCore
import CascadeExperiments
import CascadeReports
import Foundation
import XCTest

/// `cascade sweep` fold changes: treated against vehicle at every point, as the screen computes them.
final class SweepEffectsTests: XCTestCase {
    static let repo = CohortTests.repo

    func testFoldChangesAgainstTheVehicleArmMatchTheScreen() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-effects-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let models = Self.repo.appendingPathComponent("models").path
        let url = dir.appendingPathComponent("sweep.yaml")
        try """
        model: \(models)/ketamine.ant
        panel: \(models)/inhibitors.yaml
        protocol:
          - {at: -30 min, preincubate: inhibitors}
          - {at: 0, add: ketamine, concentration: 1 uM}
          - {at: 1 h, wash: [ketamine]}
        readouts: [p_eEF2, p_S6K]
        times: [30 min, 2 h]
        settle: 1 d
        sweep: {parameters: {ketamine: [0.1 uM, 1 uM]}, arms: [vehicle, treated]}
        """.write(to: url, atomically: true, encoding: .utf8)
        let e = try Experiment.load(url)
        let out = dir.appendingPathComponent("out.csv")
        _ = try SweepRunner.run(try e.sweepPlan(), output: out, threads: 2)
        let effects = try SweepEffects.from(csv: try String(contentsOf: out, encoding: .utf8), experiment: e)
        XCTAssertEqual(effects.pointColumns, ["line", "ketamine"])
        XCTAssertEqual(effects.rows.count, 2 * 2 * 2)
        for r in effects.rows { XCTAssertEqual(try XCTUnwrap(r.log2fc), log2(r.treated / r.vehicle), accuracy: 1e-12) }

        // At 1 µM the sweep is the screen's uninhibited condition (same start, settle and protocol).
        let screen = try KnockoutScreen.run(e, threads: 2)
        for r in effects.rows where r.point.last == "1.0" {
            let s = try XCTUnwrap(screen.conditions[0].effects.first { $0.readout == r.readout && $0.time == r.time })
            XCTAssertEqual(try XCTUnwrap(r.log2fc), try XCTUnwrap(s.log2fc), accuracy: 1e-6)
            XCTAssertEqual(r.call, s.call, "\(r.readout) at \(r.time)")
        }
        XCTAssertTrue(effects.csv().hasPrefix("line,ketamine,time,readout,vehicle,treated,log2fc,call,confidence\n"))
        // The metadata says where the simulations start.
        let meta = e.sweepMetadata()
        XCTAssertEqual(meta["settle_s"], "86400.0")
        XCTAssertEqual(meta["start_s"], "-88200.0")

        // Without the vehicle arm there is nothing to compare with.
        let treatedOnly = "index,line,arm,ketamine,status,time,p_eEF2,p_S6K\n0,,treated,1.0,ok,1800.0,0.1,0.2\n"
        XCTAssertThrowsError(try SweepEffects.from(csv: treatedOnly, experiment: e))
    }
}
