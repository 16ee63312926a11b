import CascadeExperiments
import Foundation
import XCTest

/// The call rules against hand-computed cases (default thresholds: minimum fold 1.25, so
/// d = log2 1.25 = 0.3219; retained ≥ 0.75 changed, ≤ 0.25 blocked).
final class CallRulesTests: XCTestCase {
    func rules(cv: Double = 0.2, floor: Double = 0) -> CallRules {
        CallRules(assays: AssayPanel(assays: [Assay(name: "blot", cv: cv, floor: floor, readouts: ["x"])]))
    }

    /// Ketamine doubles x without inhibitors (ref = 1 in log2).
    func levels(vehicle: Double, treated: Double) -> CallLevels {
        CallLevels(referenceVehicle: 1, referenceTreated: 2, vehicle: vehicle, treated: treated)
    }

    func call(_ v: Double, _ t: Double, floor: Double = 0) -> Effect.Call {
        rules(floor: floor).judge(levels(vehicle: v, treated: t), readout: "x", isReference: false).call
    }

    func testRetainedShareSplitsChangedPartialBlocked() {
        XCTAssertEqual(call(1, pow(2, 0.8)), .changed)  // r = 0.8
        XCTAssertEqual(call(1, pow(2, 0.76)), .changed)  // r = 0.76
        XCTAssertEqual(call(1, pow(2, 0.5)), .partial)  // r = 0.5
        XCTAssertEqual(call(1, pow(2, 0.2)), .blocked)  // r = 0.2
        XCTAssertEqual(call(1, 1), .blocked)  // r = 0
        XCTAssertEqual(call(1, 0.5), .blocked)  // r = -1 (reversed)
        let j = rules().judge(levels(vehicle: 1, treated: pow(2, 0.5)), readout: "x", isReference: false)
        XCTAssertEqual(try XCTUnwrap(j.retained), 0.5, accuracy: 1e-12)
    }

    /// An inhibitor that itself moves x up by 1.5-fold (log2 0.585 ≥ d), after which ketamine adds
    /// 10% of its effect, occludes; the same weak effect over an inhibitor that lowers x is blocked.
    func testInhibitorThatMimicsTheEffectOccludes() {
        XCTAssertEqual(call(1.5, 1.5 * pow(2, 0.1)), .occluded)
        XCTAssertEqual(call(0.6, 0.6 * pow(2, 0.1)), .blocked)
        // Mimicking, but ketamine still adds 80% on top: changed.
        XCTAssertEqual(call(1.5, 1.5 * pow(2, 0.8)), .changed)
        // A mimic by less than the detection threshold (1.2-fold) does not occlude.
        XCTAssertEqual(call(1.2, 1.2), .blocked)
        // Ketamine lowering x: the mimic must lower it too.
        let down = CallLevels(referenceVehicle: 1, referenceTreated: 0.5, vehicle: 0.6, treated: 0.6)
        XCTAssertEqual(rules().judge(down, readout: "x", isReference: false).call, .occluded)
    }

    /// The issue's LY294002 on p-Akt: the inhibitor drives x to 1% of control and ketamine
    /// raises it 4.8-fold from there (to 4.8%). Without a floor that reads as a large change;
    /// with a 10% floor both wells read as the floor, and the call is blocked.
    func testDetectionFloorStopsFoldChangesOnATinyBaseline() {
        XCTAssertEqual(call(0.01, 0.048, floor: 0), .changed)
        XCTAssertEqual(call(0.01, 0.048, floor: 0.1), .blocked)
        let j = rules(floor: 0.1).judge(levels(vehicle: 0.01, treated: 0.048), readout: "x", isReference: false)
        XCTAssertEqual(j.retained, 0)
        // Above the floor, the floor changes nothing: 0.2 → 0.4 retains the whole effect.
        XCTAssertEqual(call(0.2, 0.4, floor: 0.1), .changed)
    }

