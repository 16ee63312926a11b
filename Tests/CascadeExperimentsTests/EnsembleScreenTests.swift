import CascadeCore
import CascadeExperiments
import CascadeFormats
import CascadeSolver
import Foundation
import XCTest

/// The knockout screen over an ensemble: agreement is the share of members whose call equals the
/// nominal call; the calibration-to-model mapping is checked with located errors; the planner's
/// ensemble criterion penalises separations the members disagree on.
final class EnsembleScreenTests: XCTestCase {
    static let repo = KnockoutScreenTests.repo
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("cascade-ensemble-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    /// The default experiment cut to two inhibitors, four readouts and two times.
    static func smallExperiment() throws -> Experiment {
        var e = try Experiment.load(repo.appendingPathComponent("models/experiments/knockout_screen.yaml"))
        e.screen = Experiment.Screen(singles: ["NBQX", "rapamycin"])
        e.readouts = ["p_eEF2", "BDNF", "p_S6K", "synaptic_proteins"]
        e.readoutTimes = [7200, 86400]
        return e
    }

    func write(_ text: String, _ name: String) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func testAgreementIsTheShareOfMembersGivingTheNominalCall() throws {
        let e = try Self.smallExperiment()
        let nominal = try KnockoutScreen.run(e, threads: 2)
        let probe = try VariantScreen(e, drugs: VariantScreen.drugs(of: e.conditions))
        let shift = try XCTUnwrap(probe.nominal("shift_pyr"))
        // Members at the model's own value agree with every nominal call.
        var same = nominal
        let a = try EnsembleScreen.run(e, nominal: &same, members: Array(repeating: ["shift_pyr": shift], count: 3), threads: 2)
        XCTAssertEqual(a.distinct, 1)
        XCTAssertEqual(a.members, 3)
        XCTAssertTrue(a.failed.isEmpty)
        for c in same.conditions { for eff in c.effects { XCTAssertEqual(eff.agreement, 1, "\(c.condition.id) \(eff.readout) \(eff.time)") } }
        XCTAssertEqual(EnsembleScreen.tally(same).atLeast, EnsembleScreen.tally(same).total)

        // A member without pyramidal NMDAR block (shift 1000: 1 µM blocks ~0.1%) on its own, then
        // mixed 1:3 with members at the model's value: every share is (3 + its own agreement) / 4.
        var alone = nominal
        _ = try EnsembleScreen.run(e, nominal: &alone, members: [["shift_pyr": 1000]], threads: 2)
        var mixed = nominal
        let b = try EnsembleScreen.run(
            e, nominal: &mixed, members: [["shift_pyr": shift], ["shift_pyr": 1000], ["shift_pyr": shift], ["shift_pyr": shift]], threads: 2)
        XCTAssertEqual(b.distinct, 2)
        var differs = 0
        for (c, cond) in mixed.conditions.enumerated() {
            for (k, eff) in cond.effects.enumerated() {
                let own = try XCTUnwrap(alone.conditions[c].effects[k].agreement)
                XCTAssertTrue(own == 0 || own == 1)
                XCTAssertEqual(try XCTUnwrap(eff.agreement), (3 + own) / 4, accuracy: 1e-12)
                if own == 0 { differs += 1 }
            }
        }
        XCTAssertGreaterThan(differs, 0, "without pyramidal NMDAR block some call must change")
    }

    func testMappingErrorsAreLocated() throws {
        let ensemble = try write("member\tcandidate\tllh\tshift_pyr\tscale_x\n0\t0\t-1\t2\t0.5\n1\t3\t-2\t2.5\t0.4\n", "ensemble.tsv")
        let e = try Self.smallExperiment()
        let probe = try VariantScreen(e, drugs: VariantScreen.drugs(of: e.conditions))
        let members = try ParameterEnsemble.load(ensemble)
        XCTAssertEqual(members.ids, ["shift_pyr", "scale_x"])

        let good = try CalibrationMapping.load(try write("calibrationId\tmodelId\nshift_pyr\tshift_pyr\nscale_x\t\n", "good.tsv"))
        let variants = try good.variants(members, settable: probe.isSettable, known: probe.compiled.reportableIds)
        XCTAssertEqual(variants, [["shift_pyr": 2], ["shift_pyr": 2.5]])

        let typo = try CalibrationMapping.load(try write("calibrationId\tmodelId\tnote\nscale_x\t\tobservable\nshift_pyr\tshift_pyx\tx\n", "typo.tsv"))
        XCTAssertThrowsError(try typo.variants(members, settable: probe.isSettable, known: probe.compiled.reportableIds)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("\(self.dir.appendingPathComponent("typo.tsv").path):3: column 'modelId': 'shift_pyx'"), text)
            XCTAssertTrue(text.contains("did you mean 'shift_pyr'"), text)
        }
        let missing = try CalibrationMapping.load(try write("calibrationId\tmodelId\nshift_pyr\tshift_pyr\n", "missing.tsv"))
        XCTAssertThrowsError(try missing.variants(members, settable: probe.isSettable, known: probe.compiled.reportableIds)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(ensemble.path):1: column 'scale_x': calibration parameter 'scale_x' is not in the mapping"), "\(error)")
        }
        let twice = try CalibrationMapping.load(try write("calibrationId\tmodelId\nshift_pyr\tshift_pyr\nscale_x\tshift_pyr\n", "twice.tsv"))
        XCTAssertThrowsError(try twice.variants(members, settable: probe.isSettable, known: probe.compiled.reportableIds)) { error in
            XCTAssertTrue("\(error)".contains("twice.tsv:3: column 'modelId': 'shift_pyr' is already the target of 'shift_pyr'"), "\(error)")
        }
        let bad = try write("member\tshift_pyr\n0\tabc\n", "bad.tsv")
        XCTAssertThrowsError(try ParameterEnsemble.load(bad)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(bad.path):2: column 'shift_pyr': 'abc' is not a finite number"), "\(error)")
        }
    }

    /// z² = n μ² / (m σ² + n s²): the nominal criterion when members agree; lower when they
    /// disagree at the same mean; a difference whose sign the members split on scores near zero.
    func testEnsembleTermPenalisesDisagreement() {
        let sigma = 0.2, n = 3.0, m = 2.0
        let agree = Planner.ensembleTerm(differences: [0.4, 0.4, 0.4, 0.4], sigma: sigma, replicates: n, contrastWells: m)
        XCTAssertEqual(agree, n * 0.16 / (m * sigma * sigma), accuracy: 1e-12)
        // Half the members separate by 0.8, half not at all: same mean 0.4, variance 0.64/3.
        let some = Planner.ensembleTerm(differences: [0.8, 0, 0.8, 0], sigma: sigma, replicates: n, contrastWells: m)
        XCTAssertEqual(some, n * 0.16 / (m * sigma * sigma + n * (4 * 0.16) / 3), accuracy: 1e-12)
        XCTAssertLessThan(some, 0.2 * agree)
        let split = Planner.ensembleTerm(differences: [0.8, -0.8, 0.8, -0.8], sigma: sigma, replicates: n, contrastWells: m)
        XCTAssertEqual(split, 0, accuracy: 1e-12)
        // More replicates cannot beat the ensemble's spread: the limit is μ²/s².
        let many = Planner.ensembleTerm(differences: [0.8, 0, 0.8, 0], sigma: sigma, replicates: 1e9, contrastWells: m)
        XCTAssertEqual(many, 0.16 / (0.64 / 3), accuracy: 1e-6)
    }
}
