import CascadeCore
import CascadeExperiments
import CascadeSolver
import Foundation
import XCTest

/// The default knockout screen gives the calls the literature supports (LITERATURE.md F3-F5, F11).
final class KnockoutScreenTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The default screen, run once for all tests in this class.
    static let screen: Result<ScreenResult, Error> = Result {
        let e = try Experiment.load(repo.appendingPathComponent("models/experiments/knockout_screen.yaml"))
        return try KnockoutScreen.run(e)
    }

    func effect(_ condition: String, _ readout: String, _ time: Double) throws -> Effect {
        let r = try Self.screen.get()
        let c = try XCTUnwrap(r.conditions.first { $0.condition.id == condition }, "no condition \(condition)")
        XCTAssertNil(c.failure)
        return try XCTUnwrap(c.effects.first { $0.readout == readout && $0.time == time }, "\(readout) at \(time)")
    }

    func call(_ condition: String, _ readout: String, _ time: Double) throws -> Effect.Call {
        try effect(condition, readout, time).call
    }

    let min30 = 1800.0, h2 = 7200.0, h24 = 86400.0, h72 = 259_200.0

    func testKetamineAloneChangesTheCanonicalReadouts() throws {
        XCTAssertLessThan(try XCTUnwrap(effect("none", "p_eEF2", min30).log2fc), 0, "p-eEF2 falls (F1)")
        XCTAssertGreaterThan(try XCTUnwrap(effect("none", "BDNF", min30).log2fc), 0, "BDNF rises (F1, F5)")
        XCTAssertGreaterThan(try XCTUnwrap(effect("none", "p_S6K", min30).log2fc), 0, "p-S6K rises (F3)")
        XCTAssertGreaterThan(try XCTUnwrap(effect("none", "synaptic_proteins", h2).log2fc), 0, "synaptic proteins rise (F3)")
        XCTAssertGreaterThan(try XCTUnwrap(effect("none", "spine_density", h24).log2fc), 0, "spines rise (F3, F6)")
        XCTAssertGreaterThan(try XCTUnwrap(effect("none", "spine_density", h72).log2fc), 0, "spines still up at 3 days")
    }

    /// The inhibitor keeps at most a quarter of ketamine's log2 fold change (the screen's "blocked").
    func assertKeepsAtMostAQuarter(_ condition: String, _ readout: String, _ time: Double, file: StaticString = #filePath, line: UInt = #line) throws {
        let alone = try XCTUnwrap(effect("none", readout, time).log2fc)
        let under = try XCTUnwrap(effect(condition, readout, time).log2fc)
        XCTAssertGreaterThan(alone, 0.2, "\(readout): ketamine's own effect", file: file, line: line)
        XCTAssertLessThanOrEqual(abs(under), 0.25 * alone, "\(condition) on \(readout)", file: file, line: line)
    }

    func testNBQXBlocksTheMTORC1ArmButNotTheEEF2Fall() throws {
        XCTAssertEqual(try call("NBQX", "p_S6K", min30), .blocked)
        // Ketamine's synaptic protein rise at 2 h sits at the screen's 1.25-fold detection limit
        // (x1.249 in model v3), so the call flips on tiny changes: check the share kept instead.
        try assertKeepsAtMostAQuarter("NBQX", "synaptic_proteins", h2)
        XCTAssertEqual(try call("NBQX", "p_eEF2", min30), .changed)
    }

    func testRapamycinBlocksS6KAndSynapticProteinsNotEEF2OrBDNF() throws {
        XCTAssertEqual(try call("rapamycin", "p_S6K", min30), .blocked)
        try assertKeepsAtMostAQuarter("rapamycin", "synaptic_proteins", h2)
        XCTAssertEqual(try call("rapamycin", "p_eEF2", min30), .changed)
        XCTAssertGreaterThan(try XCTUnwrap(effect("rapamycin", "BDNF", min30).log2fc), 0.9 * (try XCTUnwrap(effect("none", "BDNF", min30).log2fc)))
    }

    func testANA12BlocksTrkBDependentReadouts() throws {
        for readout in ["p_TrkB", "p_ERK", "p_Akt", "p_S6K"] {
            XCTAssertEqual(try call("ANA12", readout, min30), .blocked, readout)
        }
    }

    func testNaltrexoneSparesSignallingButBlocksOpioidGatedPlasticity() throws {
        for readout in ["p_eEF2", "p_S6K"] {
            XCTAssertEqual(try call("naltrexone", readout, min30), .changed, readout)
        }
        // The spine rise (below the screen's 1.25-fold detection limit on plates) is gated away when
        // naltrexone is held through the spinogenic program (12-24 h); washed out at 2 h 5 min with
        // the other inhibitors, it no longer covers the program and most of the rise comes back.
        let spines = try XCTUnwrap(effect("none", "spine_density", h24).log2fc)
        XCTAssertLessThan(abs(try XCTUnwrap(effect("naltrexone_held", "spine_density", h24).log2fc)), 0.1 * spines)
        XCTAssertLessThan(abs(try XCTUnwrap(effect("naltrexone_held", "spine_density", h72).log2fc)), 0.1 * spines)
        XCTAssertGreaterThan(try XCTUnwrap(effect("naltrexone", "spine_density", h24).log2fc), 0.5 * spines)
        for readout in ["p_eEF2", "p_S6K"] {
            XCTAssertEqual(try call("naltrexone_held", readout, min30), .changed, readout)
        }
    }

    func testEveryConditionSimulatesAndTheScreenCoversThePanel() throws {
        let r = try Self.screen.get()
        XCTAssertEqual(r.conditions.count, 1 + 14 + 21 + 1 + 4, "none, singles, pairs, naltrexone held, four more ketamine doses")
        XCTAssertTrue(r.conditions.allSatisfy { $0.failure == nil })
        XCTAssertEqual(r.readouts.count, 16)
    }

    func testJSONFollowsTheContract() throws {
        let r = try Self.screen.get()
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.json().utf8)) as? [String: Any])
        XCTAssertEqual((obj["readouts"] as? [String])?.count, 16)
        let conditions = try XCTUnwrap(obj["conditions"] as? [[String: Any]])
        XCTAssertEqual(conditions.first?["id"] as? String, "none")
        let nbqx = try XCTUnwrap(conditions.first { $0["id"] as? String == "NBQX" })
        XCTAssertEqual((nbqx["inhibitors"] as? [String: Double])?["NBQX"], 10)
        let effect = try XCTUnwrap((nbqx["effects"] as? [[String: Any]])?.first)
        // The contract's keys, extended with the call's confidence, the inhibitors' own effect and
        // the readout's threshold (its assay's minimum fold: glutamate, read in the supernatant, 1.2).
        XCTAssertEqual(
            Set(effect.keys), ["readout", "time", "vehicle", "treated", "log2fc", "retained", "call", "confidence", "inhibitor_log2fc", "minimum_fold"])
        XCTAssertEqual(effect["readout"] as? String, "glutamate")
        XCTAssertEqual(effect["minimum_fold"] as? Double, 1.2)
        XCTAssertTrue(["changed", "partial", "blocked", "occluded", "unchanged"].contains(effect["call"] as? String ?? ""))
    }

    /// Combinations carry Bliss and HSA excess computed from their singles at the same time and readout.
    func testCombinationsCarryTheirInteraction() throws {
        let pair = try effect("NBQX+rapamycin", "p_S6K", min30)
        let a = try effect("NBQX", "p_S6K", min30), b = try effect("rapamycin", "p_S6K", min30)
        let expected = try XCTUnwrap(Interaction.from(combination: pair.retained, singles: [a.retained, b.retained]))
        XCTAssertEqual(pair.interaction, expected)
        XCTAssertNil(a.interaction)
        XCTAssertNil(try effect("none", "p_S6K", min30).interaction)
    }
}