    func testNoUninhibitedEffectGivesChangedOrUnchanged() {
        let r = rules()
        let flat = CallLevels(referenceVehicle: 1, referenceTreated: 1.1, vehicle: 1, treated: 1.1)
        XCTAssertEqual(r.judge(flat, readout: "x", isReference: true).call, .unchanged)
        XCTAssertEqual(r.judge(flat, readout: "x", isReference: false).call, .unchanged)
        XCTAssertNil(r.judge(flat, readout: "x", isReference: false).retained)
        let revealed = CallLevels(referenceVehicle: 1, referenceTreated: 1.1, vehicle: 1, treated: 1.5)
        XCTAssertEqual(r.judge(revealed, readout: "x", isReference: false).call, .changed)
    }

    /// Each assay's own resolution: spines imaged at 10% (minimum fold 1.1), a blot without its
    /// own (the experiment's 1.25). Hand-computed: log2 1.1 = 0.1375, log2 1.25 = 0.3219.
    func testAssayMinimumFoldSetsTheReadoutsThreshold() {
        let r = CallRules(
            assays: AssayPanel(assays: [
                Assay(name: "imaging", cv: 0.15, floor: 0, readouts: ["spines"], minimumFold: 1.1),
                Assay(name: "blot", cv: 0.2, floor: 0, readouts: ["p"]),
            ]))
        XCTAssertEqual(r.minimumFold("spines"), 1.1)
        XCTAssertEqual(r.minimumFold("p"), 1.25)
        XCTAssertEqual(r.minimumFold("unlisted"), 1.25)
        // Ketamine alone x1.15 (log2 0.2016): a change for spines (≥ 0.1375), not for the blot (< 0.3219).
        let alone = CallLevels(referenceVehicle: 1, referenceTreated: 1.15, vehicle: 1, treated: 1.15)
        XCTAssertEqual(r.judge(alone, readout: "spines", isReference: true).call, .changed)
        XCTAssertEqual(r.judge(alone, readout: "p", isReference: true).call, .unchanged)
        // Ketamine x1.3 alone (ref 0.3785), x1.12 under the inhibitor (fc 0.1635, r = 0.432): partial
        // where 0.1635 ≥ d (spines), blocked where it is below d (the blot's 0.3219).
        let under = CallLevels(referenceVehicle: 1, referenceTreated: 1.3, vehicle: 1, treated: 1.12)
        XCTAssertEqual(r.judge(under, readout: "spines", isReference: false).call, .partial)
        XCTAssertEqual(r.judge(under, readout: "p", isReference: false).call, .blocked)
        XCTAssertEqual(try XCTUnwrap(r.judge(under, readout: "spines", isReference: false).retained), 0.16349873 / 0.37851162, accuracy: 1e-6)
        // An inhibitor alone x1.12 mimics spines (≥ 0.1375: occluded) but not the blot.
        let mimic = CallLevels(referenceVehicle: 1, referenceTreated: 1.3, vehicle: 1.12, treated: 1.12)
        XCTAssertEqual(r.judge(mimic, readout: "spines", isReference: false).call, .occluded)
        XCTAssertEqual(r.judge(mimic, readout: "p", isReference: false).call, .blocked)
        // The confidence uses the assay's threshold: equal to rules whose experiment-wide fold is 1.1.
        var wide = CallThresholds()
        wide.minimumFold = 1.1
        let same = CallRules(thresholds: wide, assays: AssayPanel(assays: [Assay(name: "imaging", cv: 0.15, floor: 0, readouts: ["spines"])]))
        XCTAssertEqual(
            r.confidence(under, readout: "spines", isReference: false), same.confidence(under, readout: "spines", isReference: false), accuracy: 1e-12)
        // One threshold for all (`--minimum-fold`): the assays' own are dropped.
        XCTAssertEqual(CallRules(thresholds: wide, assays: r.assays.uniformThreshold()).minimumFold("spines"), 1.1)
        XCTAssertEqual(CallRules(assays: r.assays.uniformThreshold()).minimumFold("spines"), 1.25)
    }

