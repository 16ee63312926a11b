import CascadeCore
import CascadeExperiments
import CascadeFormats
import Foundation
import XCTest

/// The line and hypothesis files: every parameter they set exists in the model and can be set,
/// and the patient lines keep the stated factors relative to the model's current nominal values.
final class CohortLinesTests: XCTestCase {
    static let repo = CohortTests.repo

    static let screen: Result<VariantScreen, Error> = Result {
        var e = try Experiment.load(repo.appendingPathComponent("models/experiments/knockout_screen.yaml"))
        e.line = nil
        return try VariantScreen(e, drugs: [])
    }

    func line(_ name: String) throws -> CellLine {
        try CellLine.load(Self.repo.appendingPathComponent("models/lines/\(name).yaml"))
    }

    func testEveryLineAndHypothesisParameterIsSettable() throws {
        let screen = try Self.screen.get()
        for name in ["control", "eK-R", "K-NR"] {
            for id in try line(name).values.keys { XCTAssertTrue(screen.isSettable(id), "line \(name): \(id)") }
        }
        let dir = Self.repo.appendingPathComponent("models/hypotheses")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertEqual(files.count, 8)
        var switches = Set<[Double]>()
        var potencies = Set<Double>()
        for f in files {
            let h = try Hypothesis.load(dir.appendingPathComponent(f), settable: screen.isSettable)
            XCTAssertEqual(h.id + ".yaml", f)
            if f.hasPrefix("hnk_") {
                // The HNK potency pair (hnk_plan.yaml): one constant, two values.
                XCTAssertEqual(Array(h.values.keys), ["EC50_HNK_AMPA"], f)
                potencies.insert(try XCTUnwrap(h.values["EC50_HNK_AMPA"]))
            } else {
                switches.insert(["route_direct", "route_disinhibition", "opioid_gate"].map { h.values[$0] ?? -1 })
            }
        }
        XCTAssertEqual(switches.count, 6, "six distinct mechanism variants")
        XCTAssertEqual(potencies, [0.3, 3.3], "the assumed and the slice-measured HNK potency")
    }

    func testPatientLinesKeepTheirStatedFactors() throws {
        let screen = try Self.screen.get()
        func nominal(_ id: String) throws -> Double { try XCTUnwrap(screen.nominal(id), id) }
        let ekr = try line("eK-R"), knr = try line("K-NR")
        XCTAssertEqual(ekr.values["J_Ca_NMDA"]! / (try nominal("J_Ca_NMDA")), 1.3, accuracy: 0.01)
        XCTAssertEqual(knr.values["J_Ca_NMDA"]! / (try nominal("J_Ca_NMDA")), 0.7, accuracy: 0.01)
        XCTAssertEqual(ekr.values["mTOR_total"]! / (try nominal("mTOR_total")), 1.3, accuracy: 0.01)
        XCTAssertEqual(knr.values["mTOR_total"]! / (try nominal("mTOR_total")), 0.7, accuracy: 0.01)
        XCTAssertEqual(knr.values["mor_tone"]! / (try nominal("mor_tone")), 0.5, accuracy: 0.01)
        // Val66Met: activity-dependent release down 30%, constitutive release unchanged (within a
        // refit of the model's release constant by a few per cent).
        let k = try nominal("k_BDNF_release"), rc = try nominal("release_constitutive")
        let k2 = knr.values["k_BDNF_release"]!, rc2 = knr.values["release_constitutive"]!
        XCTAssertEqual(k2 * (1 - rc2) / (k * (1 - rc)), 0.7, accuracy: 0.035)
        XCTAssertEqual(k2 * rc2 / (k * rc), 1, accuracy: 0.05)
        XCTAssertTrue(try line("control").values.isEmpty, "the control is the model as written")
    }
}
