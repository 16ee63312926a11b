import CascadeCore
import CascadeExperiments
import Foundation
import XCTest

/// The literature scorecard over an ensemble of parameter sets, on the ketamine model: members at
/// the model's own values reproduce exactly the nominal results; a member without pyramidal
/// NMDAR block loses the findings that need it at rest.
final class ScorecardEnsembleTests: XCTestCase {
    func testMembersAtTheModelsValuesAgreeAndAMemberWithoutPyramidalBlockLosesF1() throws {
        let model = KetamineModelTests.model
        let card = try Scorecard.load(contentsOf: KetamineModelTests.scorecardURL)
        let nominal = KetamineModelTests.scorecardResults
        let shift = try XCTUnwrap(model.parameter("shift_pyr")?.value)

        // Two members at the model's own value (one parameter set, simulated once).
        let (same, a) = try card.runEnsemble(on: model, members: [["shift_pyr": shift], ["shift_pyr": shift]], threads: 2)
        XCTAssertEqual(a.summary.members, 2)
        XCTAssertEqual(a.summary.distinct, 1)
        XCTAssertTrue(a.summary.failed.isEmpty)
        for (r, n) in zip(same, nominal) {
            XCTAssertEqual(r.figure, n.figure, "the nominal figures are kept")
            guard r.addressed else {
                XCTAssertNil(r.ensemble)
                continue
            }
            XCTAssertEqual(r.ensemble, Scorecard.EnsembleShare(members: 2, reproduced: n.reproduced ? 2 : 0), r.id)
            for c in r.checks { XCTAssertEqual(c.ensemble, Scorecard.EnsembleShare(members: 2, reproduced: c.passed ? 2 : 0), "\(r.id): \(c.check.what)") }
        }

        // shift_pyr 1000: 1 µM ketamine blocks ~0.1% of pyramidal NMDARs. Under TTX (no firing,
        // so no disinhibition) p-eEF2 can only fall through that block: F1's check at rest
        // fails, so F1 holds in 2 of the 3 members.
        let (mixed, b) = try card.runEnsemble(
            on: model, members: [["shift_pyr": shift], ["shift_pyr": 1000], ["shift_pyr": shift]], threads: 2)
        XCTAssertEqual(b.summary.distinct, 2)
        let f1 = try XCTUnwrap(mixed.first { $0.id == "F1" })
        XCTAssertTrue(f1.reproduced)
        XCTAssertEqual(f1.ensemble, Scorecard.EnsembleShare(members: 3, reproduced: 2))
        let atRest = try XCTUnwrap(f1.checks.first { $0.check.what.contains("TTX") })
        XCTAssertEqual(atRest.ensemble?.reproduced, 2)
        XCTAssertEqual(b.reproducedBy.map(\.member), [0, 1, 2])
        XCTAssertFalse(b.reproducedBy[1].findings.contains("F1"))
        XCTAssertEqual(b.reproducedBy[0].findings, b.reproducedBy[2].findings)
        XCTAssertEqual(b.reproducedBy[0].findings, Set(nominal.filter(\.reproduced).map(\.id)))
    }
}