    /// Reference condition: the call is "changed" when |log2 fc| ≥ d. On a triplicate plate each
    /// arm's ln mean has SD σ/√3, σ = √ln(1 + CV²), so the estimated log2 fc has SD
    /// s = √2 σ / (√3 ln 2) and P(changed) = Φ((x − d)/s) + Φ((−d − x)/s).
    func testConfidenceOfAChangeMatchesTheNormalFormula() {
        let cv = 0.2
        let sigma = Foundation.log(1 + cv * cv).squareRoot()
        let s = 2.0.squareRoot() * sigma / (3.0.squareRoot() * Foundation.log(2))
        let d = Foundation.log2(1.25)
        for x in [d + s, d + 0.3 * s, 2 * d] {
            let expected = normalCDF((x - d) / s) + normalCDF((-d - x) / s)
            let levels = CallLevels(referenceVehicle: 1, referenceTreated: pow(2, x), vehicle: 1, treated: pow(2, x))
            XCTAssertEqual(rules(cv: cv).confidence(levels, readout: "x", isReference: true), expected, accuracy: 1e-12, "x = \(x)")
            // And the seeded draws agree (20000 draws: standard error at most 0.0035).
            let p = rules(cv: cv).sampledConfidence(levels, readout: "x", isReference: true, seed: 7, draws: 20000)
            XCTAssertEqual(p, expected, accuracy: 0.015, "x = \(x)")
        }
    }

    /// A condition that retains exactly the blocked share of a large effect (ref = 10 in log2,
    /// fc = 2.5) sits on the boundary: fc − ¼ ref is estimated symmetric around 0, so the call
    /// "blocked" holds on half of the plates. The inhibitor lowers x 16-fold, so it never occludes.
    func testConfidenceOnTheBlockedBoundaryIsAHalf() {
        let x = CallLevels(referenceVehicle: 1, referenceTreated: pow(2, 10), vehicle: 1.0 / 16, treated: pow(2, 2.5) / 16)
        let r = rules()
        XCTAssertEqual(r.judge(x, readout: "x", isReference: false).call, .blocked)
        XCTAssertEqual(r.sampledConfidence(x, readout: "x", isReference: false, seed: 11, draws: 20000), 0.5, accuracy: 0.015)
        // Same seed, same value.
        XCTAssertEqual(
            r.sampledConfidence(x, readout: "x", isReference: false, seed: 11), r.sampledConfidence(x, readout: "x", isReference: false, seed: 11))
        // The exact value: fc − ¼ ref is normal with mean 0 up to the tail of |fc| < d and own,
        // 16 SDs away, so ½ to many digits.
        XCTAssertEqual(r.confidence(x, readout: "x", isReference: false), 0.5, accuracy: 1e-9)
    }

