import CascadeCore
import CascadeExperiments
import Foundation
import XCTest

/// Experiment files: what they mean, and one clear located error for each kind of mistake.
final class ExperimentFileTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    let valid = """
        model: MODEL
        panel: PANEL
        protocol:
          - {at: -30 min, preincubate: inhibitors}
          - {at: 0 min, add: ketamine, concentration: 1 uM}
          - {at: 1 h, wash: [ketamine]}
        readouts: [p_eEF2, BDNF]
        times: [30 min, 2 h]
        screen:
          singles: [NBQX, rapamycin]
          combinations: {of: [NBQX, rapamycin, ANA12], up_to: 2}
          doses: {NBQX: [1 uM, 10 uM]}
        """

    func write(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("exp-\(UUID().uuidString).yaml")
        let filled = text.replacingOccurrences(of: "MODEL", with: Self.repo.appendingPathComponent("models/ketamine.ant").path)
            .replacingOccurrences(of: "PANEL", with: Self.repo.appendingPathComponent("models/inhibitors.yaml").path)
        try Data(filled.utf8).write(to: url)
        return url
    }

    func error(_ text: String) throws -> String {
        let url = try write(text)
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            _ = try Experiment.load(url)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testValidExperimentMeansWhatItSays() throws {
        let url = try write(valid)
        defer { try? FileManager.default.removeItem(at: url) }
        let e = try Experiment.load(url)
        XCTAssertEqual(e.protocolSteps.steps.map(\.time), [-1800, 0, 3600])
        XCTAssertEqual(e.readoutTimes, [1800, 7200])
        XCTAssertEqual(e.treatments.map(\.parameter), ["ketamine_bath"])
        // none; NBQX at two doses; rapamycin; pairs of three (NBQX pairs at two doses each).
        let ids = e.conditions.map(\.id)
        XCTAssertEqual(ids.first, "none")
        XCTAssertEqual(e.conditions.filter { $0.inhibitors.keys.sorted() == ["NBQX"] }.map { $0.inhibitors["NBQX"]! }, [1, 10])
        XCTAssertEqual(e.conditions.filter { $0.inhibitors.count == 2 }.count, 2 + 2 + 1)
        XCTAssertEqual(e.conditions.first { $0.id == "rapamycin" }?.inhibitors["rapamycin"], 0.1, "typical concentration from the panel")
    }

    func testMistakesNameTheLineAndField() throws {
        let cases: [(String, String, [String])] = [
            (valid.replacingOccurrences(of: "[p_eEF2, BDNF]", with: "[p_eEF2, BDFN]"), "unknown readout 'BDFN'", [":7:"]),
            (
                valid.replacingOccurrences(of: "{at: 1 h, wash: [ketamine]}", with: "{at: -1 h, wash: [ketamine]}"),
                "washed out at -3600.0 s, before it is added", ["protocol[2].wash"]
            ),
            (
                valid.replacingOccurrences(of: "concentration: 1 uM", with: "concentration: -1 uM"), "concentrations must not be negative",
                ["protocol[1].concentration"]
            ),
            (valid.replacingOccurrences(of: "singles: [NBQX, rapamycin]", with: "singles: [NBQX, rapamycine]"), "unknown inhibitor 'rapamycine'", ["screen"]),
            (
                valid.replacingOccurrences(of: "times: [30 min, 2 h]", with: "times: [30 min, 2 fortnights]"), "cannot read '2 fortnights' as a time",
                ["times[1]", ":8:"]
            ),
            (valid.replacingOccurrences(of: "times: [30 min, 2 h]", with: "times: [2 h, 30 min]"), "readout times must increase", ["times"]),
            (valid.replacingOccurrences(of: "readouts:", with: "readout:"), "unknown field 'readout'", [":7:"]),
            (
                valid.replacingOccurrences(of: "add: ketamine", with: "add: ketamin"), "unknown treatment 'ketamin'",
                ["protocol[1].add", "did you mean 'ketamine'"]
            ),
            (
                valid.replacingOccurrences(
                    of: "{at: 0 min, add: ketamine, concentration: 1 uM}", with: "{at: 0 min, add: ketamine, wash: [ketamine], concentration: 1 uM}"),
                "exactly one of", ["protocol[1]"]
            ),
            (
                valid.replacingOccurrences(of: "  - {at: -30 min, preincubate: inhibitors}\n", with: "  - {at: -30 min, preincubate: inhibitors\n"),
                "malformed YAML", [":"]
            ),
            (valid.replacingOccurrences(of: "up_to: 2", with: "up_to: 0"), "must be at least 1", ["screen.combinations.up_to"]),
        ]
        for (text, message, locations) in cases {
            let e = try error(text)
            XCTAssertTrue(e.contains(message), "expected '\(message)', got: \(e)")
            for l in locations { XCTAssertTrue(e.contains(l), "expected '\(l)' in: \(e)") }
            XCTAssertTrue(e.contains("exp-"), "names the file: \(e)")
        }
    }

    /// `assays: {NAME: {minimum_fold}}`: each assay's threshold for its readouts, the experiment's
    /// `calls.minimum_fold` for the rest; `setUniformMinimumFold` (`--minimum-fold`) puts every
    /// readout at one threshold.
    func testAssayMinimumFold() throws {
        let text =
            valid + "\ncalls: {minimum_fold: 1.3}\nassays:\n  western: {cv: 0.2, floor: 0.1, minimum_fold: 1.2, readouts: [p_eEF2]}\n"
            + "  elisa: {cv: 0.15, readouts: [BDNF]}\n"
        let url = try write(text)
        defer { try? FileManager.default.removeItem(at: url) }
        var e = try Experiment.load(url)
        XCTAssertEqual(e.callRules.minimumFold("p_eEF2"), 1.2)
        XCTAssertEqual(e.callRules.minimumFold("BDNF"), 1.3)
        e.setUniformMinimumFold(1.5)
        XCTAssertEqual(e.callRules.minimumFold("p_eEF2"), 1.5)
        XCTAssertEqual(e.callRules.minimumFold("BDNF"), 1.5)
        for (bad, message) in [("minimum_fold: 1.0", "minimum_fold must be above 1"), ("minimum_fold: twenty", "expected a number")] {
            let wrong = valid + "\nassays:\n  western: {cv: 0.2, \(bad), readouts: [p_eEF2]}\n"
            let err = try error(wrong)
            XCTAssertTrue(err.contains(message) && err.contains(":14:") && err.contains("exp-"), err)
        }
    }

    func testMissingModelFile() throws {
        let e = try error(valid.replacingOccurrences(of: "model: MODEL", with: "model: nowhere.ant"))
        XCTAssertTrue(e.contains("model: no such file"), e)
    }
}
