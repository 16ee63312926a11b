import CascadeCore
import CascadeEstimation
import CascadeExperiments
import CascadeFormats
import CascadeSolver
import Foundation
import XCTest

/// The ketamine network (models/ketamine.ant) and its literature scorecard (models/scorecard.yaml).
final class KetamineModelTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let modelURL = repository.appendingPathComponent("models/ketamine.ant")
    static let scorecardURL = repository.appendingPathComponent("models/scorecard.yaml")

    static let model: Model = {
        do { return try Antimony.parse(contentsOf: modelURL) } catch { fatalError("models/ketamine.ant: \(error)") }
    }()

    /// The scorecard, run once for all tests that need it.
    static let scorecardResults: [Scorecard.FindingResult] = {
        do {
            let card = try Scorecard.load(contentsOf: scorecardURL)
            return try card.run(on: model)
        } catch {
            fatalError("scorecard: \(error)")
        }
    }()

    static let readouts = [
        "glutamate", "pyr_rate", "int_rate", "p_eEF2", "BDNF", "p_TrkB", "p_ERK", "p_Akt", "p_S6K",
        "p_4EBP1", "p_GSK3B", "surface_GluA1", "synaptic_proteins", "spine_density", "glutamine_cycling",
        "mor_activity", "surface_GluA2", "arbor", "soma_size", "mea_rate", "mea_burst_drive", "p_GluA1_S845",
    ]

    static let hooks: [String: Double] = [
        "f_AMPAR": 0, "f_TrkB": 0, "f_BDNF_scavenged": 0, "f_mTORC1": 0, "f_MEK": 0, "f_PI3K": 0, "f_eEF2K": 0,
        "f_MOR": 0, "f_GSK3": 0, "f_NMDAR_extra": 0, "AMPAR_potentiation": 0, "eEF2K_stimulation": 0,
        "f_pGSK3_phosphatase": 0, "GSK3_S9A": 0, "f_CaN": 0, "f_translation": 0, "f_Nav": 0, "kd_GluN2B_pyr": 0, "kd_GluN2B_int": 0,
        "mor_agonist": 0, "ketamine_bath": 0, "esketamine_bath": 0, "arketamine_bath": 0, "norketamine_bath": 0,
        "HNK_bath": 0, "BDNF_bath": 0, "memantine_bath": 0, "infusion_rate": 0, "in_vivo": 0, "route_direct": 1, "route_disinhibition": 1,
        "opioid_gate": 1,
    ]

    static let platePrototol = TreatmentProtocol(
        name: "plate",
        steps: [
            .init(time: 0, parameter: "ketamine_bath", value: 1),
            .init(time: 3600, parameter: "ketamine_bath", value: 0),
        ])
    static let infusion = TreatmentProtocol(
        name: "infusion",
        steps: [
            .init(time: 0, parameter: "infusion_rate", value: 0.0125),
            .init(time: 2400, parameter: "infusion_rate", value: 0),
        ], settings: ["in_vivo": 1])

    /// Output times: every minute for 6 h, then every 10 minutes to 7 days.
    static let week: [Double] = {
        var t: [Double] = []
        var x = 0.0
        while x <= 7 * 86400 {
            t.append(x)
            x += x < 6 * 3600 ? 60 : 600
        }
        return t
    }()

    static func options() -> SolverOptions {
        var o = SolverOptions(relativeTolerance: 1e-8, absoluteTolerance: 1e-14)
        o.maxSteps = 200_000
        return o
    }

    // MARK: Structure

    func testParsesAndCompiles() throws {
        let m = Self.model
        let compiled = try CompiledModel(m)
        XCTAssertGreaterThanOrEqual(compiled.stateCount, 50)
        XCTAssertGreaterThanOrEqual(m.reactions.count, 70)
        let required = ["dendrite", "interneuron", "astrocyte", "extracellular", "plasma", "brain"]
        for c in required { XCTAssertNotNil(m.compartment(c), "compartment \(c)") }
        for r in Self.readouts {
            XCTAssertTrue(compiled.hasOutput(OutputColumn(r)), "canonical readout \(r) is missing")
        }
        for (id, v) in Self.hooks {
            XCTAssertEqual(m.parameter(id)?.value, v, "hook or switch \(id) should exist with default \(v)")
        }
        XCTAssertTrue(m.events.isEmpty, "the model is pure biology: protocols add the events")
        XCTAssertGreaterThanOrEqual(compiled.conservationLaws.count, 10)
    }

    func testEveryValueLineHasASourceAndConfidence() throws {
        let text = try String(contentsOf: Self.modelURL, encoding: .utf8)
        let valueLine = try NSRegularExpression(pattern: #"^\s*(?:const\s+|var\s+)?(?:compartment\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*[^=]"#)
        let tag = try NSRegularExpression(pattern: #"\[(checked|secondary|recalled|assumed)\b[^\]]*\]"#)
        var bad: [String] = []
        var count = 0
        for (i, raw) in text.components(separatedBy: "\n").enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("//") || line.hasPrefix("at ") || line.contains(":=") || line.contains("->") { continue }
            let ns = line as NSString
            guard valueLine.firstMatch(in: line, range: NSRange(location: 0, length: ns.length)) != nil else { continue }
            count += 1
            guard let slash = line.range(of: "//") else {
                bad.append("line \(i + 1): no comment: \(line)")
                continue
            }
            let comment = String(line[slash.upperBound...])
            let cns = comment as NSString
            guard let m = tag.firstMatch(in: comment, range: NSRange(location: 0, length: cns.length)) else {
                bad.append("line \(i + 1): no confidence tag [checked|secondary|recalled|assumed]: \(line)")
                continue
            }
            let source = cns.substring(to: m.range.location).trimmingCharacters(in: .whitespaces)
            if source.count < 8 { bad.append("line \(i + 1): the comment names no unit or source: \(line)") }
        }
        XCTAssertGreaterThan(count, 200, "the scan found too few value lines; is the pattern right?")
        XCTAssertTrue(bad.isEmpty, bad.joined(separator: "\n"))
    }

    // MARK: Physical behaviour over a week

    /// Simulates a protocol for 7 days and checks that it runs, no species goes negative, and every
    /// conservation law holds to 1e-9 relative.
    static func checkPhysical(_ p: TreatmentProtocol, file: StaticString = #filePath, line: UInt = #line) throws -> Trajectory {
        let applied = try p.applied(to: Self.model)
        let compiled = try CompiledModel(applied.model)
        let sim = try Simulator(compiled, options: Self.options())
        var columns = applied.model.species.map { OutputColumn($0.id, .amount) }
        columns += applied.model.species.map { OutputColumn($0.id, .concentration) }
        columns += ["pyr_rate", "int_rate", "ket_plasma"].map { OutputColumn($0) }
        let start = Date()
        let traj = try sim.simulate(times: Self.week, outputs: columns, inputs: p.settings, start: -60)
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertLessThan(elapsed, 10, "7 days of \(p.name) took \(elapsed) s", file: file, line: line)

        // No negative concentrations or amounts.
        var worst = (value: 0.0, id: "", time: 0.0)
        for c in 0 ..< columns.count {
            for r in 0 ..< traj.rowCount where traj[r, c] < worst.value {
                worst = (traj[r, c], columns[c].id, traj.times[r])
            }
        }
        XCTAssertGreaterThanOrEqual(worst.value, -1e-12, "\(worst.id) = \(worst.value) at t = \(worst.time) s", file: file, line: line)

        // Conservation laws (amounts).
        let index = Dictionary(uniqueKeysWithValues: columns.enumerated().filter { $0.element.quantity == .amount }.map { ($0.element.id, $0.offset) })
        XCTAssertFalse(compiled.conservationLaws.isEmpty)
        for law in compiled.conservationLaws {
            func total(_ r: Int) -> Double {
                law.terms.reduce(0) { $0 + Double($1.coefficient) * traj[r, index[$1.species]!] }
            }
            let t0 = total(0)
            var dev = 0.0
            var scale = abs(t0)
            for r in 0 ..< traj.rowCount {
                dev = max(dev, abs(total(r) - t0))
                for term in law.terms { scale = max(scale, abs(traj[r, index[term.species]!])) }
            }
            XCTAssertLessThanOrEqual(dev / scale, 1e-9, "conservation law \(law) drifts by \(dev / scale) relative", file: file, line: line)
        }
        return traj
    }

    func testPlateProtocolSevenDaysIsPhysical() throws {
        _ = try Self.checkPhysical(Self.platePrototol)
    }

    func testInfusionSevenDaysIsPhysicalWithPlasmaPeakAtFortyMinutes() throws {
        let traj = try Self.checkPhysical(Self.infusion)
        let c = traj.columns.firstIndex(of: OutputColumn("ket_plasma"))!
        let at40 = traj[Self.week.firstIndex(of: 2400)!, c]
        XCTAssertGreaterThanOrEqual(at40, 0.6)
        XCTAssertLessThanOrEqual(at40, 1.0)
        let peak = (0 ..< traj.rowCount).map { traj[$0, c] }.max()!
        XCTAssertEqual(peak, at40, accuracy: 1e-12, "the plasma peak is at the end of the infusion")
    }

    func testVehicleStaysAtRest() throws {
        let compiled = try CompiledModel(Self.model)
        let sim = try Simulator(compiled, options: Self.options())
        let traj = try sim.simulate(times: [0, 86400, 7 * 86400], outputs: Self.readouts.map { OutputColumn($0) })
        for (c, r) in Self.readouts.enumerated() {
            let a = traj[0, c], b = traj[2, c]
            XCTAssertEqual(b, a, accuracy: 1e-5 * max(abs(a), 1e-12), "\(r) drifts without drug: \(a) -> \(b)")
        }
    }

    // MARK: Protocols

    func testProtocolTimesAndEvents() throws {
        XCTAssertEqual(TreatmentProtocol.seconds(from: "30 min"), 1800)
        XCTAssertEqual(TreatmentProtocol.seconds(from: "2 h"), 7200)
        XCTAssertEqual(TreatmentProtocol.seconds(from: "3 d"), 259_200)
        XCTAssertEqual(TreatmentProtocol.seconds(from: "-30 min"), -1800)
        XCTAssertEqual(TreatmentProtocol.seconds(from: "90"), 90)
        XCTAssertNil(TreatmentProtocol.seconds(from: "3 fortnights"))
        let applied = try Self.platePrototol.applied(to: Self.model)
        XCTAssertEqual(applied.model.events.count, 2)
        XCTAssertEqual(applied.model.parameter("ketamine_bath")?.constant, false)
        XCTAssertEqual(applied.model.events[0].trigger, .apply(.ge, [.time, .number(0)]))
        XCTAssertThrowsError(try TreatmentProtocol(name: "x", steps: [.init(time: 0, parameter: "no_such_id", value: 1)]).applied(to: Self.model))
        // A parameterised protocol runs its vehicle through inputs, with the same result as a
        // model without the treatment.
        let param = try Self.platePrototol.applied(to: Self.model, parameterised: true)
        let vehicleInputs = try param.inputs(for: Self.platePrototol.vehicle())
        XCTAssertEqual(Set(vehicleInputs.values), [0])
        let sim = try Simulator(try CompiledModel(param.model), options: Self.options())
        let treated = try sim.simulate(times: [0, 1800], outputs: [OutputColumn("p_eEF2")], start: -60)
        let vehicle = try sim.simulate(times: [0, 1800], outputs: [OutputColumn("p_eEF2")], inputs: vehicleInputs, start: -60)
        XCTAssertLessThan(treated[1, 0], 0.8 * vehicle[1, 0])
        XCTAssertEqual(vehicle[1, 0], vehicle[0, 0], accuracy: 1e-6 * vehicle[0, 0])
    }

    // MARK: Scorecard

    /// Findings the v2 scorecard reproduces under its rules (panel drugs at working
    /// concentrations, assay-visible thresholds). The others fail for reasons stated in
    /// models/README.md; a change that fixes one should add it here.
    static let reproducedV2 = ["F1", "F4", "F5", "F7", "F9", "F11", "F12", "F13", "F14", "F15", "F16", "F17"]

    func testScorecardUnderTheV2Rules() {
        let results = Self.scorecardResults.filter { $0.set == "core" }
        XCTAssertEqual(results.map(\.id), (1 ... 18).map { "F\($0)" })
        let reproduced = results.filter(\.reproduced).map(\.id)
        for id in Self.reproducedV2 { XCTAssertTrue(reproduced.contains(id), "\(id) no longer reproduced\n" + Scorecard.table(results)) }
        // Findings true by construction or fitted are labelled and not counted.
        let basis = Dictionary(uniqueKeysWithValues: results.map { ($0.id, $0.basis) })
        for id in ["F4", "F10", "F11", "F13", "F14"] { XCTAssertEqual(basis[id], "construction", id) }
        for id in ["F15", "F17"] { XCTAssertEqual(basis[id], "fitted", id) }
        XCTAssertEqual(results.filter(\.counted).count, 10)
        XCTAssertTrue(Scorecard.summary(results).contains("counted (predicted) findings reproduced"))
        for r in results where !r.addressed {
            XCTAssertTrue(r.note.hasPrefix("not addressed: "), "\(r.id) needs a reason")
            XCTAssertGreaterThan(r.note.count, 40)
        }
        for r in results { XCTAssertGreaterThan(r.claim.count, 30, "\(r.id) carries its claim") }
    }

    func testScorecardJSON() throws {
        let json = Scorecard.json(Self.scorecardResults)
        let items = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        XCTAssertEqual(items.count, 22)
        XCTAssertEqual(items.filter { $0["set"] as? String == "core" }.count, 18)
        XCTAssertEqual(items.filter { $0["set"] as? String == "further" }.count, 4)
        for item in items {
            XCTAssertNotNil(item["id"] as? String)
            XCTAssertNotNil(item["reproduced"] as? Bool)
            XCTAssertNotNil(item["counted"] as? Bool)
            XCTAssertNotNil(item["basis"] as? String)
            XCTAssertNotNil(item["claim"] as? String)
            XCTAssertNotNil(item["figure"] as? String)
            XCTAssertNotNil(item["note"] as? String)
        }
    }

    /// Every check that names a panel drug holds the panel's occupancy at that concentration.
    func testScorecardDrugsMatchThePanel() throws {
        let panel = try InhibitorPanel.load(Self.repository.appendingPathComponent("models/inhibitors.yaml"))
        let yaml = try YAMLValue.load(Self.scorecardURL)
        var checked = 0
        for f in try yaml.required("findings").list() {
            let fid = try f["id"]?.string() ?? "?"
            for c in try f["checks"]?.list() ?? [] {
                guard let drugs = c["drug"] else { continue }
                var hooks: [String: Double] = [:]
                for source in [c["condition"], c["test"], c] {
                    for (k, v) in try source?["hooks"]?.entries() ?? [] { hooks[k] = try v.double() }
                }
                for (id, conc) in try drugs.entries() {
                    let drug = try XCTUnwrap(panel[id], "unknown drug \(id)")
                    let c = try conc.concentration()
                    for t in drug.targets {
                        let expected = t.maxEffect * drug.occupancy(at: c)
                        let got = try XCTUnwrap(hooks[t.hook], "\(fid): \(id) sets no \(t.hook)")
                        XCTAssertEqual(got, expected, accuracy: 1e-4, "\(fid): \(id) -> \(t.hook)")
                        checked += 1
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 15)
    }

    /// `of: mean_change` compares time averages over a window (a measure accumulated over a scan),
    /// against the closed form: x' = u from x = 1 (u a treatment parameter, 0 in the vehicle arm),
    /// so with u = 1e-3/s the mean of x over [0, 1000 s] is 1.5 (vehicle 1: +50%) while x at
    /// 1000 s is 2 (+100%).
    func testMeanChangeIsTheTimeAverageOverTheWindow() throws {
        let model = try Self.ramp()
        func run(_ range: String) throws -> Scorecard.FindingResult {
            let card = try Scorecard.parse(
                """
                protocols: {p: {steps: [{at: 0 s, set: ketamine_bath, to: 0.001}]}}
                findings:
                  - id: M1
                    claim: the time average over a window, not the value at its end
                    source: closed form of a linear ramp
                    checks:
                      - {protocol: p, readout: x, expect: range, of: mean_change, range: \(range), window: [0 s, 1000 s]}
                      - {protocol: p, readout: x, time: 1000 s, expect: range, of: change, range: [0.999, 1.001]}
                """)
            return try XCTUnwrap(try card.run(on: model, threads: 1).first)
        }
        let pass = try run("[0.4999, 0.5001]")
        XCTAssertTrue(pass.reproduced, pass.figure)
        XCTAssertTrue(pass.figure.contains("mean over"), pass.figure)
        XCTAssertFalse(try run("[0.9, 1.1]").reproduced)
        XCTAssertThrowsError(
            try Scorecard.parse(
                """
                protocols: {p: {steps: [{at: 0 s, set: ketamine_bath, to: 0.001}]}}
                findings:
                  - {id: M1, checks: [{protocol: p, readout: x, expect: range, of: mean_change, range: [0, 1]}]}
                """))
    }

    /// A one-state model for scorecard mechanics: x' = ketamine_bath from x = 1 (a treatment
    /// parameter, 0 in the vehicle arm), so x rises linearly under the treatment.
    static func ramp() throws -> Model {
        try Antimony.parse(
            """
            model ramp()
              ketamine_bath = 0
              x = 1
              x' = ketamine_bath
            end
            """)
    }

    func testScorecardRejectsBadFiles() {
        XCTAssertThrowsError(try Scorecard.parse("findings: []"))
        XCTAssertThrowsError(
            try Scorecard.parse(
                """
                protocols: {p: {steps: [{at: 0, set: ketamine_bath, to: 1}]}}
                findings:
                  - {id: F1, checks: [{protocol: p, readout: p_eEF2, time: 30 min, expect: sideways}]}
                """))
        XCTAssertThrowsError(
            try Scorecard.parse(
                """
                protocols: {p: {steps: [{at: 0, set: ketamine_bath, to: 1}]}}
                findings:
                  - {id: F1, addressed: false}
                """))
        XCTAssertThrowsError(
            try Scorecard.parse(
                """
                protocols: {p: {steps: [{at: 0, set: ketamine_bath, to: 1}]}}
                findings:
                  - {id: F1, basis: guessed, checks: [{protocol: p, readout: p_eEF2, time: 30 min, expect: down}]}
                """))
    }

    // MARK: Literature-level behaviour of model v2

    /// Runs a protocol (treated and vehicle) with parameters held from `start` (drugs, line
    /// values) and returns the readouts at `times` for both arms.
    func run(
        _ p: TreatmentProtocol = platePrototol, held: [String: Double] = [:], times: [Double], readouts: [String],
        start: Double = -60
    ) throws -> (treated: [String: [Double]], vehicle: [String: [Double]]) {
        let applied = try p.applied(to: Self.model, parameterised: true)
        let sim = try Simulator(try CompiledModel(applied.model), options: Self.options())
        let outputs = readouts.map { OutputColumn($0) }
        let vehicleInputs = try applied.inputs(for: p.vehicle())
        let a = try sim.simulate(times: times, outputs: outputs, inputs: held.merging(p.settings) { a, _ in a }, start: start)
        let b = try sim.simulate(
            times: times, outputs: outputs, inputs: held.merging(p.settings) { a, _ in a }.merging(vehicleInputs) { _, v in v }, start: start)
        func table(_ t: Trajectory) -> [String: [Double]] {
            Dictionary(uniqueKeysWithValues: readouts.enumerated().map { c, r in (r, (0 ..< t.rowCount).map { t[$0, c] }) })
        }
        return (table(a), table(b))
    }

    /// Inhibitors held for 72 h move untreated synaptic proteins and spines by at most what
    /// homeostatic scaling allows (no floors at 0.05, no x15 ceilings, spines away from the tanh
    /// limits 1 +/- 0.72).
    func testInhibitorsHeldThreeDaysStayInAPlausibleRange() throws {
        let drugs: [String: [String: Double]] = [
            "NBQX": ["f_AMPAR": 0.98522], "rapamycin": ["f_mTORC1": 0.9901], "LY294002": ["f_PI3K": 0.93458],
            "ANA12": ["f_TrkB": 0.99542], "U0126": ["f_MEK": 0.99354], "A484954": ["f_eEF2K": 0.97276],
            "MK801": ["f_NMDAR_extra": 0.99877], "CX614": ["AMPAR_potentiation": 1.42857],
        ]
        for (name, hooks) in drugs {
            let r = try run(held: hooks, times: [72 * 3600], readouts: ["synaptic_proteins", "spine_density"])
            let sp = r.vehicle["synaptic_proteins"]![0], sd = r.vehicle["spine_density"]![0]
            XCTAssertTrue(sp > 0.5 && sp < 2, "\(name) held 72 h: synaptic proteins \(sp)")
            XCTAssertTrue(sd > 0.7 && sd < 1.65, "\(name) held 72 h: spines \(sd)")
        }
    }

    /// A neuron does not oscillate over weeks: the 50% principal-neuron GluN2B knockdown (F8's
    /// genotype) reaches a stable steady state (every Jacobian eigenvalue but the conservation
    /// laws' zeros has a negative real part), and the simulated genotype sits there by 60 days.
    /// With the lower scaling bound at 0.5 the controller lost its gain near the knockdown's
    /// scaling (~0.53) and the firing-translation-GluA1 loop oscillated with a ~23-day period.
    func testGluN2BKnockdownReachesAStableSteadyState() throws {
        let genotype = ["kd_GluN2B_pyr": 0.5]
        let report = try LocalAnalysis.steadyState(Self.model, inputs: genotype, control: false)
        let slowest = report.eigenvalues.dropFirst(report.conservationLaws).first.map { "\($0.re) + \($0.im)i" } ?? "none"
        XCTAssertTrue(report.stable, "knockdown steady state unstable; leading eigenvalue \(slowest)")
        let sim = try Simulator(try CompiledModel(Self.model), options: Self.options())
        let ids = ["pyr_rate", "scaling", "synaptic_proteins", "spine_density"]
        let t = try sim.simulate(times: [60 * 86400, 75 * 86400, 90 * 86400], outputs: ids.map { OutputColumn($0) }, inputs: genotype, start: 0)
        for (c, id) in ids.enumerated() {
            let values = (0 ..< t.rowCount).map { t[$0, c] }
            XCTAssertLessThan((values.max()! - values.min()!) / values.max()!, 0.01, "\(id) still moving at 60-90 days: \(values)")
        }
    }

    /// Firing-rate homeostasis: held drugs that raise firing or translation (NMDAR block by
    /// MK-801, eEF2K inhibition, AMPA potentiation, GSK-3 inhibition by SB216763 5 µM or lithium
    /// 1 mM) leave pyramidal firing within x1.5 of its set point after 72 h, as scaling down brings
    /// it back over a day or two (mean rates of cultured networks return to baseline within ~2 days
    /// of a sustained perturbation: Slomowitz 2015 eLife 4:e04378, recalled). In model v3.2 (lower
    /// scaling bound 0.5, GSK-3 driving 86% of GluA1 endocytosis) MK-801 held firing at x3.3,
    /// lithium at x3.1 and SB216763 at the 40 Hz ceiling (x12.4).
    func testHeldDrugsLeaveFiringNearItsSetPoint() throws {
        let drugs: [String: [String: Double]] = [
            "MK801": ["f_NMDAR_extra": 0.99877], "A484954": ["f_eEF2K": 0.97276], "CX614": ["AMPAR_potentiation": 1.42857],
            "lithium": ["f_GSK3": 0.4, "f_pGSK3_phosphatase": 0.2], "SB216763": ["f_GSK3": 0.99325],
        ]
        let none = try run(times: [72 * 3600], readouts: ["pyr_rate"]).vehicle["pyr_rate"]![0]
        for (name, hooks) in drugs {
            let r = try run(held: hooks, times: [72 * 3600], readouts: ["pyr_rate"])
            let fold = r.vehicle["pyr_rate"]![0] / none
            XCTAssertTrue(fold > 1 / 1.5 && fold < 1.5, "\(name) held 72 h: pyr_rate x\(fold)")
        }
    }

    /// Local dendritic GluA1 synthesis (the hypothesis switch `share_local_GluA1`, off by
    /// default). Blocking NMDARs at rest (20 µM ketamine on the direct route, F2's protocol) raises
    /// locally made synaptic GluA1 within the hour (Sutton 2006: rapid scaling, an order of
    /// magnitude faster than action-potential blockade; Aoto 2008: x1.68 mEPSCs in 1 h), and the
    /// rise needs translation and eEF2 dephosphorylation (Sutton 2007); the new receptors are
    /// transient (less than half the 1 h rise is left after a day). Mass balance bounds what synthesis can do:
    /// even with all GluA1 made and inserted locally, surface GluA1 rises by less than F2's 15% at
    /// 1 h, because GluA1 turns over in days (about 1.25% of it is made per hour at rest). The
    /// calcineurin -> S845 route is switched off here (share_S845_endo = 0) to weigh synthesis alone.
    func testLocalGluA1SynthesisAfterNMDARBlockNeedsTranslationAndIsBounded() throws {
        let slice = TreatmentProtocol(
            name: "slice",
            steps: [.init(time: 0, parameter: "ketamine_bath", value: 20), .init(time: 3600, parameter: "ketamine_bath", value: 0)],
            settings: ["route_disinhibition": 0])
        let on = ["share_local_GluA1": 1.0, "share_S845_endo": 0.0]
        let times: [Double] = [1800, 3600, 86400]
        let ids = ["GluA1_loc", "surface_GluA1"]
        let start = -4 * 86400.0
        let r = try run(slice, held: on, times: times, readouts: ids, start: start)
        let loc = zip(r.treated["GluA1_loc"]!, r.vehicle["GluA1_loc"]!).map { $0 / $1 - 1 }
        XCTAssertGreaterThan(loc[1], 0.3, "local GluA1 +\(loc[1]) at 1 h")
        XCTAssertGreaterThan(loc[0], 0.4 * loc[1], "half-way within the hour: \(loc)")
        XCTAssertLessThan(loc[2], 0.5 * loc[1], "transient: \(loc[2]) at 24 h")
        let surface = r.treated["surface_GluA1"]![1] / r.vehicle["surface_GluA1"]![1] - 1
        let off = try run(slice, held: ["share_S845_endo": 0.0], times: [3600], readouts: ["surface_GluA1"], start: start)
        let without = off.treated["surface_GluA1"]![0] / off.vehicle["surface_GluA1"]![0] - 1
        XCTAssertGreaterThan(surface, without + 0.02, "local synthesis adds to the rise: \(without) -> \(surface)")
        XCTAssertLessThan(surface, 0.15, "bounded by GluA1 turnover: +\(surface) at 1 h")
        // A protein synthesis inhibitor from 30 min before (acute, as in the scorecard), the eEF2K
        // knockout held (chronic).
        var acute = slice
        acute.steps.append(.init(time: -1800, parameter: "f_translation", value: 1))
        let blocked = [
            try run(acute, held: on, times: [3600], readouts: ["GluA1_loc"], start: start),
            try run(slice, held: on.merging(["f_eEF2K": 1.0]) { a, _ in a }, times: [3600], readouts: ["GluA1_loc"], start: start),
        ]
        let free = r.treated["GluA1_loc"]![1] - r.vehicle["GluA1_loc"]![1]
        for (name, b) in zip(["protein synthesis inhibitor", "eEF2K knockout"], blocked) {
            let rise = b.treated["GluA1_loc"]![0] - b.vehicle["GluA1_loc"]![0]
            XCTAssertLessThan(rise, 0.1 * free, "\(name): local GluA1 rise \(rise) of \(free)")
        }
    }

    /// Calcineurin -> GluA1 S845 -> GluA1 endocytosis (Zaytseva 2023 eLife 12:e86022). On plates
    /// 1 µM ketamine for 1 h lowers dendritic Ca2+ and calcineurin activity and raises p-GluA1 S845
    /// (x2.40 +/- 1.02 in cultured hippocampal neurons; x1.48 and x2.33 in mouse hippocampal PSD
    /// fractions 1 h after 10 and 5 mg/kg) and surface GluA1, but not surface GluA2 (x1.12, not
    /// significant); the p-S845 rise needs no protein synthesis. FK506 at its working concentration
    /// (the panel's occupancy at 5 µM) raises p-S845 and surface GluA1 within the hour. With the
    /// route off (share_S845_endo = 0) neither FK506 nor ketamine's calcineurin fall reaches surface
    /// GluA1, so the surface GluA1 assertions fail without the route.
    func testCalcineurinRouteRaisesS845AndSurfaceGluA1() throws {
        let ids = ["CaN_activity", "p_GluA1_S845", "surface_GluA1", "surface_GluA2"]
        typealias Arms = (treated: [String: [Double]], vehicle: [String: [Double]])
        func fold(_ r: Arms, _ id: String) -> Double { r.treated[id]![0] / r.vehicle[id]![0] }
        let ketamine = try run(times: [3600], readouts: ids)
        XCTAssertLessThan(fold(ketamine, "CaN_activity"), 0.9, "calcineurin activity at 1 h")
        let s845 = fold(ketamine, "p_GluA1_S845")
        XCTAssertTrue(s845 > 1.3 && s845 < 3.5, "p-S845 x\(s845) at 1 h")
        XCTAssertEqual(fold(ketamine, "surface_GluA2"), 1, accuracy: 0.05, "surface GluA2 at 1 h")
        let off = try run(held: ["share_S845_endo": 0], times: [3600], readouts: ids)
        let gain = fold(ketamine, "surface_GluA1") - fold(off, "surface_GluA1")
        XCTAssertGreaterThan(gain, 0.03, "the route's share of the 1 h surface GluA1 rise")
        XCTAssertGreaterThan(fold(ketamine, "surface_GluA1") - 1, fold(ketamine, "surface_GluA2") - 1 + 0.05, "GluA1 rises, GluA2 does not")
        // A protein synthesis inhibitor from 30 min before keeps the p-S845 rise.
        var acute = Self.platePrototol
        acute.steps.append(.init(time: -1800, parameter: "f_translation", value: 1))
        let blocked = try run(acute, times: [3600], readouts: ids)
        XCTAssertGreaterThan(fold(blocked, "p_GluA1_S845") - 1, 0.9 * (s845 - 1), "p-S845 rise under a translation block")
        // FK506 alone, held from the start (vehicle arms: no ketamine).
        let panel = try InhibitorPanel.load(Self.repository.appendingPathComponent("models/inhibitors.yaml"))
        let occupancy = try XCTUnwrap(panel["FK506"]).occupancy(at: 5)
        let none = try run(times: [3600], readouts: ids).vehicle
        let fk = try run(held: ["f_CaN": occupancy], times: [3600], readouts: ids).vehicle
        XCTAssertGreaterThan(fk["p_GluA1_S845"]![0] / none["p_GluA1_S845"]![0], 2, "FK506: p-S845")
        XCTAssertGreaterThan(fk["surface_GluA1"]![0] / none["surface_GluA1"]![0], 1.1, "FK506: surface GluA1")
        let fkOff = try run(held: ["f_CaN": occupancy, "share_S845_endo": 0], times: [3600], readouts: ids).vehicle
        XCTAssertEqual(fkOff["surface_GluA1"]![0] / none["surface_GluA1"]![0], 1, accuracy: 0.01, "FK506 without the route")
    }

    /// The same route in mice (mouse PK, 10 mg/kg i.p. over 30 s), against Zaytseva 2023's
    /// hippocampal measurements 1 h after 10 mg/kg in males: calcineurin activity (CaNAR FRET)
    /// 0.846 of saline, PSD p-GluA1 S845 x1.48 +/- 0.24, GluA2 x1.09 (not significant). The model
    /// must lower calcineurin, raise p-S845 within that study's spread (x1.2 to x2.5, covering the
    /// 5 mg/kg female x2.33) and leave surface GluA2 within 5%.
    func testMouseKetamineRaisesS845AsInZaytseva2023() throws {
        let mouse = TreatmentProtocol(
            name: "mouse_ip_10",
            steps: [.init(time: 0, parameter: "ip_dose_rate", value: 20), .init(time: 30, parameter: "ip_dose_rate", value: 0)],
            settings: ["in_vivo": 1, "pk_species": 2])
        let ids = ["CaN_activity", "p_GluA1_S845", "surface_GluA2"]
        let r = try run(mouse, times: [3600], readouts: ids)
        let fold = Dictionary(uniqueKeysWithValues: ids.map { ($0, r.treated[$0]![0] / r.vehicle[$0]![0]) })
        XCTAssertLessThan(fold["CaN_activity"]!, 0.9, "calcineurin activity at 1 h")
        XCTAssertTrue(fold["p_GluA1_S845"]! > 1.2 && fold["p_GluA1_S845"]! < 2.5, "p-S845 x\(fold["p_GluA1_S845"]!) at 1 h")
        XCTAssertEqual(fold["surface_GluA2"]!, 1, accuracy: 0.05, "surface GluA2 at 1 h")
    }

    /// AMPARs carry the circuit's excitation: NBQX silences pyramidal firing and glutamate
    /// release, an AMPA potentiator raises them.
    func testAMPARDriveTheCircuit() throws {
        let nbqx = try run(held: ["f_AMPAR": 0.98522], times: [1800], readouts: ["pyr_rate", "glutamate"])
        let none = try run(times: [1800], readouts: ["pyr_rate", "glutamate"])
        XCTAssertLessThan(nbqx.vehicle["pyr_rate"]![0], 0.8 * none.vehicle["pyr_rate"]![0])
        XCTAssertLessThan(nbqx.vehicle["glutamate"]![0], 0.8 * none.vehicle["glutamate"]![0])
        let cx = try run(held: ["AMPAR_potentiation": 1.42857], times: [1800], readouts: ["pyr_rate"])
        XCTAssertGreaterThan(cx.vehicle["pyr_rate"]![0], 1.2 * none.vehicle["pyr_rate"]![0])
    }

    /// Activity blockade scales synaptic AMPARs up, more than 1.5-fold in 2 days (Wierenga 2005:
    /// connection strength more than doubled), GluA1 and GluA2 alike.
    func testActivityBlockadeScalesAMPARsUp() throws {
        let r = try run(held: ["f_Nav": 1], times: [0, 48 * 3600], readouts: ["surface_GluA1", "surface_GluA2"])
        for id in ["surface_GluA1", "surface_GluA2"] {
            XCTAssertGreaterThan(r.vehicle[id]![1] / r.vehicle[id]![0], 1.5, id)
        }
    }

    /// Published PK: distribution half-life 10-15 min, elimination 2.5-3 h; free brain ketamine
    /// below total plasma.
    func testPharmacokineticsHaveThePublishedHalfLives() throws {
        let t: [Double] = [2400, 4 * 3600, 8 * 3600]
        let r = try run(Self.infusion, times: t, readouts: ["ket_plasma", "ketamine_ecf"])
        let p = r.treated["ket_plasma"]!
        let terminal = 4 * 3600 * log(2) / log(p[1] / p[2]) / 3600
        XCTAssertTrue(terminal > 2.4 && terminal < 3.2, "terminal half-life \(terminal) h")
        XCTAssertLessThan(r.treated["ketamine_ecf"]![0], p[0], "free ECF ketamine below total plasma")
    }

    /// The opioid gate is of literature size: naltrexone blocks the 24 h spine rise, and half
    /// the mu-opioid tone gives a clearly smaller rise (not the 1% of a saturated gate).
    func testOpioidGateIsNotSaturated() throws {
        func rise(_ held: [String: Double]) throws -> Double {
            let r = try run(held: held, times: [24 * 3600], readouts: ["spine_density"])
            return r.treated["spine_density"]![0] / r.vehicle["spine_density"]![0] - 1
        }
        let base = try rise([:]), nal = try rise(["f_MOR": 0.9997]), half = try rise(["mor_tone": 0.5])
        XCTAssertGreaterThan(base, 0.05)
        XCTAssertLessThan(nal, 0.3 * base)
        XCTAssertLessThan(half, 0.9 * base)
    }

    /// GSK-3 acts downstream: a Ser9-insensitive GSK-3 (S9A) cuts ketamine's synaptic protein rise.
    func testGSK3S9ACutsTheSynapticRise() throws {
        let t = [2 * 3600.0]
        let wt = try run(times: t, readouts: ["synaptic_proteins"])
        let ki = try run(held: ["GSK3_S9A": 1], times: t, readouts: ["synaptic_proteins"], start: -10 * 86400)
        let a = wt.treated["synaptic_proteins"]![0] / wt.vehicle["synaptic_proteins"]![0]
        let b = ki.treated["synaptic_proteins"]![0] / ki.vehicle["synaptic_proteins"]![0]
        XCTAssertLessThan(log(b), 0.8 * log(a))
    }

    /// GSK-3 restrains mTORC1 through TSC2 (Inoki 2006): with the AMPAR-BDNF loop cut by NBQX,
    /// SB216763 alone still raises Rheb-GTP and p-S6K within 30 min, and a Ser9-insensitive
    /// GSK-3 (S9A) lowers ketamine's p-S6K rise at 1 h. Without the TSC2 link neither moves.
    func testGSK3RestrainsMTORC1ThroughTSC2() throws {
        let nbqx = ["f_AMPAR": 0.98522]
        let sb = try run(held: nbqx.merging(["f_GSK3": 0.99325]) { a, _ in a }, times: [1800], readouts: ["Rheb_GTP", "p_S6K"])
        let none = try run(held: nbqx, times: [1800], readouts: ["Rheb_GTP", "p_S6K"])
        XCTAssertGreaterThan(sb.vehicle["Rheb_GTP"]![0], 1.3 * none.vehicle["Rheb_GTP"]![0])
        XCTAssertGreaterThan(sb.vehicle["p_S6K"]![0], 1.2 * none.vehicle["p_S6K"]![0])
        let wt = try run(times: [3600], readouts: ["p_S6K"])
        let ki = try run(held: ["GSK3_S9A": 1], times: [3600], readouts: ["p_S6K"], start: -10 * 86400)
        let a = log(wt.treated["p_S6K"]![0] / wt.vehicle["p_S6K"]![0])
        let b = log(ki.treated["p_S6K"]![0] / ki.vehicle["p_S6K"]![0])
        XCTAssertGreaterThan(a, 0)
        XCTAssertLessThan(b, 0.95 * a)
    }

    /// GSK-3 inhibits eIF2B (Welsh 1998: GSK-3 phosphorylates eIF2Bepsilon Ser540 and inhibits
    /// it; Pap & Cooper 2002: a nonphosphorylatable eIF2Bepsilon keeps protein synthesis up when
    /// PI 3-kinase is blocked), a hypothesis switch (`eIF2B_link`, off by default). With the link
    /// on: at rest nothing moves; with the AMPAR-BDNF loop cut by NBQX, SB216763 raises eIF2B
    /// activity by a quarter within 30 min and translation by as much over the link-off model
    /// (the occupancy model's 1/(1 - 0.5 x 0.4)); a Ser9-insensitive GSK-3 (S9A) lowers both
    /// (0.92 at the knock-in's resting GSK-3, all of it active). The SB216763 steady state with
    /// the link on is stable (bounded, no oscillation), though outside scaling's range.
    func testGSK3InhibitsEIF2BAndInitiation() throws {
        let on = ["eIF2B_link": 1.0]
        let rest = try run(held: on, times: [0, 7 * 86400], readouts: ["eIF2B_activity", "translation", "synaptic_proteins", "pyr_rate"])
        for (id, v) in rest.vehicle {
            XCTAssertEqual(v[1], v[0], accuracy: 1e-5 * abs(v[0]), "\(id) moves at rest with the eIF2B link on")
        }
        XCTAssertEqual(rest.vehicle["eIF2B_activity"]![0], 1, accuracy: 1e-6)

        let nbqxSB = ["f_AMPAR": 0.98522, "f_GSK3": 0.99325]
        let sbOn = try run(held: nbqxSB.merging(on) { a, _ in a }, times: [1800], readouts: ["eIF2B_activity", "translation"])
        let sbOff = try run(held: nbqxSB, times: [1800], readouts: ["eIF2B_activity", "translation"])
        XCTAssertEqual(sbOff.vehicle["eIF2B_activity"]![0], 1, accuracy: 1e-12)
        XCTAssertEqual(sbOn.vehicle["eIF2B_activity"]![0], 1.25, accuracy: 0.01)
        XCTAssertEqual(sbOn.vehicle["translation"]![0] / sbOff.vehicle["translation"]![0], sbOn.vehicle["eIF2B_activity"]![0], accuracy: 0.02)

        let s9a = try run(held: ["GSK3_S9A": 1, "eIF2B_link": 1], times: [0], readouts: ["eIF2B_activity", "translation"], start: -10 * 86400)
        XCTAssertEqual(s9a.vehicle["eIF2B_activity"]![0], 0.92, accuracy: 0.01)
        let s9aOff = try run(held: ["GSK3_S9A": 1], times: [0], readouts: ["translation"], start: -10 * 86400)
        XCTAssertLessThan(s9a.vehicle["translation"]![0], s9aOff.vehicle["translation"]![0])

        let report = try LocalAnalysis.steadyState(Self.model, inputs: ["eIF2B_link": 1, "f_GSK3": 0.99325], control: false)
        let slowest = report.eigenvalues.dropFirst(report.conservationLaws).first.map { "\($0.re) + \($0.im)i" } ?? "none"
        XCTAssertTrue(report.stable, "held SB216763 with the eIF2B link: steady state unstable; leading eigenvalue \(slowest)")
    }

    /// AMPAR slots (the switch `slot_bound`, off by default): synaptic AMPAR content saturates
    /// against a slot capacity instead of following the receptor supply. A drastic rise of surface
    /// AMPARs leaves synaptic currents unchanged at constant PSD-95, and more synaptic PSD-95
    /// recruits AMPARs without more surface receptors (Schnell 2002 PNAS 99:13902). With the slots
    /// following homeostatic scaling alone (`slot_PSD_share` 0), rest stays at rest, and SB216763
    /// and MK-801 held keep raising the surface GluA1 supply while the AMPAR conductance stays
    /// within the slots' x1.25; with the slots following the synaptic scaffold (PSD-95,
    /// `slot_PSD_share` 1), two days of TTX still double synaptic AMPARs (Wierenga 2005), more
    /// than the surface supply rises, but the resting state is unstable.
    func testAMPARSlotsBoundTheSynapticContent() throws {
        let ids = ["g_AMPA_pyr", "g_AMPA_drug", "GluA1_supply", "slot_capacity", "synaptic_AMPAR", "pyr_rate"]
        let rest = try run(held: ["slot_bound": 1, "slot_PSD_share": 0], times: [0, 7 * 86400], readouts: ids)
        for (id, v) in rest.vehicle {
            XCTAssertEqual(v[1], v[0], accuracy: 1e-5 * abs(v[0]), "\(id) moves at rest with the slot bound on")
        }
        XCTAssertEqual(rest.vehicle["synaptic_AMPAR"]![0], 1, accuracy: 1e-5)
        // Slots that follow the scaffold close a faster loop (PSD-95 synthesis -> slots -> firing ->
        // BDNF -> translation): the resting state itself is unstable (models/README.md, "AMPAR slots").
        let scaffold = try LocalAnalysis.steadyState(Self.model, inputs: ["slot_bound": 1], control: false)
        XCTAssertFalse(scaffold.stable, "slots following PSD-95: the resting steady state was measured unstable")
        let occupancy = 0.8  // occ_slot_ref
        let held = ["slot_bound": 1.0, "slot_PSD_share": 0, "f_GSK3": 0.99325, "f_NMDAR_extra": 0.99877]
        let r = try run(held: held, times: [6 * 3600, 24 * 3600], readouts: ids).vehicle
        XCTAssertGreaterThan(r["GluA1_supply"]![0], 1.3, "surface GluA1 supply at 6 h")
        XCTAssertGreaterThan(r["GluA1_supply"]![1], r["GluA1_supply"]![0], "the supply keeps rising")
        for i in 0 ..< 2 {
            let conductance = r["g_AMPA_pyr"]![i] / r["g_AMPA_drug"]![i]
            XCTAssertLessThanOrEqual(conductance, r["slot_capacity"]![i] / occupancy + 1e-9, "saturates against the slots")
            XCTAssertLessThan(conductance - 1, 0.5 * (r["GluA1_supply"]![i] - 1), "conductance \(conductance), supply \(r["GluA1_supply"]![i])")
        }
        let ttx = try run(held: ["slot_bound": 1, "f_Nav": 1], times: [48 * 3600], readouts: ids).vehicle
        XCTAssertGreaterThan(ttx["synaptic_AMPAR"]![0], 2, "TTX 2 d: synaptic AMPARs")
        XCTAssertGreaterThan(ttx["synaptic_AMPAR"]![0], ttx["GluA1_supply"]![0], "slots follow the scaffold scaling raises")
    }

    /// Lines: responders respond more than the control, non-responders less, with untreated
    /// baselines within 15% of the control after a 10-day settle.
    func testLinesMatchTheirNames() throws {
        func line(_ name: String) throws -> [String: Double] {
            try CellLine.load(Self.repository.appendingPathComponent("models/lines/\(name).yaml")).values
        }
        var rise: [String: (sp: Double, spines: Double)] = [:]
        for name in ["control", "eK-R", "K-NR"] {
            let r = try run(
                held: try line(name), times: [2 * 3600, 24 * 3600], readouts: ["synaptic_proteins", "spine_density"],
                start: -10 * 86400)
            for id in ["synaptic_proteins", "spine_density"] {
                XCTAssertEqual(r.vehicle[id]![0], 1, accuracy: 0.15, "\(name): untreated \(id)")
            }
            rise[name] = (
                r.treated["synaptic_proteins"]![0] / r.vehicle["synaptic_proteins"]![0] - 1,
                r.treated["spine_density"]![1] / r.vehicle["spine_density"]![1] - 1
            )
        }
        XCTAssertGreaterThan(rise["eK-R"]!.sp, rise["control"]!.sp)
        XCTAssertGreaterThan(rise["control"]!.sp, rise["K-NR"]!.sp)
        XCTAssertGreaterThan(rise["eK-R"]!.spines, rise["control"]!.spines)
        XCTAssertGreaterThan(rise["control"]!.spines, rise["K-NR"]!.spines)
    }

    /// Ketamine's new spines persist: part of them is stabilised (Holtmaat 2005; Cane 2014), so after
    /// the infusion spines are still up at 7 days and the stabilised pool carries most of that
    /// excess (Phoumthipphavong 2016: density up for up to 2 weeks), then the density returns to
    /// its set point (within 3% by 35 days). Formation waits for the spinogenic drive: no spine
    /// change at 4 h (Moda-Sava 2019: formation unchanged at 3-6 h).
    func testKetamineSpinesPersistInAStabilisedPool() throws {
        let t: [Double] = [4 * 3600, 7 * 86400, 35 * 86400]
        let r = try run(Self.infusion, times: t, readouts: ["spine_density", "spines_stable", "spines_nascent"])
        func excess(_ id: String, _ i: Int) -> Double { r.treated[id]![i] - r.vehicle[id]![i] }
        XCTAssertLessThan(abs(excess("spine_density", 0)), 0.02, "spines at 4 h")
        XCTAssertGreaterThan(excess("spine_density", 1), 0.05, "spines at 7 days")
        XCTAssertGreaterThan(excess("spines_stable", 1), excess("spines_nascent", 1), "stabilised spines carry the 7-day excess")
        XCTAssertLessThan(abs(r.treated["spine_density"]![2] / r.vehicle["spine_density"]![2] - 1), 0.03, "spines at 35 days")
    }

    /// Model v3.2: the arbor and the soma grow with the lagged BDNF-mTORC1 program that drives
    /// spine formation (Cavalleri 2018: arbor and soma up 72 h after 1 h of ketamine), so the
    /// arbor grows beyond what following the spine density would give, the soma grows although
    /// translation is back at rest within hours, rapamycin held through the program removes the
    /// soma rise, and both return towards rest within two weeks.
    func testGrowthProgramGrowsArborAndSoma() throws {
        let t: [Double] = [6 * 3600, 72 * 3600, 14 * 86400]
        let r = try run(times: t, readouts: ["arbor", "soma_size", "spine_density", "translation"])
        func rise(_ id: String, _ i: Int) -> Double { r.treated[id]![i] / r.vehicle[id]![i] - 1 }
        XCTAssertLessThan(abs(rise("translation", 0)), 0.05, "translation back near rest at 6 h")
        XCTAssertGreaterThan(rise("arbor", 1), rise("spine_density", 1) + 0.02, "arbor at 72 h")
        XCTAssertGreaterThan(rise("soma_size", 1), 0.02, "soma at 72 h")
        XCTAssertLessThan(abs(rise("arbor", 2)), 0.04, "arbor at 14 days")
        XCTAssertLessThan(abs(rise("soma_size", 2)), 0.02, "soma at 14 days")
        let rapa = try run(held: ["f_mTORC1": 0.9901], times: [72 * 3600], readouts: ["soma_size"])
        let blocked = rapa.treated["soma_size"]![0] / rapa.vehicle["soma_size"]![0] - 1
        XCTAssertLessThan(abs(blocked), 0.3 * rise("soma_size", 1), "soma rise under rapamycin")
    }

    /// Growth saturates: drugs held 72 h that keep the growth program on (A-484954, CX614,
    /// MK-801) leave the arbor and the soma within tens of % of rest (cultured and adult neurons
    /// do not double in days: Jaworski 2005; Gallent & Steward 2018, models/ketamine.ant section
    /// 19), while the saturating map keeps ketamine's own 72 h arbor rise after 1 h (+12% without
    /// it) above 10%. Without the bound the held drugs took the arbor to x1.67 and the soma to x2.
    func testHeldDrugsGrowArborAndSomaByTensOfPercent() throws {
        let drugs: [String: [String: Double]] = [
            "A484954": ["f_eEF2K": 0.97276], "CX614": ["AMPAR_potentiation": 1.42857], "MK801": ["f_NMDAR_extra": 0.99877],
        ]
        for (name, hooks) in drugs {
            let r = try run(held: hooks, times: [72 * 3600], readouts: ["arbor", "soma_size"])
            for id in ["arbor", "soma_size"] {
                let v = r.vehicle[id]![0]
                XCTAssertTrue(v > 1 && v < 1.5, "\(name) held 72 h: \(id) x\(v)")
            }
        }
        let k = try run(times: [72 * 3600], readouts: ["arbor"])
        XCTAssertGreaterThan(k.treated["arbor"]![0] / k.vehicle["arbor"]![0] - 1, 0.10, "ketamine's arbor rise at 72 h")
    }

    func assertReproduced(_ id: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let r = Self.scorecardResults.first(where: { $0.id == id }) else {
            return XCTFail("\(id) is not in the scorecard", file: file, line: line)
        }
        XCTAssertTrue(r.addressed, "\(id) is not addressed", file: file, line: line)
        let failed = r.checks.filter { !$0.passed }.map { "\($0.check.what): \($0.figure)" }
        XCTAssertTrue(r.reproduced, "\(id) not reproduced:\n" + failed.joined(separator: "\n"), file: file, line: line)
    }

    func testF1EEF2KRouteAtRest() { assertReproduced("F1") }
    func testF4AMPARPI3KAndMEKGateMTORC1() { assertReproduced("F4") }
    func testF5BDNFRelease() { assertReproduced("F5") }
    func testF7Disinhibition() { assertReproduced("F7") }
    func testF11OpioidGate() { assertReproduced("F11") }
    func testF12MTORC1NotTheSoleRoute() { assertReproduced("F12") }
    func testF13HNKThroughAMPARs() { assertReproduced("F13") }
    func testF14EEF2KPharmacology() { assertReproduced("F14") }
    func testF15TrkBInternalisation() { assertReproduced("F15") }

    func testF18IsListedWithItsReason() {
        let r = Self.scorecardResults.first { $0.id == "F18" }
        XCTAssertEqual(r?.addressed, false)
        XCTAssertEqual(r?.reproduced, false)
        XCTAssertTrue(r?.note.contains("enantiomers") ?? false)
    }
}