    /// The exact confidence against 100 000 seeded draws (standard error at most 0.0016) for every
    /// call, with and without floors near the groups (the three ways of integrating): cases on
    /// call boundaries, where the probability is far from 0 and 1.
    func testExactConfidenceAgreesWithDraws() {
        let d = Foundation.log2(1.25)
        let cases: [(String, CallLevels, Double, Bool)] = [
            ("changed near r = 0.75", CallLevels(referenceVehicle: 1, referenceTreated: 2, vehicle: 1, treated: pow(2, 0.8)), 0, false),
            ("partial", CallLevels(referenceVehicle: 1, referenceTreated: 2, vehicle: 1, treated: pow(2, 0.5)), 0, false),
            ("blocked near |fc| = d", CallLevels(referenceVehicle: 1, referenceTreated: 2, vehicle: 0.9, treated: 0.9 * pow(2, d * 0.9)), 0, false),
            ("occluded near own = d", CallLevels(referenceVehicle: 1, referenceTreated: 2, vehicle: 1.3, treated: 1.3 * pow(2, 0.1)), 0, false),
            ("blocked near own = d", CallLevels(referenceVehicle: 1, referenceTreated: 2, vehicle: 1.2, treated: 1.2 * pow(2, 0.1)), 0, false),
            ("down: occluded", CallLevels(referenceVehicle: 1, referenceTreated: 0.6, vehicle: 0.75, treated: 0.72), 0, false),
            ("unchanged near d", CallLevels(referenceVehicle: 1, referenceTreated: 1.2, vehicle: 1, treated: 1.2), 0, false),
            ("floor under the condition", CallLevels(referenceVehicle: 1, referenceTreated: 2, vehicle: 0.1, treated: 0.14), 0.1, false),
            (
                "floor under the treated condition only", CallLevels(referenceVehicle: 1, referenceTreated: 0.5, vehicle: 0.6, treated: 0.6 * pow(2, -0.75)),
                0.33, false
            ),
            ("floor under the reference treated", CallLevels(referenceVehicle: 1, referenceTreated: 0.12, vehicle: 0.8, treated: 0.2), 0.1, false),
            ("reference with a floor", CallLevels(referenceVehicle: 1, referenceTreated: 0.75, vehicle: 1, treated: 0.75), 0.7, true),
        ]
        for (name, x, floor, isReference) in cases {
            let r = rules(floor: floor)
            let exact = r.confidence(x, readout: "x", isReference: isReference)
            let drawn = r.sampledConfidence(x, readout: "x", isReference: isReference, seed: 3, draws: 100_000)
            XCTAssertEqual(exact, drawn, accuracy: 0.006, "\(name): call \(r.judge(x, readout: "x", isReference: isReference).call)")
            XCTAssertGreaterThan(exact, 0.02, name)
            XCTAssertLessThan(exact, 0.98, name)
        }
    }

    /// Bliss and HSA excess by hand: singles retain 50% and 60% (remove 0.5 and 0.4), the pair
    /// retains 10% (removes 0.9). Independent action predicts 1 − 0.5·0.6 = 0.7 removed.
    func testInteractionExcessOverBlissAndHighestSingleAgent() throws {
        let i = try XCTUnwrap(Interaction.from(combination: 0.1, singles: [0.5, 0.6]))
        XCTAssertEqual(i.bliss, 0.2, accuracy: 1e-12)
        XCTAssertEqual(i.hsa, 0.4, accuracy: 1e-12)
        // Shares outside [0, 1] are clipped: an enhancing single removes 0, a reversing one 1.
        let c = try XCTUnwrap(Interaction.from(combination: 0.3, singles: [1.2, -0.5]))
        XCTAssertEqual(c.bliss, -0.3, accuracy: 1e-12)
        XCTAssertEqual(c.hsa, -0.3, accuracy: 1e-12)
        // Additive under Bliss: 0.5 and 0.5 retained, 0.25 retained together.
        XCTAssertEqual(try XCTUnwrap(Interaction.from(combination: 0.25, singles: [0.5, 0.5])).bliss, 0, accuracy: 1e-12)
        XCTAssertNil(Interaction.from(combination: nil, singles: [0.5, 0.5]))
        XCTAssertNil(Interaction.from(combination: 0.2, singles: [0.5, nil]))
    }

    /// Exact Hill data (IC50 0.3 µM, Hill 1.2, max block 0.9) are recovered by the fit.
    func testDoseResponseFitRecoversAHillCurve() throws {
        let cs = [0.01, 0.03, 0.1, 0.3, 1, 3, 10]
        let block = cs.map { 0.9 * pow($0, 1.2) / (pow($0, 1.2) + pow(0.3, 1.2)) }
        let f = try XCTUnwrap(DoseResponse.fit(concentrations: cs, block: block))
        XCTAssertEqual(f.ic50, 0.3, accuracy: 0.003)
        XCTAssertEqual(f.hill, 1.2, accuracy: 0.01)
        XCTAssertEqual(f.maxBlock, 0.9, accuracy: 0.002)
        XCTAssertNil(DoseResponse.fit(concentrations: cs, block: cs.map { _ in 0 }), "no blockade, no IC50")
        XCTAssertNil(DoseResponse.fit(concentrations: [0.1, 1], block: [0.2, 0.8]), "two doses are not a curve")
    }
}
