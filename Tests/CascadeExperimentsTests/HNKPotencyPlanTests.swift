import CascadeCore
import CascadeExperiments
import Foundation
import XCTest

/// The HNK plate plan (models/experiments/hnk_plan.yaml; models/README.md, "HNK potency"): the
/// model's assumed (2R,6R)-HNK potency (EC50 0.3 µM, set to Cavalleri 2018's effective range)
/// against the slice-measured one (EC50 3.3 µM, Riggs 2020). At 0.5 µM for 6 h the two readings
/// predict HNK effects that differ severalfold on the TrkB-ERK-mTORC1 westerns, so a single
/// HNK-versus-vehicle western group already tells them apart beyond the target.
final class HNKPotencyPlanTests: XCTestCase {
    static let repo = CohortTests.repo

    func testOneWesternGroupTellsThePotenciesApart() throws {
        let spec = try PlanSpec.load(Self.repo.appendingPathComponent("models/experiments/hnk_plan.yaml"))
        XCTAssertEqual(spec.hypotheses.map(\.id), ["hnk_potent", "hnk_slice"])
        let result = try Planner.plan(spec, threads: 2)
        XCTAssertTrue(result.dropped.isEmpty, "\(result.dropped)")
        XCTAssertEqual(result.pairs.count, 1)
        let first = try XCTUnwrap(result.steps.first)
        // The first well set is HNK alone against vehicle, read by western, and it reaches the target.
        XCTAssertTrue(first.condition.inhibitors.isEmpty, "\(first.condition)")
        XCTAssertEqual(spec.noise.kinds[first.assay].name, "western")
        XCTAssertGreaterThanOrEqual(first.minAfter, spec.targetSeparation, "separation after the first group")
        XCTAssertEqual(result.targetReached?.step, 1, "the target is reached with the first step (steps count from 1)")
        // Under the assumed potency HNK's p-ERK rise is several times the slice potency's: the
        // ratio of the two EC50-weighted occupancies at 0.5 µM, 0.625 and 0.13, before the network.
        let erk = try XCTUnwrap(spec.readouts.firstIndex(of: "p_ERK"))
        let potent = first.groupEffects[0][erk], slice = first.groupEffects[1][erk]
        XCTAssertGreaterThan(slice, 0.1, "the slice potency still acts a little at 0.5 µM")
        XCTAssertGreaterThan(potent, 2 * slice)
    }
}
