import CascadeCore
import CascadeExperiments
import CascadeSolver
import Foundation
import XCTest

final class InhibitorPanelTests: XCTestCase {
    /// X is made at rate kprod·(1 − f_R)·(1 + g_R) and degraded at rate kdeg·X.
    static let model = Model("hooks") {
        Compartment(id: "c", size: 1)
        Species(id: "X", compartment: "c", initial: .concentration(1))
        Parameter(id: "kprod", value: 1)
        Parameter(id: "kdeg", value: 1)
        Parameter(id: "f_R", value: 0)
        Parameter(id: "g_R", value: 0)
        Reaction(id: "make", products: [SpeciesReference("X")], rate: "c" * "kprod" * (1 - "f_R") * (1 + "g_R"))
        Reaction(id: "loss", reactants: [SpeciesReference("X")], rate: "c" * "kdeg" * "X")
    }

    let panelText = """
        inhibitors:
          blockA:
            targets: [{hook: f_R, max: 1}]
            mechanism: occupancy
            ic50: 100 nM
            hill: 1
            typical: 10 uM
            source: test value
            confidence: assumed
          blockB:
            targets: [{hook: f_R, max: 0.5}]
            mechanism: occupancy
            ic50: 1 uM
            hill: 2
            typical: 1 uM
            source: test value
            confidence: assumed
          slowC:
            targets: [{hook: f_R}]
            mechanism: kinetics
            kon: 0.01
            koff: 0.001
            typical: 1 uM
            source: test value
            confidence: assumed
          boost:
            targets: [{hook: g_R, max: 2, potentiates: true}]
            mechanism: occupancy
            ic50: 1 uM
            typical: 1 uM
            source: test value
            confidence: assumed
        """

    func load(_ text: String) throws -> InhibitorPanel {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("panel-\(UUID().uuidString).yaml")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try InhibitorPanel.load(url)
    }

    func steadyX(_ m: Model, _ inputs: [String: Double], until t: Double = 50) throws -> Double {
        let sim = try Simulator(CompiledModel(m), options: SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14))
        return try sim.simulate(times: [0, t], outputs: [OutputColumn("X")], inputs: inputs).final[0]
    }

    func testOccupancyAndUnits() throws {
        let panel = try load(panelText)
        XCTAssertEqual(panel.inhibitors.map(\.id), ["blockA", "blockB", "slowC", "boost"])
        let a = try XCTUnwrap(panel["blockA"])
        XCTAssertEqual(a.typical, 10)
        XCTAssertEqual(a.occupancy(at: 0.1), 0.5, accuracy: 1e-15, "IC50 of 100 nM is 0.1 µM")
        XCTAssertEqual(try XCTUnwrap(panel["blockB"]).occupancy(at: 2), 4.0 / 5.0, accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(panel["slowC"]).occupancy(at: 1), 0.01 / 0.011, accuracy: 1e-15)
    }

    func testAppliedDrugsActOnTheirHooks() throws {
        let panel = try load(panelText)
        try panel.check(against: Self.model)
        XCTAssertEqual(try steadyX(Self.model, [:]), 1, accuracy: 1e-8)
        let m = try panel.apply(["blockA", "blockB", "boost"], to: Self.model)
        XCTAssertEqual(try steadyX(m, [:]), 1, accuracy: 1e-8, "no drug in the bath: no effect")
        XCTAssertEqual(try steadyX(m, ["blockA_conc": 0.1]), 0.5, accuracy: 1e-8)
        // Independent action: 1 − (1 − 0.5)(1 − 0.5·0.8) = 0.7 inhibited.
        XCTAssertEqual(try steadyX(m, ["blockA_conc": 0.1, "blockB_conc": 2]), 0.3, accuracy: 1e-8)
        XCTAssertEqual(try steadyX(m, ["boost_conc": 1]), 2, accuracy: 1e-8, "gain 1 + 2·0.5")
    }

    func testKineticDrugWashesInSlowly() throws {
        let panel = try load(panelText)
        let m = try panel.apply(["slowC"], to: Self.model)
        // occupancy(t) = occ∞(1 − e^{−(kon c + koff) t}); at t = 10 s it is still small.
        let occInf = 0.01 / 0.011
        let sim = try Simulator(CompiledModel(m), options: SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14))
        let traj = try sim.simulate(times: [0, 10, 100], outputs: [OutputColumn("slowC_occupancy")], inputs: ["slowC_conc": 1])
        XCTAssertEqual(traj[1, 0], occInf * (1 - exp(-0.011 * 10)), accuracy: 1e-8)
        XCTAssertEqual(traj[2, 0], occInf * (1 - exp(-0.011 * 100)), accuracy: 1e-8)
    }

    func testBadPanelsGiveLocatedErrors() throws {
        func message(_ text: String) -> String {
            do { _ = try load(text); return "no error" } catch { return "\(error)" }
        }
        let typo = panelText.replacingOccurrences(of: "    hill: 2", with: "    hil: 2")
        XCTAssertTrue(message(typo).contains(":14:5:") && message(typo).contains("unknown field 'hil'"), message(typo))
        let negative = panelText.replacingOccurrences(of: "ic50: 1 uM\n    hill: 2", with: "ic50: -1 uM\n    hill: 2")
        XCTAssertTrue(message(negative).contains("inhibitors.blockB.ic50: concentrations must not be negative"), message(negative))
        let unit = panelText.replacingOccurrences(of: "typical: 10 uM", with: "typical: 10 furlongs")
        XCTAssertTrue(message(unit).contains(":7:") && message(unit).contains("cannot read '10 furlongs'"), message(unit))
        let noSource = panelText.replacingOccurrences(
            of: "    source: test value\n    confidence: assumed\n  blockB", with: "    confidence: assumed\n  blockB")
        XCTAssertTrue(message(noSource).contains("missing field 'source'"), message(noSource))
        XCTAssertTrue(message("inhibitors: [").contains("malformed YAML"), message("inhibitors: ["))
        let panel = try load(panelText)
        XCTAssertThrowsError(try panel.apply(["nope"], to: Self.model)) { XCTAssertTrue("\($0)".contains("unknown inhibitor 'nope'")) }
        var wrong = Self.model
        wrong.parameters.removeAll { $0.id == "g_R" }
        XCTAssertThrowsError(try panel.check(against: wrong)) { XCTAssertTrue("\($0)".contains("hook 'g_R' is not a parameter")) }
    }

    func testUnitParsing() {
        XCTAssertEqual(Units.seconds("30 min"), 1800)
        XCTAssertEqual(Units.seconds("2 h"), 7200)
        XCTAssertEqual(Units.seconds("3 d"), 259_200)
        XCTAssertEqual(Units.seconds("1.5e3"), 1500)
        XCTAssertEqual(Units.seconds("250 ms"), 0.25)
        XCTAssertNil(Units.seconds("2 fortnights"))
        XCTAssertEqual(Units.micromolar("100 nM"), 0.1)
        XCTAssertEqual(Units.micromolar("1 µM"), 1)
        XCTAssertEqual(Units.micromolar("2 mM"), 2000)
        XCTAssertEqual(Units.micromolar("5"), 5)
        XCTAssertNil(Units.micromolar("abc"))
    }
}
