import CascadeCore
import CascadeExperiments
import CascadeSolver
import Foundation
import XCTest

/// Per-drug protocol steps and per-condition protocols in a screen.
final class ProtocolStepTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func load(_ body: String) throws -> Experiment {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("protocol-steps-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let models = Self.repo.appendingPathComponent("models").path
        let text = """
            model: \(models)/ketamine.ant
            panel: \(models)/inhibitors.yaml
            readouts: [p_eEF2, p_S6K]
            times: [30 min, 4 h]
            settle: 1 d

            """ + body
        let url = dir.appendingPathComponent("e.yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return try Experiment.load(url)
    }

    /// The concentration of each drug over time in one arm of one condition.
    func concentrations(_ e: Experiment, _ c: Condition, _ drugs: [String], at times: [Double]) throws -> [[Double]] {
        var pe = e
        pe.protocolSteps = PlateProtocol(steps: e.protocolSteps.steps + c.steps)
        let compiled = try CompiledModel(PlateProtocol.screeningModel(pe, drugs: drugs))
        let traj = try Simulator(compiled).simulate(
            times: times, outputs: drugs.map { OutputColumn("\($0)_conc") },
            inputs: TreatmentInputs(arm: 1, doses: c.inhibitors).values, start: -7200)
        return (0 ..< times.count).map { r in (0 ..< drugs.count).map { traj[r, $0] } }
    }

    /// `{at: 2 h, add: rapamycin}`: rapamycin is not pre-incubated but added at 2 h at the
    /// condition's concentration, then washed at 26 h; NBQX, with no step of its own, is
    /// pre-incubated as before.
    func testInhibitorAddedAndWashedOnItsOwn() throws {
        let e = try load(
            """
            protocol:
              - {at: -30 min, preincubate: inhibitors}
              - {at: 0, add: ketamine, concentration: 1 uM}
              - {at: 2 h, add: rapamycin}
              - {at: 26 h, wash: [rapamycin]}
            screen: {singles: [NBQX, rapamycin], combinations: {of: [NBQX, rapamycin], up_to: 2}}
            """)
        let both = try XCTUnwrap(e.conditions.first { $0.id == "NBQX+rapamycin" })
        let c = try concentrations(e, both, ["NBQX", "rapamycin"], at: [-3600, -600, 3600, 7200, 7300, 93600, 94000])
        XCTAssertEqual(c.map { $0[0] }, [0, 10, 10, 10, 10, 10, 10])
        XCTAssertEqual(c.map { $0[1] }, [0, 0, 0, 0.1, 0.1, 0, 0])
    }

    /// A given concentration applies in the conditions that have the inhibitor, and only there.
    func testGivenConcentrationOnlyWhereTheConditionHasTheInhibitor() throws {
        let e = try load(
            """
            protocol:
              - {at: -30 min, preincubate: inhibitors}
              - {at: 0, add: ketamine, concentration: 1 uM}
              - {at: 2 h, add: rapamycin, concentration: 20 nM}
            screen: {singles: [NBQX, rapamycin]}
            """)
        let rapa = try XCTUnwrap(e.conditions.first { $0.id == "rapamycin" })
        XCTAssertEqual(try concentrations(e, rapa, ["NBQX", "rapamycin"], at: [7300]).first?[1] ?? -1, 0.02, accuracy: 1e-15)
        let nbqx = try XCTUnwrap(e.conditions.first { $0.id == "NBQX" })
        XCTAssertEqual(try concentrations(e, nbqx, ["NBQX", "rapamycin"], at: [7300]).first, [10, 0])
    }

    /// Per-condition protocols in one screen: rapamycin pre-incubated blocks ketamine's rise of
    /// p-S6K at 30 min; rapamycin added only at 2 h cannot, so at 30 min that condition is the
    /// uninhibited one (same call, log2 fold change within the solver tolerance).
    func testConditionsWithTheirOwnProtocolInOneScreen() throws {
        let e = try load(
            """
            protocol:
              - {at: -30 min, preincubate: inhibitors}
              - {at: 0, add: ketamine, concentration: 1 uM}
              - {at: 1 h, wash: [ketamine]}
            screen:
              singles: [rapamycin]
              conditions:
                - id: rapamycin_from_2h
                  inhibitors: [rapamycin]
                  protocol: [{at: 2 h, add: rapamycin}]
            """)
        XCTAssertEqual(e.conditions.map(\.id), ["none", "rapamycin", "rapamycin_from_2h"])
        let r = try KnockoutScreen.run(e, threads: 2)
        func effect(_ c: String, _ readout: String, _ t: Double) throws -> Effect {
            let cond = try XCTUnwrap(r.conditions.first { $0.condition.id == c })
            XCTAssertNil(cond.failure)
            return try XCTUnwrap(cond.effects.first { $0.readout == readout && $0.time == t })
        }
        XCTAssertEqual(try effect("none", "p_S6K", 1800).call, .changed)
        XCTAssertEqual(try effect("rapamycin", "p_S6K", 1800).call, .blocked)
        XCTAssertEqual(try effect("rapamycin_from_2h", "p_S6K", 1800).call, .changed)
        XCTAssertEqual(
            try XCTUnwrap(effect("rapamycin_from_2h", "p_S6K", 1800).log2fc),
            try XCTUnwrap(effect("none", "p_S6K", 1800).log2fc), accuracy: 1e-4)
    }

    func testConditionStepsAreCheckedWithDidYouMean() throws {
        XCTAssertThrowsError(
            try load(
                """
                protocol:
                  - {at: 0, add: ketamine, concentration: 1 uM}
                screen:
                  conditions:
                    - {id: late, inhibitors: [rapamycin], protocol: [{at: 2 h, add: rapamycine}]}
                """)
        ) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("did you mean 'rapamycin'"), text)
            XCTAssertTrue(text.contains("e.yaml:"), text)
        }
        XCTAssertThrowsError(
            try load(
                """
                protocol:
                  - {at: 0, add: ketamine, concentration: 1 uM}
                screen:
                  conditions:
                    - {id: late, inhibitors: [rapamycin], protocol: [{at: 2 h, add: NBQX}]}
                """)
        ) { error in
            XCTAssertTrue("\(error)".contains("not among its inhibitors"), "\(error)")
        }
    }
}
